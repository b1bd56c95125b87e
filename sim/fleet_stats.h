// What the fleet has done so far, counted by every device on every event loop (relaxed atomics:
// the report reads totals, not a consistent cut), and what a device is doing now.
#pragma once
#include <atomic>
#include <cstdint>

namespace otakit::sim {

enum class DeviceState : uint8_t { off, booting, idle, checking, downloading };
constexpr int kDeviceStates = 5;
const char* to_string(DeviceState state);

// How the device's last check ended.
// kept_image: the server counted the device as failed in its rollout (it rolled back): it stays.
enum class LastAnswer : uint8_t { none, up_to_date, kept_image, no_target, withheld, staged, failed };
const char* to_string(LastAnswer answer);

// Why a pull failed, from the original's error codes (core/pull/pull_session.h).
enum class FailureCause : uint8_t { connection, timeout, server, image, power };
constexpr int kFailureCauses = 5;
const char* to_string(FailureCause cause);
FailureCause cause_of_pull_error(int32_t error);

struct FleetCounters {
  std::atomic<uint64_t> checks{0};        // pulls finished
  std::atomic<uint64_t> downloads{0};     // pulls that began a download
  std::atomic<uint64_t> staged{0};        // downloads that staged an image
  std::atomic<uint64_t> resumes{0};       // broken downloads continued with a Range request
  std::atomic<uint64_t> updates{0};       // boots into a new image that passed its check
  std::atomic<uint64_t> rollbacks{0};     // boots back into the previous image
  std::atomic<uint64_t> power_cuts{0};    // injected, and happened
  std::atomic<uint64_t> health_failures{0};
  std::atomic<uint64_t> dropped{0}, stalled{0}, slowed{0};  // connections the link faults hit
  std::atomic<uint64_t> failures[kFailureCauses] = {};

  void count(std::atomic<uint64_t>& c) { c.fetch_add(1, std::memory_order_relaxed); }
};

}  // namespace otakit::sim
