// The demo's final account: one row per device (name and address, MAC, path, old -> new version,
// time taken, result) as a table for people or JSON for scripts, and what the scenario expected
// of each device, checked against what happened.
#pragma once
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/demo/device_story.h"

namespace otakit::cli::demo {

struct DemoSummary {
  std::vector<const DeviceStory*> devices;
  std::string healthy_rollout_state;  // field-a's, as the server says it
  std::string failing_rollout_state;  // field-b's
  std::string dashboard;              // http://127.0.0.1:PORT/
  std::string token;
  std::string dir;
};

// Each sentence names a device or rollout and what it did instead of what was expected; empty
// when the scenario did what it should: dev-1, dev-2 and field-a updated and confirmed, field-a's
// rollout finished, field-b's stopped with exactly one device rolled back and the rest not offered.
std::vector<std::string> unmet_expectations(const DemoSummary& summary);

void print_table(std::FILE* out, const DemoSummary& summary);
nlohmann::json summary_json(const DemoSummary& summary, const std::vector<std::string>& problems);

}  // namespace otakit::cli::demo
