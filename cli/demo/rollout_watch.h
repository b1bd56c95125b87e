// Follows the demo's rollouts through the admin API (the client `otakit rollout status` uses) and
// prints each change the server made: a deployment group that started, finished, stopped.
// Rollouts move only when a device checks in, so the scenario asks it to look after checks.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/admin_client.h"
#include "cli/demo/live_view.h"

namespace otakit::cli::demo {

struct WatchedRollout {
  int64_t id = 0;
  std::string group;
  nlohmann::json last;  // the API's rollout object as last seen
  std::string state() const { return last.value("state", ""); }
};

class RolloutWatch {
 public:
  RolloutWatch(AdminClient& admin, LiveView& view) : admin_(admin), view_(view) {}

  // Starts following a rollout the API just created (its JSON), and prints its groups.
  void follow(const std::string& group, const nlohmann::json& created);
  // Asks the server again about every rollout that can still change; prints what moved.
  void refresh();
  const WatchedRollout* of_group(const std::string& group) const;
  bool in_state(const std::string& group, const std::string& state) const;

 private:
  void report_change(const WatchedRollout& r, const nlohmann::json& now);

  AdminClient& admin_;
  LiveView& view_;
  std::vector<WatchedRollout> rollouts_;
};

// "50% (1 of 2 devices)": a deployment group's name and size.
std::string describe_stage(const nlohmann::json& stage);

}  // namespace otakit::cli::demo
