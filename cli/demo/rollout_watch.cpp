#include "cli/demo/rollout_watch.h"

#include <fmt/format.h>

namespace otakit::cli::demo {

std::string describe_stage(const nlohmann::json& stage) {
  return fmt::format("{} ({} device{})", stage.value("name", "?"), stage.value("targets", 0),
                     stage.value("targets", 0) == 1 ? "" : "s");
}

void RolloutWatch::follow(const std::string& group, const nlohmann::json& created) {
  WatchedRollout r{created.at("id").get<int64_t>(), group, created};
  std::string stages;
  for (const auto& stage : created.at("stages")) stages += (stages.empty() ? "" : ", then ") + describe_stage(stage);
  view_.fleet("rollout {} for group {}: {}; stops at {} failed", r.id, group, stages,
              created.value("error_threshold", "?"));
  rollouts_.push_back(std::move(r));
}

void RolloutWatch::refresh() {
  for (WatchedRollout& r : rollouts_) {
    const std::string state = r.state();
    if (state == "finished" || state == "stopped" || state == "canceled") continue;  // final for the demo
    const nlohmann::json now = admin_.get(fmt::format("/api/rollouts/{}", r.id));
    report_change(r, now);
    r.last = now;
  }
}

void RolloutWatch::report_change(const WatchedRollout& r, const nlohmann::json& now) {
  const auto stage_was = r.last.value("current_stage", 0u), stage_is = now.value("current_stage", 0u);
  const std::string state = now.value("state", "");
  const auto& stages = now.at("stages");
  if (stage_is != stage_was && stage_is < stages.size())
    view_.fleet("rollout {} ({}): group {} is healthy; deployment group {} starts: {}", r.id, r.group, stage_was + 1,
                stage_is + 1, describe_stage(stages[stage_is]));
  if (state == r.state()) return;
  const auto& totals = now.at("totals");
  if (state == "finished")
    view_.fleet("rollout {} ({}) finished: {} of {} devices updated", r.id, r.group, totals.value("updated", 0),
                totals.value("targets", 0));
  else if (state == "stopped")
    view_.fleet("rollout {} ({}) STOPPED by itself: {} failed (threshold {}); nothing more is offered", r.id, r.group,
                totals.value("failed", 0), now.value("error_threshold", "?"));
  else
    view_.fleet("rollout {} ({}) is {}", r.id, r.group, state);
}

const WatchedRollout* RolloutWatch::of_group(const std::string& group) const {
  for (const WatchedRollout& r : rollouts_)
    if (r.group == group) return &r;
  return nullptr;
}

bool RolloutWatch::in_state(const std::string& group, const std::string& state) const {
  const WatchedRollout* r = of_group(group);
  return r != nullptr && r->state() == state;
}

}  // namespace otakit::cli::demo
