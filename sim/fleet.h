// The simulated fleet: N SimulatedDevices over a few event loops (one thread each, at most one
// per core), one SectorPool for all their flash, the fault link when the rates ask for one, and
// the numbers the live view and the final report print.
#pragma once
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "net/clock.h"
#include "platform/posix/shared_flash.h"
#include "sim/fault_link.h"
#include "sim/fleet_config.h"
#include "sim/fleet_stats.h"
#include "sim/simulated_device.h"

namespace otakit::sim {

// One look at the fleet: devices per state and per last answer, and the counters.
struct FleetSnapshot {
  double seconds = 0;  // since start()
  int devices = 0;
  int per_state[kDeviceStates] = {};
  int up_to_date = 0;  // the last check said the device runs the server's target for it
  int kept_image = 0;  // the last check said the rollout counted it as failed: it keeps its image
  int no_target = 0;
  uint64_t checks = 0, downloads = 0, staged = 0, resumes = 0, updates = 0, rollbacks = 0;
  uint64_t power_cuts = 0, health_failures = 0, dropped = 0, stalled = 0, slowed = 0;
  uint64_t failures[kFailureCauses] = {};
  uint64_t pool_bytes = 0;  // flash contents held for the whole fleet
  double rss_per_device_kib = 0;  // the process's growth since before the fleet, per device
};

class Fleet {
 public:
  // Throws std::invalid_argument for a configuration it cannot run (an unknown layout, a factory
  // image the layout refuses, an update URL it cannot reach through the fault link).
  explicit Fleet(FleetConfig config);
  ~Fleet();
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  void start();  // boots every device and runs the event loops
  void stop();   // stops the loops and joins them; the devices keep what they hold
  FleetSnapshot snapshot() const;
  // Every device idle, its last check saying it runs its target or keeps its image after a failure.
  bool all_settled() const;
  // Every device's own account; only after stop().
  std::vector<DeviceRecord> records() const;
  unsigned threads() const { return unsigned(loops_.size()); }

 private:
  struct Loop {
    boost::asio::io_context io;
    std::unique_ptr<FleetContext> context;
    std::thread thread;
  };

  FleetConfig config_;
  const FlashLayout* layout_ = nullptr;
  net::SteadyClock clock_;
  posix::SectorPool pool_;
  std::unique_ptr<posix::SharedFlash> factory_;
  FleetCounters counters_;
  std::vector<std::unique_ptr<Loop>> loops_;
  std::unique_ptr<FaultLink> link_;
  std::vector<std::unique_ptr<SimulatedDevice>> devices_;
  std::chrono::steady_clock::time_point started_;
  double rss_before_kib_ = 0;
  bool running_ = false;
};

// The process's resident memory, from /proc/self/statm.
double resident_kib();

}  // namespace otakit::sim
