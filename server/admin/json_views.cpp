// JSON forms of devices, firmware, rollouts and history.
#include "server/admin/json_views.h"

#include <fmt/format.h>

namespace otakit::server {

nlohmann::json to_json(const Device& d) {
  return {{"mac", d.mac},
          {"ap_mac", d.ap_mac},
          {"chip_id", d.chip_id},
          {"chip_size", d.chip_size},
          {"free_space", d.free_space},
          {"sketch_size", d.sketch_size},
          {"running_md5", d.running_md5},
          {"running_version", d.running_version},
          {"sdk_version", d.sdk_version},
          {"address", d.address},
          {"group", d.group},
          {"tags", d.tags},
          {"max_security_version", d.max_security_version},
          {"first_seen", d.first_seen},
          {"last_seen", d.last_seen},
          {"checks", d.checks}};
}

nlohmann::json to_json(const Firmware& f) {
  return {{"id", f.id},
          {"sha256", f.sha256},
          {"md5", f.md5},
          {"running_md5", f.device_md5()},
          {"size", f.size},
          {"name", f.name},
          {"version", f.version},
          {"project", f.project},
          {"security_version", f.security_version},
          {"signed", f.is_signed},
          {"flash_size", f.flash_size},
          {"kind", to_string(f.kind)},
          {"uploaded_at", f.uploaded_at}};
}

std::string threshold_text(const Threshold& t) {
  return t.unit == Threshold::Unit::percent ? fmt::format("{}%", t.value) : fmt::format("{}", t.value);
}

nlohmann::json to_json(const RolloutView& r) {
  nlohmann::json stages = nlohmann::json::array();
  uint64_t targets = 0, updated = 0, failed = 0, offered = 0;
  for (size_t i = 0; i < r.stages.size(); ++i) {
    const StageView& s = r.stages[i];
    targets += s.counts.targets;
    updated += s.counts.updated;
    failed += s.counts.failed;
    offered += s.offered;
    stages.push_back({{"name", s.name},
                      {"targets", s.counts.targets},
                      {"updated", s.counts.updated},
                      {"failed", s.counts.failed},
                      {"in_progress", s.offered},
                      {"success_threshold", threshold_text(r.rules.stages[i].success)},
                      {"started", i <= r.status.current_stage && r.status.state != RolloutState::waiting_for_approval}});
  }
  return {{"id", r.id},
          {"name", r.name},
          {"firmware_id", r.firmware_id},
          {"state", to_string(r.status.state)},
          {"current_stage", r.status.current_stage},
          {"stages", stages},
          {"error_threshold", threshold_text(r.rules.error)},
          {"approval_required", r.rules.approval_required},
          {"filter",
           {{"group", r.filter.group},
            {"tag", r.filter.tag},
            {"version", r.filter.version},
            {"chip_size", r.filter.chip_size},
            {"seen_since", r.filter.seen_since}}},
          {"totals", {{"targets", targets}, {"updated", updated}, {"failed", failed}, {"in_progress", offered}}},
          {"rollback_of", r.rollback_of},
          {"created_at", r.created_at},
          {"updated_at", r.updated_at}};
}

nlohmann::json to_json(const HistoryEntry& h) {
  return {{"id", h.id},         {"mac", h.mac},           {"at", h.at},         {"event", h.event},
          {"firmware_id", h.firmware_id}, {"rollout_id", h.rollout_id}, {"detail", h.detail}, {"instance", h.instance}};
}

nlohmann::json to_json(const TargetView& t) {
  return {{"scope", t.scope}, {"firmware_id", t.firmware_id}, {"set_at", t.set_at}};
}

}  // namespace otakit::server
