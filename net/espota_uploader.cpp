#include "net/espota_uploader.h"

#include <boost/asio/post.hpp>
#include <cstdint>

#include "core/crypto/digest.h"
#include "net/espota_upload_attempt.h"
#include "net/upload_run.h"

namespace otakit::net {

namespace asio = boost::asio;

const char* describe(EspotaPhase phase) {
  switch (phase) {
    case EspotaPhase::resolving: return "resolving";
    case EspotaPhase::inviting: return "inviting";
    case EspotaPhase::authenticating: return "authenticating";
    case EspotaPhase::waiting_connection: return "waiting for the device";
    case EspotaPhase::sending: return "sending";
    case EspotaPhase::verifying: return "verifying";
    case EspotaPhase::done: return "done";
  }
  return "unknown";
}

EspotaImage EspotaImage::from(std::vector<uint8_t> bytes) {
  char hex[crypto::kMd5HexSize];
  crypto::md5_hex(bytes.data(), bytes.size(), hex);
  EspotaImage image;
  image.bytes = std::make_shared<const std::vector<uint8_t>>(std::move(bytes));
  image.md5 = hex;
  return image;
}

void async_upload_all(asio::io_context& io, Clock& clock, const EspotaImage& image, std::vector<EspotaTarget> targets,
                      const EspotaUploadOptions& options, EspotaProgressFn progress, EspotaDoneFn done) {
  UploadRunOptions run;
  run.targets = targets.size();
  run.parallel = options.parallel;
  run.retries = options.retries;
  run.retry_delay_ms = options.retry_delay_ms;
  auto start = [&io, &clock, image, targets = std::move(targets), options, progress = std::move(progress)](
                   size_t index, unsigned number, std::function<void(EspotaUploadResult)> attempt_done) {
    std::optional<uint16_t> port;
    if (options.host_port) port = static_cast<uint16_t>(*options.host_port + index);
    EspotaProgress initial;
    initial.index = index;
    initial.attempt = number;
    auto attempt = std::make_shared<EspotaUploadAttempt>(io, clock, image, targets[index], options, port, initial,
                                                         progress, std::move(attempt_done));
    attempt->start();
  };
  run_uploads(io, clock, run, std::move(start), std::move(done));
}

std::vector<EspotaUploadResult> upload_all(const EspotaImage& image, std::vector<EspotaTarget> targets,
                                           const EspotaUploadOptions& options, EspotaProgressFn progress) {
  asio::io_context io;
  SteadyClock clock;
  std::vector<EspotaUploadResult> results;
  async_upload_all(io, clock, image, std::move(targets), options, std::move(progress),
                   [&results](std::vector<EspotaUploadResult> r) { results = std::move(r); });
  io.run();
  return results;
}

}  // namespace otakit::net
