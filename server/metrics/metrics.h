// The server's Prometheus metrics: lock-free counters shared by every worker, rendered in the
// text exposition format on /metrics.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "server/fleet/decision.h"

namespace otakit::server {

class Metrics {
 public:
  static constexpr std::array<double, 10> kLatencyBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                             0.005,  0.01,    0.025,  0.1,   1.0};

  void check_answered(int status, Withheld why, double seconds);
  void download_ended(uint64_t bytes, bool complete);
  void outcome(bool updated);
  void refused();  // 403: not an ESP8266 check
  std::string render() const;

 private:
  static constexpr size_t kReasons = 8;
  std::atomic<uint64_t> checks_200_{0}, checks_304_{0}, checks_403_{0}, checks_other_{0};
  std::array<std::atomic<uint64_t>, kReasons> withheld_{};
  std::atomic<uint64_t> downloads_complete_{0}, downloads_cut_{0}, bytes_sent_{0};
  std::atomic<uint64_t> updated_{0}, failed_{0};
  std::array<std::atomic<uint64_t>, kLatencyBuckets.size()> latency_buckets_{};
  std::atomic<uint64_t> latency_count_{0};
  std::atomic<uint64_t> latency_sum_ns_{0};
};

}  // namespace otakit::server
