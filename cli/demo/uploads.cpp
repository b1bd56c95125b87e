#include "cli/demo/uploads.h"

#include <fmt/format.h>

#include <stdexcept>

#include "net/web_uploader.h"

namespace otakit::cli::demo {
namespace {

constexpr uint32_t kTimeoutMs = 10000;  // each exchange and any stall, as the tools' default

// One target, so the uploaders hand back exactly one result.
net::EspotaDoneFn first_result(UploadDone done) {
  return [done = std::move(done)](std::vector<net::EspotaUploadResult> results) { done(results.at(0)); };
}

// What the device acknowledged (espota) or took (the page), as the tools' bars show it.
net::EspotaProgressFn bytes_through(UploadProgress progress) {
  return [progress = std::move(progress)](const net::EspotaProgress& p) {
    if (p.phase == net::EspotaPhase::sending || p.phase == net::EspotaPhase::verifying) progress(p.acked, p.size);
  };
}

}  // namespace

void start_push(boost::asio::io_context& io, net::Clock& clock, const std::string& address, uint16_t port,
                const std::string& password, const std::vector<uint8_t>& image, UploadProgress progress, UploadDone done) {
  net::EspotaUploadOptions options;
  options.host_ip = "127.0.0.1";  // the device connects back to this machine's loopback only
  options.password = password;
  options.timeout_ms = kTimeoutMs;
  net::async_upload_all(io, clock, net::EspotaImage::from(image), {{address, port}}, options, bytes_through(std::move(progress)),
                        first_result(std::move(done)));
}

void start_browser_upload(boost::asio::io_context& io, net::Clock& clock, const std::string& address, uint16_t port,
                          const std::vector<uint8_t>& image, UploadProgress progress, UploadDone done) {
  const std::string url = fmt::format("http://{}:{}/update", address, port);
  const auto target = net::parse_web_target(url);
  if (!target) throw std::logic_error("the demo built an upload URL it cannot parse: " + url);
  net::WebUploadOptions options;
  options.filename = "update.bin.signed";
  options.timeout_ms = kTimeoutMs;
  net::async_web_upload_all(io, clock, net::EspotaImage::from(image), {*target}, options,
                            bytes_through(std::move(progress)), first_result(std::move(done)));
}

}  // namespace otakit::cli::demo
