// The admin commands' text output (admin_views.h).
#include "cli/admin_views.h"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <vector>

namespace otakit::cli {
namespace {

using nlohmann::json;
using Row = std::vector<std::string>;

// Columns as wide as their widest cell; the last one is not padded.
void print_table(const Row& head, const std::vector<Row>& rows) {
  std::vector<size_t> width(head.size());
  for (size_t c = 0; c < head.size(); ++c) {
    width[c] = head[c].size();
    for (const Row& r : rows) width[c] = std::max(width[c], r[c].size());
  }
  auto line = [&](const Row& r) {
    std::string text;
    for (size_t c = 0; c < r.size(); ++c) text += c + 1 < r.size() ? fmt::format("{:<{}}  ", r[c], width[c]) : r[c];
    fmt::print("{}\n", text);
  };
  line(head);
  for (const Row& r : rows) line(r);
}

std::string or_dash(const std::string& s) { return s.empty() ? "-" : s; }

std::string joined(const json& list, const char* separator) {
  std::string out;
  for (const json& item : list) out += (out.empty() ? "" : separator) + item.get<std::string>();
  return out;
}

// "waiting_for_approval" → "waiting for approval"
std::string words(std::string state) {
  std::replace(state.begin(), state.end(), '_', ' ');
  return state;
}

// A deployment group's own state, from the rollout's: hawkBit's scheduled/running/finished.
std::string stage_state(const json& r, size_t index) {
  const std::string state = r.at("state");
  const size_t current = r.at("current_stage");
  if (state == "finished" || index < current) return "finished";
  if (index > current) return state == "stopped" || state == "canceled" ? "never started" : "scheduled";
  if (state == "stopped") return "stopped (error threshold)";
  return words(state);
}

// [####x~~.....]: updated, failed, in progress, and the rest of the group's targets.
std::string bar(uint64_t targets, uint64_t updated, uint64_t failed, uint64_t in_progress) {
  constexpr uint64_t kWidth = 20;
  if (targets == 0) return "[" + std::string(kWidth, ' ') + "]";
  auto cells = [&](uint64_t n) { return std::min<uint64_t>(kWidth, (n * kWidth + targets / 2) / targets); };
  const uint64_t u = cells(updated), f = std::min(kWidth - u, cells(failed)),
                 p = std::min(kWidth - u - f, cells(in_progress));
  return "[" + std::string(u, '#') + std::string(f, 'x') + std::string(p, '~') + std::string(kWidth - u - f - p, '.') +
         "]";
}

std::string filter_text(const json& filter) {
  std::vector<std::string> parts;
  for (const char* key : {"group", "tag", "version"})
    if (!filter.value(key, "").empty()) parts.push_back(fmt::format("{} {}", key, filter.value(key, "")));
  if (filter.value("chip_size", 0) != 0) parts.push_back(fmt::format("chip size {}", filter.value("chip_size", 0)));
  if (parts.empty()) return "every device";
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

}  // namespace

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string ago(int64_t at_ms, int64_t now) {
  if (at_ms <= 0) return "never";
  const int64_t s = std::max<int64_t>(0, (now - at_ms) / 1000);  // a server clock ahead of ours: "0 s ago"
  if (s < 120) return fmt::format("{} s ago", s);
  if (s < 2 * 3600) return fmt::format("{} min ago", s / 60);
  if (s < 2 * 86400) return fmt::format("{} h ago", s / 3600);
  return fmt::format("{} d ago", s / 86400);
}

std::string size_text(uint64_t bytes) {
  if (bytes < 10 * 1024) return fmt::format("{} bytes", bytes);
  if (bytes < 1024 * 1024) return fmt::format("{} bytes ({} KiB)", bytes, (bytes + 512) / 1024);
  return fmt::format("{} bytes ({:.1f} MiB)", bytes, static_cast<double>(bytes) / (1024.0 * 1024.0));
}

void print_rollout(const json& r) {
  const json& stages = r.at("stages");
  const int64_t now = now_ms();
  const std::string state = r.at("state");
  fmt::print("rollout {} \"{}\": {}, deployment group {} of {}\n", r.at("id").get<int64_t>(),
             r.at("name").get<std::string>(), words(state), r.at("current_stage").get<size_t>() + 1, stages.size());
  fmt::print("  firmware {} to {}; error threshold {}{}{}; created {}\n", r.at("firmware_id").get<int64_t>(),
             filter_text(r.at("filter")), r.at("error_threshold").get<std::string>(),
             r.value("approval_required", false) ? "; approval required" : "",
             r.value("rollback_of", 0) != 0 ? fmt::format("; rolls back rollout {}", r.value("rollback_of", 0)) : "",
             ago(r.value("created_at", int64_t{0}), now));
  std::vector<Row> rows;
  for (size_t i = 0; i < stages.size(); ++i) {
    const json& s = stages[i];
    const uint64_t targets = s.at("targets"), updated = s.at("updated"), failed = s.at("failed"),
                   in_progress = s.at("in_progress");
    rows.push_back({fmt::format("group {} ({})", i + 1, s.at("name").get<std::string>()),
                    bar(targets, updated, failed, in_progress), fmt::format("{}/{}", updated, targets),
                    std::to_string(failed), std::to_string(in_progress), s.at("success_threshold").get<std::string>(),
                    stage_state(r, i)});
  }
  print_table({"DEPLOYMENT GROUP", "PROGRESS", "UPDATED", "FAILED", "IN PROGRESS", "SUCCESS AT", "STATE"}, rows);
  fmt::print("(progress: # updated, x failed, ~ in progress, . not yet)\n");
  const int64_t id = r.at("id");
  if (state == "waiting_for_approval") fmt::print("approve it with: otakit rollout approve {}\n", id);
  if (state == "paused") fmt::print("resume it with: otakit rollout resume {}\n", id);
  if (state == "stopped")
    fmt::print("the error threshold was crossed: nothing new is offered. Roll back with: otakit rollout rollback {}\n",
               id);
}

void print_rollout_table(const json& rollouts) {
  if (rollouts.empty()) {
    fmt::print("no rollouts yet: create one with `otakit publish FILE --rollout 5%,25%,100%`\n");
    return;
  }
  std::vector<Row> rows;
  for (const json& r : rollouts) {
    const json& t = r.at("totals");
    rows.push_back({std::to_string(r.at("id").get<int64_t>()), words(r.at("state")),
                    fmt::format("{}/{}", r.at("current_stage").get<size_t>() + 1, r.at("stages").size()),
                    fmt::format("{}/{}", t.at("updated").get<uint64_t>(), t.at("targets").get<uint64_t>()),
                    std::to_string(t.at("failed").get<uint64_t>()), std::to_string(r.at("firmware_id").get<int64_t>()),
                    r.at("name")});
  }
  print_table({"ID", "STATE", "GROUP", "UPDATED", "FAILED", "FIRMWARE", "NAME"}, rows);
}

void print_device_table(const json& devices) {
  const int64_t now = now_ms();
  std::vector<Row> rows;
  for (const json& d : devices)
    rows.push_back({d.at("mac"), or_dash(d.at("running_version")), or_dash(d.at("group")),
                    or_dash(joined(d.at("tags"), ",")), ago(d.at("last_seen"), now),
                    std::to_string(d.at("checks").get<int64_t>()), or_dash(d.at("address"))});
  print_table({"MAC", "VERSION", "GROUP", "TAGS", "LAST SEEN", "CHECKS", "ADDRESS"}, rows);
}

void print_device(const json& d) {
  const int64_t now = now_ms();
  fmt::print("device {}\n", d.at("mac").get<std::string>());
  fmt::print("  running   {} (md5 {}, {})\n", or_dash(d.at("running_version")), d.at("running_md5").get<std::string>(),
             size_text(d.at("sketch_size")));
  fmt::print("  group     {}\n", or_dash(d.at("group")));
  fmt::print("  tags      {}\n", or_dash(joined(d.at("tags"), ", ")));
  fmt::print("  address   {}\n", or_dash(d.at("address")));
  fmt::print("  chip      id {}, flash {}, free for a sketch {}; SDK {}\n", d.at("chip_id").get<uint32_t>(),
             size_text(d.at("chip_size")), size_text(d.at("free_space")), or_dash(d.at("sdk_version")));
  fmt::print("  seen      last {}, first {}, {} checks\n", ago(d.at("last_seen"), now), ago(d.at("first_seen"), now),
             d.at("checks").get<int64_t>());
  if (!d.contains("history") || d["history"].empty()) return;
  fmt::print("recent history, newest first:\n");
  std::vector<Row> rows;
  for (const json& h : d["history"]) {
    const int64_t firmware = h.value("firmware_id", int64_t{0}), rollout = h.value("rollout_id", int64_t{0});
    rows.push_back({"  " + ago(h.at("at"), now), h.at("event"), firmware ? std::to_string(firmware) : "-",
                    rollout ? std::to_string(rollout) : "-", or_dash(h.value("detail", ""))});
  }
  print_table({"  WHEN", "EVENT", "FIRMWARE", "ROLLOUT", "DETAIL"}, rows);
}

}  // namespace otakit::cli
