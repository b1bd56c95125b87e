#include "cli/demo/result_table.h"

#include <fmt/format.h>

namespace otakit::cli::demo {
namespace {

std::string path_text(const DeviceStory& d) {
  return d.group.empty() ? to_string(d.path) : fmt::format("{} ({})", to_string(d.path), d.group);
}

std::string versions(const DeviceStory& d) {
  if (d.rolled_back) return fmt::format("{} -> trial -> {}", d.first_version, d.running_version);
  if (d.running_version == d.first_version) return d.first_version;
  return fmt::format("{} -> {}", d.first_version, d.running_version);
}

std::string seconds(const DeviceStory& d) {
  return d.done() ? fmt::format("{:.2f} s", (d.finished_ms - d.started_ms) / 1000.0) : "-";
}

std::string result_text(const DeviceStory& d) {
  if (d.outcome() == Outcome::not_offered && d.fails_new_image) return "not offered: rollout stopped";
  return to_string(d.outcome());
}

Outcome expected(const DeviceStory& d, bool first_failing) {
  if (!d.fails_new_image) return Outcome::updated;
  return first_failing ? Outcome::rolled_back : Outcome::not_offered;
}

}  // namespace

const char* to_string(UpdatePath path) {
  switch (path) {
    case UpdatePath::push: return "push";
    case UpdatePath::browser: return "browser";
    case UpdatePath::pull: return "pull";
  }
  return "?";
}

const char* to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::updated: return "updated";
    case Outcome::rolled_back: return "rolled back";
    case Outcome::not_offered: return "not offered";
    case Outcome::unfinished: return "unfinished";
  }
  return "?";
}

std::vector<std::string> unmet_expectations(const DemoSummary& s) {
  std::vector<std::string> problems;
  // Which field-b device is its rollout's first is the server's choice (a stable hash): the one
  // offered the image is it.
  bool first_seen = false;
  for (const DeviceStory* d : s.devices) {
    const bool first_failing = d->fails_new_image && d->update_began && !first_seen;
    if (first_failing) first_seen = true;
    const Outcome want = expected(*d, first_failing), got = d->outcome();
    if (got != want)
      problems.push_back(fmt::format("{} ({}) should have {} but {}", d->name, path_text(*d),
                                     want == Outcome::updated ? "updated" : to_string(want),
                                     got == Outcome::unfinished ? "never finished its update" : to_string(got)));
  }
  if (!first_seen) problems.push_back(fmt::format("no device of {} was offered the new version", kFailingGroup));
  if (s.healthy_rollout_state != "finished")
    problems.push_back(fmt::format("the rollout for {} is {}, not finished", kHealthyGroup, s.healthy_rollout_state));
  if (s.failing_rollout_state != "stopped")
    problems.push_back(fmt::format("the rollout for {} is {}, not stopped", kFailingGroup, s.failing_rollout_state));
  return problems;
}

void print_table(std::FILE* out, const DemoSummary& s) {
  const auto row = [out](const std::string& a, const std::string& b, const std::string& c, const std::string& d,
                         const std::string& e, const std::string& f) {
    fmt::print(out, "  {:<19} {:<17} {:<16} {:<24} {:>6}  {}\n", a, b, c, d, e, f);
  };
  row("DEVICE", "MAC", "PATH", "VERSION", "TIME", "RESULT");
  for (const DeviceStory* d : s.devices)
    row(fmt::format("{} {}", d->name, d->address), d->mac, path_text(*d), versions(*d), seconds(*d), result_text(*d));
  fmt::print(out, "  rollouts: {} {}, {} {}\n", kHealthyGroup, s.healthy_rollout_state, kFailingGroup,
             s.failing_rollout_state);
}

nlohmann::json summary_json(const DemoSummary& s, const std::vector<std::string>& problems) {
  nlohmann::json devices = nlohmann::json::array();
  for (const DeviceStory* d : s.devices)
    devices.push_back({{"name", d->name},
                       {"address", d->address},
                       {"mac", d->mac},
                       {"path", to_string(d->path)},
                       {"group", d->group},
                       {"from", d->first_version},
                       {"running", d->running_version},
                       {"seconds", d->done() ? (d->finished_ms - d->started_ms) / 1000.0 : 0.0},
                       {"result", to_string(d->outcome())},
                       {"checks", d->checks}});
  return {{"ok", problems.empty()},
          {"problems", problems},
          {"devices", devices},
          {"rollouts", {{kHealthyGroup, s.healthy_rollout_state}, {kFailingGroup, s.failing_rollout_state}}},
          {"dashboard", s.dashboard},
          {"token", s.token},
          {"dir", s.dir}};
}

}  // namespace otakit::cli::demo
