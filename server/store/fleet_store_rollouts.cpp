// Rollouts: creating one (assigning devices to its stages), moving it by its counts, and the
// operators' commands. Every step locks the rollout's row first (PostgreSQL FOR UPDATE; SQLite's
// write lock is already held), so concurrent instances apply each step once.
#include <fmt/format.h>

#include <stdexcept>

#include "server/store/fleet_catalog.h"
#include "server/store/fleet_store.h"

namespace otakit::server {
namespace {

std::string lock_suffix(Database& db) { return db.dialect() == Dialect::postgresql ? " FOR UPDATE" : ""; }

std::vector<StageView> stage_views(Database& db, int64_t rollout_id, const RolloutRules& rules) {
  std::vector<StageView> stages(rules.stages.size());
  for (size_t i = 0; i < stages.size(); ++i) stages[i].name = rules.stages[i].name;
  for (const Row& row : db.query("SELECT stage, status, COUNT(*) FROM rollout_targets WHERE rollout_id = ? "
                                 "GROUP BY stage, status",
                                 {rollout_id})) {
    const auto stage = static_cast<size_t>(as_int(row[0]));
    if (stage >= stages.size()) continue;
    const auto n = static_cast<uint64_t>(as_int(row[2]));
    const std::string status = as_text(row[1]);
    StageView& view = stages[stage];
    view.counts.targets += n;
    if (status == "updated") view.counts.updated += n;
    else if (status == "failed") view.counts.failed += n;
    else if (status == "offered" || status == "downloaded") view.offered += n;
  }
  return stages;
}

std::vector<StageCounts> counts_of(const std::vector<StageView>& views) {
  std::vector<StageCounts> counts;
  for (const StageView& v : views) counts.push_back(v.counts);
  return counts;
}

RolloutRules rules_for(const RolloutSpec& spec) {
  RolloutRules rules;
  for (uint32_t percent : spec.cumulative_percent) {
    RolloutStage stage;
    stage.name = fmt::format("{}%", percent);
    stage.success = spec.success;
    stage.pause_after = spec.pause_after_each_stage;
    rules.stages.push_back(stage);
  }
  rules.error = spec.error;
  rules.approval_required = spec.approval_required;
  return rules;
}

}  // namespace

void FleetStore::settle_rollout(int64_t rollout_id, int64_t now) {
  const auto row = db_.query("SELECT state, current_stage, rules FROM rollouts WHERE id = ?" + lock_suffix(db_),
                             {rollout_id});
  if (row.empty()) return;
  const RolloutStatus status{rollout_state_from_string(as_text(row[0][0])).value_or(RolloutState::canceled),
                       static_cast<uint32_t>(as_int(row[0][1]))};
  const RolloutRules rules = rules_from_json(as_text(row[0][2]));
  const std::vector<StageCounts> counts = counts_of(stage_views(db_, rollout_id, rules));
  const RolloutSettlement settled = server::settle_rollout(rules, status, counts);  // empty stages pass at once
  if (settled.events.empty()) return;
  for (RolloutEvent event : settled.events)
    add_history("", now, std::string("rollout_") + to_string(event), 0, rollout_id,
                fmt::format("{}; now {} at stage {} of {}", to_string(event), to_string(settled.next.state),
                            settled.next.current_stage + 1, rules.stages.size()));
  db_.query("UPDATE rollouts SET state = ?, current_stage = ?, updated_at = ? WHERE id = ?",
            {std::string(to_string(settled.next.state)), int64_t{settled.next.current_stage}, now, rollout_id});
  bump_revision();
}

int64_t FleetStore::create_rollout(const RolloutSpec& spec, int64_t now) {
  if (spec.cumulative_percent.empty() || spec.cumulative_percent.back() != 100)
    throw std::invalid_argument("a rollout's last stage must reach 100% of the devices it selects");
  int64_t id = 0;
  db_.transaction([&] {
    if (!firmware(spec.firmware_id)) throw std::invalid_argument(fmt::format("no firmware with id {}", spec.firmware_id));
    const RolloutRules rules = rules_for(spec);
    const RolloutState state = spec.approval_required ? RolloutState::waiting_for_approval : RolloutState::running;
    id = as_int(db_.query("INSERT INTO rollouts (name, firmware_id, state, current_stage, rules, filter, rollback_of, "
                          "created_at, updated_at) VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?) RETURNING id",
                          {spec.name, spec.firmware_id, std::string(to_string(state)), rules_to_json(rules),
                           filter_to_json(spec.filter), spec.rollback_of, now, now})[0][0]);
    std::vector<Device> devices = spec.rollback_of != 0 ? rollback_devices(spec.rollback_of)
                                                        : list_devices(spec.filter, INT64_MAX);
    std::vector<std::string> macs;
    for (const Device& d : devices) macs.push_back(d.mac);
    const std::vector<uint32_t> stages = assign_stages(macs, id, spec.cumulative_percent);
    for (size_t i = 0; i < devices.size(); ++i)
      db_.query("INSERT INTO rollout_targets (rollout_id, mac, stage, status, from_md5, updated_at) "
                "VALUES (?, ?, ?, 'pending', ?, ?)",
                {id, devices[i].mac, int64_t{stages[i]}, devices[i].running_md5, now});
    add_history("", now, "rollout_created", spec.firmware_id, id,
                fmt::format("{} devices in {} stages", devices.size(), rules.stages.size()));
    settle_rollout(id, now);  // empty first stages pass at once
    bump_revision();
  });
  return id;
}

// A rollback deployment reaches every device the rollout offered its image to.
std::vector<Device> FleetStore::rollback_devices(int64_t rollout_id) {
  std::vector<Device> devices;
  for (const Row& row : db_.query("SELECT mac FROM rollout_targets WHERE rollout_id = ? AND status IN "
                                  "('offered', 'downloaded', 'updated', 'failed') ORDER BY mac",
                                  {rollout_id}))
    if (auto d = device(as_text(row[0]))) devices.push_back(std::move(*d));
  return devices;
}

std::optional<int64_t> FleetStore::rollback_firmware(int64_t rollout_id) {
  const auto rows = db_.query("SELECT f.id, COUNT(*) AS n FROM rollout_targets rt JOIN firmware f ON f.running_md5 = rt.from_md5 "
                              "WHERE rt.rollout_id = ? GROUP BY f.id ORDER BY n DESC, f.id DESC LIMIT 1",
                              {rollout_id});
  if (rows.empty()) return std::nullopt;
  return as_int(rows[0][0]);
}

std::optional<RolloutView> FleetStore::rollout(int64_t id) {
  const auto rows = db_.query("SELECT id, name, firmware_id, state, current_stage, rules, filter, rollback_of, "
                              "created_at, updated_at FROM rollouts WHERE id = ?",
                              {id});
  if (rows.empty()) return std::nullopt;
  const Row& row = rows[0];
  RolloutView v;
  v.id = as_int(row[0]);
  v.name = as_text(row[1]);
  v.firmware_id = as_int(row[2]);
  v.status = {rollout_state_from_string(as_text(row[3])).value_or(RolloutState::canceled),
              static_cast<uint32_t>(as_int(row[4]))};
  v.rules = rules_from_json(as_text(row[5]));
  v.filter = filter_from_json(as_text(row[6]));
  v.rollback_of = as_int(row[7]);
  v.created_at = as_int(row[8]);
  v.updated_at = as_int(row[9]);
  v.stages = stage_views(db_, v.id, v.rules);
  return v;
}

std::vector<RolloutView> FleetStore::list_rollouts() {
  std::vector<RolloutView> views;
  for (const Row& row : db_.query("SELECT id FROM rollouts ORDER BY id DESC"))
    if (auto v = rollout(as_int(row[0]))) views.push_back(std::move(*v));
  return views;
}

std::optional<CommandResult> FleetStore::command_rollout(int64_t id, RolloutCommand command, int64_t now) {
  std::optional<CommandResult> result;
  db_.transaction([&] {
    const auto row = db_.query("SELECT state, current_stage FROM rollouts WHERE id = ?" + lock_suffix(db_), {id});
    if (row.empty()) return;
    const RolloutStatus status{rollout_state_from_string(as_text(row[0][0])).value_or(RolloutState::canceled),
                               static_cast<uint32_t>(as_int(row[0][1]))};
    result = apply_rollout_command(status, command);
    if (!result->ok) return;
    db_.query("UPDATE rollouts SET state = ?, current_stage = ?, updated_at = ? WHERE id = ?",
              {std::string(to_string(result->next.state)), int64_t{result->next.current_stage}, now, id});
    if (command == RolloutCommand::cancel)
      db_.query("UPDATE rollout_targets SET status = 'canceled', updated_at = ? "
                "WHERE rollout_id = ? AND status IN ('pending', 'offered')",
                {now, id});
    add_history("", now, std::string("rollout_") + to_string(command), 0, id, to_string(result->next.state));
    bump_revision();
    settle_rollout(id, now);  // a resumed rollout may already meet its thresholds
  });
  return result;
}

}  // namespace otakit::server
