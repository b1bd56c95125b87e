#include "sim/simulated_device.h"

#include <boost/asio/post.hpp>
#include <functional>

#include "core/http/device_report.h"

namespace otakit::sim {

uint32_t simulated_chip_id(uint64_t seed, int index) {
  return uint32_t((mix64(seed) + uint64_t(index)) & 0xFFFFFF);
}

SimulatedDevice::SimulatedDevice(FleetContext& fleet, int index)
    : fleet_(fleet),
      index_(index),
      chip_id_(simulated_chip_id(fleet.config.seed, index)),
      dice_(mix64(fleet.config.seed ^ (uint64_t(index) << 32))),
      flash_(fleet.pool, fleet.layout.flash_size) {
  flash_.assign(fleet.factory);
  device::DevicePullOptions pull;
  pull.client.url = fleet.device_url;
  pull.client.connect_timeout_ms = pull.client.header_timeout_ms = pull.client.body_idle_timeout_ms =
      fleet.config.http_timeout_ms;
  pull.client.resume_delay_ms = 500;
  pull.at_boot = false;  // the device's own timer decides, with jitter
  device::NetworkAttachment net;
  net.io = &fleet.io;
  net.clock = &fleet.clock;
  net.espota.reset();
  net.pull = pull;
  net.pull_hooks.on_start = [this] { download_started(); };
  net.pull_done = [this](const net::PullOutcome& outcome) { pulled(outcome); };
  device_ = std::make_unique<device::Device>(
      device::DeviceParts{flash_, rtc_, fleet.layout, BootOptions{}, fleet.config.verifier, chip_id_}, std::move(net));
  device_->set_health_check([this](const device::RunningImage& image) { return health_check(image); });
  device_->on_boot([this](const BootReport& report) { booted(report); });
  timer_ = fleet.clock.make_timer(fleet.io);
}

SimulatedDevice::~SimulatedDevice() {
  if (timer_) timer_->cancel();
  device_.reset();  // services close before the flash they use goes
}

void SimulatedDevice::start() {
  set(DeviceState::booting);
  device_->boot();
}

uint32_t SimulatedDevice::jittered(uint32_t ms) {
  const double spread = fleet_.config.jitter * double(ms);
  return uint32_t(double(ms) - spread + 2 * spread * dice_.unit());
}

void SimulatedDevice::booted(const BootReport& report) {
  if (flash_.power_lost()) return;  // a boot while the power is off does nothing; power_lost() restarts it
  flash_.settle();
  if (flash_.cut_armed()) flash_.clear_faults();  // the update is over and the cut never came
  if (report.action == BootAction::rolled_back) fleet_.counters.count(fleet_.counters.rollbacks);
  if (!report.bootable) {
    set(DeviceState::off);  // nothing verifies: the report shows it, the fleet never gets it back
    return;
  }
  set(DeviceState::idle);
  // A sketch checks right after it starts: soon after a reboot, spread over the interval at the first.
  check_after(first_boot_ ? uint32_t(dice_.below(fleet_.config.interval_ms)) : uint32_t(dice_.below(1000)));
  first_boot_ = false;
}

void SimulatedDevice::check_after(uint32_t delay_ms) {
  timer_->start_after(delay_ms, [this] { check(); });
}

void SimulatedDevice::check() {
  if (!device_->pull_now()) return check_after(jittered(fleet_.config.interval_ms));  // between boots
  set(DeviceState::checking);
}

void SimulatedDevice::download_started() {
  set(DeviceState::downloading);
  fleet_.counters.count(fleet_.counters.downloads);
  if (flash_.cut_armed() || !dice_.chance(fleet_.config.faults.power_cut)) return;
  const auto mode = static_cast<posix::TornMode>(dice_.below(3));
  flash_.cut_power_at(dice_.below(fleet_.update_operations), mode, uint32_t(dice_.next()),
                      [this] { boost::asio::post(fleet_.io, [this] { power_lost(); }); });
}

void SimulatedDevice::pulled(const net::PullOutcome& outcome) {
  if (flash_.power_lost()) return;
  fleet_.counters.count(fleet_.counters.checks);
  fleet_.counters.resumes.fetch_add(outcome.resumes, std::memory_order_relaxed);
  if (outcome.staged()) {  // the device reboots into it by itself
    fleet_.counters.count(fleet_.counters.staged);
    last_ = LastAnswer::staged;
    set(DeviceState::booting);
    return;
  }
  if (flash_.cut_armed()) flash_.clear_faults();
  if (outcome.result == pull::PullResult::no_updates) {
    const std::string& why = outcome.withheld;
    // A server that says nothing (the original's) means the same as "already running".
    last_ = why.empty() || why == "already_running" || why == "same_version" ? LastAnswer::up_to_date
            : why == "failed_here"                                          ? LastAnswer::kept_image
            : why == "no_target"                                            ? LastAnswer::no_target
                                                                            : LastAnswer::withheld;
  } else {
    last_ = LastAnswer::failed;
    fleet_.counters.count(fleet_.counters.failures[int(cause_of_pull_error(outcome.error))]);
  }
  flash_.settle();
  set(DeviceState::idle);
  check_after(jittered(fleet_.config.interval_ms));
}

void SimulatedDevice::power_lost() {
  set(DeviceState::off);
  ++power_cuts_;
  fleet_.counters.count(fleet_.counters.power_cuts);
  fleet_.counters.count(fleet_.counters.failures[int(FailureCause::power)]);
  timer_->start_after(200 + uint32_t(dice_.below(800)), [this] {
    flash_.clear_faults();
    set(DeviceState::booting);
    device_->power_cycle();
  });
}

bool SimulatedDevice::health_check(const device::RunningImage& image) {
  const uint64_t key = mix64(fleet_.config.seed ^ 0x5EA1 ^ (uint64_t(index_) << 20)) ^
                       std::hash<std::string>{}(image.sha256);
  if (stable_chance(key, fleet_.config.faults.health_fail)) {
    ++health_failures_;
    fleet_.counters.count(fleet_.counters.health_failures);
    return false;
  }
  fleet_.counters.count(fleet_.counters.updates);
  return true;
}

DeviceRecord SimulatedDevice::record() const {
  DeviceRecord r;
  r.chip_id = chip_id_;
  const net::PullDeviceFacts facts = device_->pull_facts();
  char mac[18];
  http::format_mac(facts.sta_mac.data(), mac);
  r.sta_mac = mac;
  r.version = device_->running_image().version;
  r.md5 = device_->running_image().md5;
  const BootState& s = device_->ota().state();
  r.on_trial = s.phase == BootPhase::trial;
  r.boots = device_->boots();
  r.updates = s.updates;
  r.rollbacks = s.rollbacks;
  r.power_cuts = power_cuts_;
  r.health_failures = health_failures_;
  r.last_answer = last_answer();
  return r;
}

}  // namespace otakit::sim
