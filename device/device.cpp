#include "device/device.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <stdexcept>

#include "core/boot/placement.h"
#include "core/crypto/digest.h"
#include "core/image/app_descriptor.h"
#include "core/util/hex.h"

namespace otakit::device {
namespace {

std::string hex(const uint8_t* data, size_t n) {
  std::string out(2 * n, '\0');
  to_hex(data, n, out.data());
  return out;
}

}  // namespace

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
  running_ = read_running_image();
  if (last_boot_.action == BootAction::rolled_back) rolled_back_ = true;
  if (last_boot_.action == BootAction::upgraded) rolled_back_ = false;
  bool healthy = true;
  if (last_boot_.bootable && state_read && ota_->on_trial()) {
    if (health_check_) {
      healthy = health_check_(running_);
      healthy ? ota_->mark_valid() : ota_->roll_back();  // a failed write leaves it on trial: rolled back later
    } else if (auto_confirm_) {
      ota_->mark_valid();
    }
  }
  if (last_boot_.bootable && state_read && healthy) start_services();
  if (on_boot_) on_boot_(last_boot_);
  if (!healthy) {  // the reset that follows a failed check; the next boot swaps the previous image back
    if (network_.io != nullptr) reboot_later();
    else return reboot();
  }
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

uint32_t Device::free_sketch_space() const {
  return ota_ ? staging_capacity(parts_.layout, ota_->state().active.size) : 0;
}

RunningImage Device::read_running_image() const {
  RunningImage out;
  const BootState& s = ota_->state();
  if (!s.has_active) return out;
  out.size = s.active.size;
  out.sha256 = hex(s.active.sha256, 32);
  out.security_version = s.active.security_version;
  crypto::Md5 md5;
  std::vector<uint8_t> head(std::min<uint32_t>(out.size, kAppDescriptorOffset + kAppDescriptorSize));
  std::vector<uint8_t> chunk(kSectorSize);
  for (uint32_t at = 0; at < out.size; at += kSectorSize) {
    const uint32_t n = std::min<uint32_t>(kSectorSize, out.size - at);
    flash_read_bytes(parts_.flash, at, chunk.data(), n);
    md5.update(chunk.data(), n);
    if (at < head.size()) std::copy_n(chunk.begin(), std::min<size_t>(n, head.size() - at), head.begin() + at);
  }
  char md5_text[crypto::kMd5HexSize];
  md5.finish_hex(md5_text);
  out.md5 = md5_text;
  AppDescriptor descriptor;
  if (find_app_descriptor(head.data(), uint32_t(head.size()), &descriptor)) out.version = descriptor.version;
  return out;
}

// After a successful update the sketch restarts: here, the boot path runs again in-process,
// posted so that the service is not destroyed inside its own callback.
void Device::reboot_later() {
  boost::asio::post(*network_.io, [this] { reboot(); });
}

std::unique_ptr<net::HttpUpdateServer> Device::start_web(const net::HttpUpdateServerOptions& page) {
  net::HttpUpdateServerOptions options = page;
  options.status = [this] {
    net::WebDeviceStatus status;
    status.hostname = network_.mdns ? network_.mdns->hostname : "";
    status.version = running_.version;
    status.md5 = running_.md5;
    status.sketch_size = running_.size;
    status.free_space = free_sketch_space();
    status.filesystem_size = parts_.layout.fs_size();
    status.chip_id = parts_.chip_id;
    status.boots = boots_;
    status.on_trial = ota_->on_trial();
    return status;
  };
  auto web = std::make_unique<net::HttpUpdateServer>(*network_.io, *network_.clock, options, ota_->updater());
  net::HttpUpdateHooks hooks = network_.web_hooks;
  hooks.reboot = [this, observer = network_.web_hooks.reboot] {
    if (observer) observer();
    reboot_later();
  };
  web->set_hooks(std::move(hooks));
  web->start();
  return web;
}

net::PullDeviceFacts Device::pull_facts() const {
  net::PullDeviceFacts facts;
  facts.chip_id = parts_.chip_id;
  const uint8_t id[3] = {uint8_t(parts_.chip_id >> 16), uint8_t(parts_.chip_id >> 8), uint8_t(parts_.chip_id)};
  facts.sta_mac = {0x5C, 0xCF, 0x7F, id[0], id[1], id[2]};
  facts.ap_mac = {0x5E, 0xCF, 0x7F, id[0], id[1], id[2]};
  facts.free_space = free_sketch_space();
  facts.sketch_size = running_.size;
  facts.sketch_md5 = running_.md5;
  facts.chip_size = parts_.layout.flash_size;
  facts.sdk_version = parts_.sdk_version;
  facts.image = ota_ && ota_->on_trial() ? http::ImageState::trial
                : rolled_back_     ? http::ImageState::rolled_back
                                   : http::ImageState::confirmed;
  return facts;
}

bool Device::pull_now() {
  if (!pull_ || pull_->running()) return false;
  pull_timer_->cancel();
  return pull_->start(pull_facts(), [this](const net::PullOutcome& outcome) { pull_finished(outcome); });
}

void Device::start_pull() {
  const DevicePullOptions& options = *network_.pull;
  net::PullClientOptions client = options.client;
  if (client.mode == http::UpdateMode::spiffs && client.fs_size == 0) client.fs_size = parts_.layout.fs_size();
  if (client.current_version.empty()) client.current_version = running_.version;
  // Its own sink: a refused pull never aborts an upload another protocol is running.
  pull_sink_ = std::make_unique<UpdaterSink>(ota_->updater());
  resume_store_ = std::make_unique<pull::FlashResumeStore>(parts_.flash, parts_.layout.resume_record_address());
  client.resume_store = resume_store_.get();
  pull_ = std::make_unique<net::PullClient>(*network_.io, *network_.clock, client, *pull_sink_);
  pull_->set_hooks(network_.pull_hooks);
  pull_timer_ = network_.clock->make_timer(*network_.io);
  if (options.at_boot) pull_now();
  else if (options.interval_ms > 0) pull_timer_->start_after(options.interval_ms, [this] { pull_now(); });
}

void Device::pull_finished(const net::PullOutcome& outcome) {
  const DevicePullOptions& options = *network_.pull;
  const bool sketch = options.client.mode == http::UpdateMode::sketch;
  if (network_.pull_done) network_.pull_done(outcome);
  if (outcome.staged() && sketch && options.reboot_on_update) return reboot_later();
  if (options.interval_ms > 0 && pull_timer_) pull_timer_->start_after(options.interval_ms, [this] { pull_now(); });
}

void Device::start_services() {
  if (network_.io == nullptr) return;
  if (network_.espota) {
    responder_ = std::make_unique<net::EspotaResponder>(*network_.io, *network_.clock, *network_.espota, ota_->updater());
    net::EspotaHooks hooks = network_.hooks;
    hooks.reboot = [this, observer = network_.hooks.reboot] {
      if (observer) observer();
      reboot_later();
    };
    responder_->set_hooks(std::move(hooks));
    responder_->start();
  }
  if (network_.web) web_ = start_web(*network_.web);
  if (network_.web_https) web_https_ = start_web(*network_.web_https);
  if (network_.pull) start_pull();
  if (network_.mdns && (responder_ || web_)) {
    net::MdnsAdvertiserConfig mdns = *network_.mdns;
    mdns.arduino_service = responder_ != nullptr;
    if (responder_) {
      mdns.port = responder_->local_port();
      mdns.auth = !network_.espota->password.empty() || !network_.espota->password_hash.empty();
    }
    // The page's actual port (the configured one may be 0: any free port), first after _arduino.
    if (web_) mdns.services.insert(mdns.services.begin(), net::http_service(web_->local_port(), network_.web->path));
    mdns_ = network_.mdns_hub ? std::make_unique<net::MdnsAdvertiser>(network_.mdns_hub, *network_.clock, mdns)
                              : std::make_unique<net::MdnsAdvertiser>(*network_.io, *network_.clock, mdns);
    mdns_->start();
  }
}

void Device::stop_services() {
  if (pull_timer_) pull_timer_->cancel();
  pull_timer_.reset();
  if (pull_) pull_->stop();  // a download in progress is dropped, the running image stays
  pull_.reset();
  pull_sink_.reset();
  resume_store_.reset();
  if (mdns_) mdns_->stop();  // the goodbye goes out before the reset
  mdns_.reset();
  if (web_) web_->stop();
  web_.reset();
  if (web_https_) web_https_->stop();
  web_https_.reset();
  if (responder_) responder_->stop();
  responder_.reset();
}

}  // namespace otakit::device
