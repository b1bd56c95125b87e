// One device of the simulated fleet: the real device object (device::Device: boot path, Updater,
// pull client) on a SharedFlash, with an identity from the fleet's seed, checking for updates
// with jitter, and the faults the fleet's rates draw for it: a power cut at a random flash
// operation of an update (the device stays off a moment, then boots and resumes), and a
// post-boot check that fails under a new image (the device rolls back).
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "core/boot/rtc_memory.h"
#include "core/flash/layout.h"
#include "device/device.h"
#include "net/clock.h"
#include "platform/posix/shared_flash.h"
#include "sim/fault_dice.h"
#include "sim/fleet_config.h"
#include "sim/fleet_stats.h"

namespace otakit::sim {

// What every device of one event loop shares.
struct FleetContext {
  boost::asio::io_context& io;
  net::Clock& clock;
  const FleetConfig& config;
  const FlashLayout& layout;
  posix::SectorPool& pool;
  posix::SharedFlash& factory;  // provisioned once; each device starts from its sectors
  FleetCounters& counters;
  std::string device_url;       // the update URL the devices use (the fault link's, when it runs)
  uint32_t update_operations = 0;  // about how many flash operations an update takes
};

// What the device itself says at the end (the report the server's records are checked against).
struct DeviceRecord {
  uint32_t chip_id = 0;
  std::string sta_mac;
  std::string version;
  std::string md5;
  bool on_trial = false;
  uint32_t boots = 0;
  uint32_t updates = 0;    // upgrade swaps the journal counts
  uint32_t rollbacks = 0;  // revert swaps
  uint32_t power_cuts = 0;
  uint32_t health_failures = 0;
  LastAnswer last_answer = LastAnswer::none;
};

class SimulatedDevice {
 public:
  SimulatedDevice(FleetContext& fleet, int index);
  ~SimulatedDevice();
  SimulatedDevice(const SimulatedDevice&) = delete;
  SimulatedDevice& operator=(const SimulatedDevice&) = delete;

  void start();  // the first boot; call on the device's event loop
  void stop();   // services close; on the device's event loop

  DeviceState state() const { return state_.load(std::memory_order_relaxed); }
  LastAnswer last_answer() const { return last_.load(std::memory_order_relaxed); }
  DeviceRecord record() const;  // only once its event loop has stopped

 private:
  void booted(const BootReport& report);
  void check_after(uint32_t delay_ms);
  void check();
  void download_started();
  void pulled(const net::PullOutcome& outcome);
  void power_lost();
  bool health_check(const device::RunningImage& image);
  uint32_t jittered(uint32_t ms);
  void set(DeviceState s) { state_.store(s, std::memory_order_relaxed); }

  FleetContext& fleet_;
  const int index_;
  const uint32_t chip_id_;
  Dice dice_;
  posix::SharedFlash flash_;
  VolatileRtcMemory rtc_;
  std::unique_ptr<device::Device> device_;
  std::unique_ptr<net::Timer> timer_;
  std::atomic<DeviceState> state_{DeviceState::off};
  std::atomic<LastAnswer> last_{LastAnswer::none};
  uint32_t power_cuts_ = 0;
  uint32_t health_failures_ = 0;
  bool first_boot_ = true;
};

// The chip id of device `index` of a fleet seeded with `seed`: distinct for up to 2^24 devices.
uint32_t simulated_chip_id(uint64_t seed, int index);

}  // namespace otakit::sim
