#include "device/ota_service.h"

#include <fmt/format.h>

#include "net/espota_responder.h"
#include "net/mdns_service.h"

namespace otakit::device {

struct OtaService::Impl {
  net::EspotaResponder responder;
  std::unique_ptr<net::MdnsAdvertiser> mdns;
  uint32_t last_percent = 0;

  Impl(boost::asio::io_context& io, net::Clock& clock, const net::EspotaResponderOptions& options, Updater& updater)
      : responder(io, clock, options, updater) {}
};

namespace {

net::EspotaResponderOptions responder_options(const OtaServiceConfig& c, const net::Logger& log) {
  net::EspotaResponderOptions o;
  o.log = log;
  o.bind_address = c.bind_address;
  o.port = c.port;
  o.password = c.password;
  o.password_hash = c.password_hash;
  return o;
}

}  // namespace

OtaService::OtaService(boost::asio::io_context& io, net::Clock& clock, VirtualDevice& device,
                       const OtaServiceConfig& config, const net::Logger& log, const net::Logger& console,
                       std::function<void()> on_success)
    : impl_(std::make_unique<Impl>(io, clock, responder_options(config, log), device.updater())) {
  Impl* self = impl_.get();
  net::EspotaHooks hooks;
  hooks.on_start = [self, console](espota::Command command) {
    self->last_percent = 0;
    console.info("ota: start ({})", command == espota::Command::filesystem ? "filesystem" : "firmware");
  };
  hooks.on_progress = [self, console](uint32_t done, uint32_t total) {
    uint32_t percent = total == 0 ? 0 : uint32_t(uint64_t(done) * 100 / total);
    if (percent >= self->last_percent + 25 || (done == total && self->last_percent != 100)) {
      self->last_percent = percent;
      console.info("ota: {}% ({} of {} bytes)", percent, done, total);
    }
  };
  hooks.on_end = [console] { console.info("ota: end, image staged"); };
  hooks.on_error = [console](espota::OtaError error, const std::string& message) {
    console.info("ota: error ({}): {}", espota::describe(error), message);
  };
  hooks.reboot = std::move(on_success);
  impl_->responder.set_hooks(std::move(hooks));
  impl_->responder.start();
  console.info("ota: espota responder on {}:{}{}", config.bind_address, impl_->responder.local_port(),
               config.password.empty() && config.password_hash.empty() ? "" : " (password required)");

  if (config.mdns) {
    net::MdnsAdvertiserConfig m;
    m.interface_address = config.mdns_interface_address.empty() ? config.bind_address : config.mdns_interface_address;
    m.hostname = config.hostname.empty() ? fmt::format("esp8266-{:06x}", device.chip_id()) : config.hostname;
    m.port = impl_->responder.local_port();
    m.board = config.board;
    m.auth = !config.password.empty() || !config.password_hash.empty();
    m.log = log;
    impl_->mdns = std::make_unique<net::MdnsAdvertiser>(io, clock, m);
    impl_->mdns->start();
    console.info("mdns: advertising {}._arduino._tcp.local on {}", m.hostname, m.interface_address);
  }
}

OtaService::~OtaService() {
  if (impl_ && impl_->mdns) impl_->mdns->stop();
}

}  // namespace otakit::device
