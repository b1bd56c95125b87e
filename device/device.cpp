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
  updater_.reset();
  boot_ = std::make_unique<BootControl>(parts_.flash, parts_.layout, parts_.rtc, parts_.boot);
  last_boot_ = boot_->boot();
  ++boots_;
  updater_ = std::make_unique<Updater>(parts_.flash, parts_.layout, *boot_);
  updater_->set_verifier(parts_.verifier);
  updater_->set_inflater(parts_.boot.inflater);
  if (last_boot_.bootable) {
    if (auto_confirm_ && boot_->on_trial()) boot_->confirm();
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

bool Device::stage(const std::vector<uint8_t>& image, UpdateCommand command) {
  constexpr uint32_t kChunk = 1460;  // what one TCP segment brings
  if (!updater_->begin(uint32_t(image.size()), command)) return false;
  for (size_t at = 0; at < image.size(); at += kChunk) {
    uint32_t n = uint32_t(std::min<size_t>(kChunk, image.size() - at));
    if (updater_->write(image.data() + at, n) != n) return false;
  }
  return updater_->end();
}

bool Device::confirm() { return boot_->confirm(); }

bool Device::rollback() { return boot_->reject_trial(); }

void Device::start_services() {
  if (network_.io == nullptr) return;
  responder_ = std::make_unique<net::EspotaResponder>(*network_.io, *network_.clock, network_.espota, *updater_);
  net::EspotaHooks hooks = network_.hooks;
  // After a successful OTA update the sketch restarts: here, the boot path runs again in-process,
  // posted so that the responder is not destroyed inside its own callback.
  hooks.reboot = [this, observer = network_.hooks.reboot] {
    if (observer) observer();
    boost::asio::post(*network_.io, [this] { reboot(); });
  };
  responder_->set_hooks(std::move(hooks));
  responder_->start();
}

void Device::stop_services() {
  if (responder_) responder_->stop();
  responder_.reset();
}

}  // namespace otakit::device
