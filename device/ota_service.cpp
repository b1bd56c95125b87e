#include "device/ota_service.h"

#include <fmt/format.h>

#include "net/espota_responder.h"
#include "net/mdns_service.h"

namespace otakit::device {

struct OtaService::Impl {
  net::EspotaResponder responder;
  std::unique_ptr<net::MdnsAdvertiser> mdns;
  uint32_t last_percent = 0;

  Impl(boost::asio::io_context& io, const net::EspotaResponderOptions& options, Updater& updater)
      : responder(io, options, updater) {}
};

namespace {

net::EspotaResponderOptions responder_options(const OtaServiceConfig& c) {
  net::EspotaResponderOptions o;
  o.bind_address = c.bind_address;
  o.port = c.port;
  o.password = c.password;
  o.password_hash = c.password_hash;
  return o;
}

}  // namespace

OtaService::OtaService(boost::asio::io_context& io, VirtualDevice& device, const OtaServiceConfig& config,
                       std::function<void()> on_success)
    : impl_(std::make_unique<Impl>(io, responder_options(config), device.updater())) {
  Impl* self = impl_.get();
  net::EspotaHooks hooks;
  hooks.on_start = [self](espota::Command command) {
    self->last_percent = 0;
    fmt::print("ota: start ({})\n", command == espota::Command::filesystem ? "filesystem" : "firmware");
    std::fflush(stdout);
  };
  hooks.on_progress = [self](uint32_t done, uint32_t total) {
    uint32_t percent = total == 0 ? 0 : uint32_t(uint64_t(done) * 100 / total);
    if (percent >= self->last_percent + 25 || (done == total && self->last_percent != 100)) {
      self->last_percent = percent;
      fmt::print("ota: {}% ({} of {} bytes)\n", percent, done, total);
      std::fflush(stdout);
    }
  };
  hooks.on_end = [] {
    fmt::print("ota: end, image staged\n");
    std::fflush(stdout);
  };
  hooks.on_error = [](espota::OtaError error, const std::string& message) {
    fmt::print("ota: error ({}): {}\n", espota::describe(error), message);
    std::fflush(stdout);
  };
  hooks.reboot = std::move(on_success);
  impl_->responder.set_hooks(std::move(hooks));
  impl_->responder.start();
  fmt::print("ota: espota responder on {}:{}{}\n", config.bind_address, impl_->responder.local_port(),
             config.password.empty() && config.password_hash.empty() ? "" : " (password required)");

  if (config.mdns) {
    net::MdnsAdvertiserConfig m;
    m.interface_address = config.mdns_interface_address.empty() ? config.bind_address : config.mdns_interface_address;
    m.hostname = config.hostname.empty() ? fmt::format("esp8266-{:06x}", device.chip_id()) : config.hostname;
    m.port = impl_->responder.local_port();
    m.board = config.board;
    m.auth = !config.password.empty() || !config.password_hash.empty();
    impl_->mdns = std::make_unique<net::MdnsAdvertiser>(io, m);
    impl_->mdns->start();
    fmt::print("mdns: advertising {}._arduino._tcp.local on {}\n", m.hostname, m.interface_address);
  }
  std::fflush(stdout);
}

OtaService::~OtaService() {
  if (impl_ && impl_->mdns) impl_->mdns->stop();
}

}  // namespace otakit::device
