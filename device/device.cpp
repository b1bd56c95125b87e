#include "device/device.h"

#include <boost/asio/post.hpp>
#include <stdexcept>

namespace otakit::device {

Device::Device(const DeviceParts& parts, NetworkAttachment network) : parts_(parts), network_(std::move(network)) {
  if (network_.io != nullptr && network_.clock == nullptr)
    throw std::invalid_argument("a device on a network needs a clock for its timeouts");
}

Device::~Device() { stop_services(); }

BootReport Device::boot() {
  stop_services();  // sockets close before the reset, as a chip's vanish
  ota_.reset();
  // The loader lives only while it decides, as eboot does before it jumps to the application.
  last_boot_ = std::make_unique<BootLoader>(parts_.flash, parts_.layout, parts_.rtc, parts_.boot)->boot();
  ++boots_;
  ota_ = std::make_unique<Ota>(parts_.flash, parts_.layout, parts_.rtc);
  ota_->require_signature(parts_.verifier);
  ota_->accept_gzip(parts_.boot.inflater);
  // The state is read even when nothing may run, so that tools and tests can see why.
  const bool state_read = ota_->start();
  if (last_boot_.bootable && state_read) {
    if (auto_confirm_ && ota_->on_trial()) ota_->mark_valid();
    start_services();
  }
  if (on_boot_) on_boot_(last_boot_);
  return last_boot_;
}

BootReport Device::reboot() { return boot(); }

BootReport Device::power_cycle() {
  parts_.rtc.power_loss();
  return boot();
}

bool Device::provision(const std::vector<uint8_t>& image) {
  return BootLoader(parts_.flash, parts_.layout, parts_.rtc, parts_.boot).provision(image.data(), uint32_t(image.size()));
}

bool Device::stage(const std::vector<uint8_t>& image, UpdateCommand command, uint32_t chunk) {
  if (!ota_->begin(uint32_t(image.size()), command)) return false;
  for (size_t at = 0; at < image.size(); at += chunk) {
    uint32_t n = uint32_t(std::min<size_t>(chunk, image.size() - at));
    if (ota_->write(image.data() + at, n) != n) return false;
  }
  return ota_->end();
}

void Device::start_services() {
  if (network_.io == nullptr) return;
  responder_ = std::make_unique<net::EspotaResponder>(*network_.io, *network_.clock, network_.espota, ota_->updater());
  net::EspotaHooks hooks = network_.hooks;
  // After a successful OTA update the sketch restarts: here, the boot path runs again in-process,
  // posted so that the responder is not destroyed inside its own callback.
  hooks.reboot = [this, observer = network_.hooks.reboot] {
    if (observer) observer();
    boost::asio::post(*network_.io, [this] { reboot(); });
  };
  responder_->set_hooks(std::move(hooks));
  responder_->start();
  if (network_.mdns) {
    net::MdnsAdvertiserConfig mdns = *network_.mdns;
    mdns.port = responder_->local_port();
    mdns.auth = !network_.espota.password.empty() || !network_.espota.password_hash.empty();
    mdns_ = network_.mdns_hub ? std::make_unique<net::MdnsAdvertiser>(network_.mdns_hub, *network_.clock, mdns)
                              : std::make_unique<net::MdnsAdvertiser>(*network_.io, *network_.clock, mdns);
    mdns_->start();
  }
}

void Device::stop_services() {
  if (mdns_) mdns_->stop();  // the goodbye goes out before the reset
  mdns_.reset();
  if (responder_) responder_->stop();
  responder_.reset();
}

}  // namespace otakit::device
