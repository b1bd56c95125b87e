// Loading the catalog and the JSON forms of rollout rules and filters.
#include "server/store/fleet_catalog.h"

#include <nlohmann/json.hpp>

namespace otakit::server {

const char* const kFirmwareColumns =
    "id, sha256, md5, size, name, version, project, security_version, signed, flash_size, kind, uploaded_at, "
    "running_md5";

Firmware firmware_from_row(const Row& row) {
  Firmware f;
  f.id = as_int(row[0]);
  f.sha256 = as_text(row[1]);
  f.md5 = as_text(row[2]);
  f.size = static_cast<uint64_t>(as_int(row[3]));
  f.name = as_text(row[4]);
  f.version = as_text(row[5]);
  f.project = as_text(row[6]);
  f.security_version = static_cast<uint32_t>(as_int(row[7]));
  f.is_signed = as_int(row[8]) != 0;
  f.flash_size = static_cast<uint32_t>(as_int(row[9]));
  f.kind = as_text(row[10]) == "spiffs" ? ImageKind::spiffs : ImageKind::sketch;
  f.uploaded_at = as_int(row[11]);
  f.running_md5 = as_text(row[12]);
  return f;
}

void FleetStore::Catalog::load(Database& db, int64_t new_revision) {
  firmware.clear();
  firmware_by_md5.clear();
  targets.clear();
  rollouts.clear();
  for (const Row& row : db.query(std::string("SELECT ") + kFirmwareColumns + " FROM firmware")) {
    Firmware f = firmware_from_row(row);
    if (f.kind == ImageKind::sketch) firmware_by_md5[f.device_md5()] = f.id;
    firmware[f.id] = std::move(f);
  }
  for (const Row& row : db.query("SELECT scope, firmware_id, set_at FROM targets"))
    targets[as_text(row[0])] = TargetView{as_text(row[0]), as_int(row[1]), as_int(row[2])};
  for (const Row& row : db.query("SELECT id, firmware_id, state, current_stage, rules, created_at FROM rollouts "
                                 "WHERE state IN ('running', 'paused', 'finished')")) {
    CatalogRollout r;
    r.id = as_int(row[0]);
    r.firmware_id = as_int(row[1]);
    r.status.state = rollout_state_from_string(as_text(row[2])).value_or(RolloutState::canceled);
    r.status.current_stage = static_cast<uint32_t>(as_int(row[3]));
    r.rules = rules_from_json(as_text(row[4]));
    r.created_at = as_int(row[5]);
    rollouts[r.id] = std::move(r);
  }
  revision = new_revision;
}

const Firmware* FleetStore::Catalog::find(int64_t id) const {
  auto it = firmware.find(id);
  return it == firmware.end() ? nullptr : &it->second;
}

namespace {
nlohmann::json threshold_json(const Threshold& t) {
  return {{"unit", t.unit == Threshold::Unit::percent ? "percent" : "count"}, {"value", t.value}};
}
Threshold threshold_from(const nlohmann::json& j) {
  Threshold t;
  t.unit = j.value("unit", "percent") == "count" ? Threshold::Unit::count : Threshold::Unit::percent;
  t.value = j.value("value", 100u);
  return t;
}
}  // namespace

std::string rules_to_json(const RolloutRules& rules) {
  nlohmann::json stages = nlohmann::json::array();
  for (const RolloutStage& s : rules.stages)
    stages.push_back({{"name", s.name}, {"success", threshold_json(s.success)}, {"pause_after", s.pause_after}});
  return nlohmann::json{{"stages", stages},
                        {"error", threshold_json(rules.error)},
                        {"error_counts_whole_rollout", rules.error_counts_whole_rollout},
                        {"approval_required", rules.approval_required}}
      .dump();
}

RolloutRules rules_from_json(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text);
  RolloutRules rules;
  for (const auto& s : j.at("stages")) {
    RolloutStage stage;
    stage.name = s.value("name", "");
    stage.success = threshold_from(s.at("success"));
    stage.pause_after = s.value("pause_after", false);
    rules.stages.push_back(stage);
  }
  rules.error = threshold_from(j.at("error"));
  rules.error_counts_whole_rollout = j.value("error_counts_whole_rollout", false);
  rules.approval_required = j.value("approval_required", false);
  return rules;
}

std::string filter_to_json(const DeviceFilter& f) {
  return nlohmann::json{{"group", f.group},
                        {"tag", f.tag},
                        {"version", f.version},
                        {"chip_size", f.chip_size},
                        {"seen_since", f.seen_since}}
      .dump();
}

DeviceFilter filter_from_json(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text);
  DeviceFilter f;
  f.group = j.value("group", "");
  f.tag = j.value("tag", "");
  f.version = j.value("version", "");
  f.chip_size = j.value("chip_size", 0u);
  f.seen_since = j.value("seen_since", int64_t{0});
  return f;
}

}  // namespace otakit::server
