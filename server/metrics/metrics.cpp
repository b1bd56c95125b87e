// Counting and rendering the server's metrics.
#include "server/metrics/metrics.h"

#include <fmt/format.h>

namespace otakit::server {

void Metrics::check_answered(int status, Withheld why, double seconds) {
  (status == 200 ? checks_200_ : status == 304 ? checks_304_ : status == 403 ? checks_403_ : checks_other_)
      .fetch_add(1, std::memory_order_relaxed);
  if (status == 304) withheld_[static_cast<size_t>(why) % kReasons].fetch_add(1, std::memory_order_relaxed);
  for (size_t i = 0; i < kLatencyBuckets.size(); ++i)
    if (seconds <= kLatencyBuckets[i]) latency_buckets_[i].fetch_add(1, std::memory_order_relaxed);
  latency_count_.fetch_add(1, std::memory_order_relaxed);
  latency_sum_ns_.fetch_add(static_cast<uint64_t>(seconds * 1e9), std::memory_order_relaxed);
}

void Metrics::refused() { checks_403_.fetch_add(1, std::memory_order_relaxed); }

void Metrics::download_ended(uint64_t bytes, bool complete) {
  (complete ? downloads_complete_ : downloads_cut_).fetch_add(1, std::memory_order_relaxed);
  bytes_sent_.fetch_add(bytes, std::memory_order_relaxed);
}

void Metrics::outcome(bool updated) { (updated ? updated_ : failed_).fetch_add(1, std::memory_order_relaxed); }

std::string Metrics::render() const {
  auto v = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  std::string out;
  out += "# HELP otakit_checks_total Update checks answered, by HTTP status.\n# TYPE otakit_checks_total counter\n";
  out += fmt::format("otakit_checks_total{{status=\"200\"}} {}\n", v(checks_200_));
  out += fmt::format("otakit_checks_total{{status=\"304\"}} {}\n", v(checks_304_));
  out += fmt::format("otakit_checks_total{{status=\"403\"}} {}\n", v(checks_403_));
  out += fmt::format("otakit_checks_total{{status=\"other\"}} {}\n", v(checks_other_));
  out += "# HELP otakit_not_modified_total 304 answers, by why the image was withheld.\n"
         "# TYPE otakit_not_modified_total counter\n";
  for (size_t i = 0; i < kReasons; ++i)
    out += fmt::format("otakit_not_modified_total{{reason=\"{}\"}} {}\n", to_string(static_cast<Withheld>(i)),
                       v(withheld_[i]));
  out += "# HELP otakit_downloads_total Firmware bodies sent, complete or cut short.\n"
         "# TYPE otakit_downloads_total counter\n";
  out += fmt::format("otakit_downloads_total{{result=\"complete\"}} {}\n", v(downloads_complete_));
  out += fmt::format("otakit_downloads_total{{result=\"cut\"}} {}\n", v(downloads_cut_));
  out += "# HELP otakit_download_bytes_total Firmware bytes sent.\n# TYPE otakit_download_bytes_total counter\n";
  out += fmt::format("otakit_download_bytes_total {}\n", v(bytes_sent_));
  out += "# HELP otakit_outcomes_total Rollout outcomes counted by this instance.\n"
         "# TYPE otakit_outcomes_total counter\n";
  out += fmt::format("otakit_outcomes_total{{result=\"updated\"}} {}\n", v(updated_));
  out += fmt::format("otakit_outcomes_total{{result=\"failed\"}} {}\n", v(failed_));
  out += "# HELP otakit_check_duration_seconds Time to decide and record one check.\n"
         "# TYPE otakit_check_duration_seconds histogram\n";
  for (size_t i = 0; i < kLatencyBuckets.size(); ++i)
    out += fmt::format("otakit_check_duration_seconds_bucket{{le=\"{}\"}} {}\n", kLatencyBuckets[i],
                       v(latency_buckets_[i]));
  out += fmt::format("otakit_check_duration_seconds_bucket{{le=\"+Inf\"}} {}\n", v(latency_count_));
  out += fmt::format("otakit_check_duration_seconds_sum {}\n", static_cast<double>(v(latency_sum_ns_)) / 1e9);
  out += fmt::format("otakit_check_duration_seconds_count {}\n", v(latency_count_));
  return out;
}

}  // namespace otakit::server
