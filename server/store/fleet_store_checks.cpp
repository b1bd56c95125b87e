// The update endpoint's transactions: a check (register, count outcomes, pick the target,
// decide, record) and a download's end.
#include <algorithm>

#include <fmt/format.h>

#include "server/store/fleet_catalog.h"
#include "server/store/fleet_store.h"

namespace otakit::server {
namespace {

struct TargetRow {
  int64_t rollout_id;
  uint32_t stage;
  std::string status;
  std::string from_md5;
  int64_t firmware_id;
  int64_t attempts;
};

// Offers to a device whose installs keep breaking off before it gives up: then it counts as failed
// (an image its own key refuses would otherwise be downloaded forever).
constexpr int64_t kMaxOffers = 10;

std::vector<TargetRow> rollout_rows(Database& db, const std::string& mac) {
  std::vector<TargetRow> rows;
  for (const Row& row : db.query("SELECT rt.rollout_id, rt.stage, rt.status, rt.from_md5, r.firmware_id, rt.attempts "
                                 "FROM rollout_targets rt JOIN rollouts r ON r.id = rt.rollout_id WHERE rt.mac = ?",
                                 {mac}))
    rows.push_back({as_int(row[0]), static_cast<uint32_t>(as_int(row[1])), as_text(row[2]), as_text(row[3]),
                    as_int(row[4]), as_int(row[5])});
  return rows;
}

// A rollout offers its image to a device once the device's stage has started. Pausing holds back
// devices not yet offered; a failed device is not offered again (it would only fail again).
bool rollout_offers(const CatalogRollout& r, const TargetRow& row) {
  if (row.status == "failed" || row.status == "canceled") return false;
  switch (r.status.state) {
    case RolloutState::finished: return true;
    case RolloutState::running: return row.stage <= r.status.current_stage;
    case RolloutState::paused: return row.stage <= r.status.current_stage && row.status != "pending";
    default: return false;
  }
}

// The newest assignment wins: a rollout by its creation, a target by when it was set.
Target resolve_target(const FleetStore::Catalog& cat, const std::vector<TargetRow>& rows, const std::string& group) {
  Target best;
  int64_t best_time = -1;
  for (const TargetRow& row : rows) {
    auto it = cat.rollouts.find(row.rollout_id);
    if (it == cat.rollouts.end()) continue;
    if (!rollout_offers(it->second, row)) {
      if (row.status == "failed" && it->second.created_at >= best_time) {
        best = Target{nullptr, 0, fmt::format("rollout {}", row.rollout_id), true};
        best_time = it->second.created_at;
      }
      continue;
    }
    if (it->second.created_at >= best_time) {
      best = Target{cat.find(it->second.firmware_id), row.rollout_id,
                    fmt::format("rollout {}, stage {}", row.rollout_id, row.stage + 1)};
      best_time = it->second.created_at;
    }
  }
  const std::string scopes[] = {group.empty() ? std::string() : "group:" + group, "*"};
  for (const std::string& scope : scopes) {
    auto it = scope.empty() ? cat.targets.end() : cat.targets.find(scope);
    if (it == cat.targets.end() || it->second.set_at <= best_time) continue;
    best = Target{cat.find(it->second.firmware_id), 0, scope == "*" ? "the fleet's target" : scope + "'s target"};
    best_time = it->second.set_at;
  }
  return best;
}

}  // namespace

CheckOutcome FleetStore::record_check(const CheckReport& r, int64_t now, const CheckPolicy& policy) {
  CheckOutcome out;
  db_.transaction([&] {
    const Catalog& cat = catalog();
    uint32_t running_security = 0;
    std::string running_version = r.version;
    if (auto it = cat.firmware_by_md5.find(r.sketch_md5); it != cat.firmware_by_md5.end()) {
      const Firmware& running = cat.firmware.at(it->second);
      running_security = running.security_version;
      if (running_version.empty()) running_version = running.version;
    }
    // One statement registers or updates the device and returns what the decision needs.
    const auto device = db_.query(
        "INSERT INTO devices (mac, ap_mac, chip_id, chip_size, free_space, sketch_size, running_md5, running_version, "
        "sdk_version, address, max_security_version, first_seen, last_seen, checks) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) ON CONFLICT (mac) DO UPDATE SET "
        "ap_mac = excluded.ap_mac, chip_id = excluded.chip_id, chip_size = excluded.chip_size, "
        "free_space = excluded.free_space, sketch_size = excluded.sketch_size, running_md5 = excluded.running_md5, "
        "running_version = excluded.running_version, sdk_version = excluded.sdk_version, address = excluded.address, "
        "max_security_version = CASE WHEN excluded.max_security_version > devices.max_security_version "
        "THEN excluded.max_security_version ELSE devices.max_security_version END, "
        "last_seen = excluded.last_seen, checks = devices.checks + 1 "
        "RETURNING group_name, max_security_version, checks",
        {r.sta_mac, r.ap_mac, int64_t{r.chip_id}, int64_t{r.chip_size}, int64_t{r.free_space}, int64_t{r.sketch_size},
         r.sketch_md5, running_version, r.sdk_version, r.address, int64_t{running_security}, now, now});
    const std::string group = as_text(device[0][0]);
    const auto max_security = static_cast<uint32_t>(as_int(device[0][1]));
    out.first_check = as_int(device[0][2]) == 1;

    // Outcomes first: a device that comes back running the target has updated (also one that got
    // it another way, by push or browser); one that comes back with its old image after
    // downloading the new one has failed, unless it is an OTAKit device that says it did not roll
    // back: its install broke off (a power cut), and it is offered the image again.
    // Without a live rollout there is nothing to count or offer from one: skip the lookup.
    std::vector<TargetRow> rows = cat.rollouts.empty() ? std::vector<TargetRow>{} : rollout_rows(db_, r.sta_mac);
    for (TargetRow& row : rows) {
      if (row.status != "pending" && row.status != "offered" && row.status != "downloaded") continue;
      const Firmware* fw = cat.find(row.firmware_id);
      std::string next, detail;
      if (fw != nullptr && r.sketch_md5 == fw->device_md5() && r.on_trial()) {
        next = "downloaded";  // booted, but healthy only once the device confirms it
        if (row.status == "downloaded") continue;
        detail = fmt::format("runs {} on trial, not confirmed yet", fw->name);
      } else if (fw != nullptr && r.sketch_md5 == fw->device_md5()) {
        next = "updated";
        detail = fmt::format("runs {} ({})", fw->name, fw->device_md5());
      } else if (row.status == "downloaded" && r.image == http::ImageState::confirmed && row.attempts < kMaxOffers) {
        next = "offered";
        detail = fmt::format("came back running {} without a rollback: the install did not finish", r.sketch_md5);
      } else if (row.status == "downloaded") {
        next = "failed";
        detail = r.sketch_md5 == row.from_md5 ? fmt::format("came back running its old image {}", r.sketch_md5)
                                              : fmt::format("came back running another image {}", r.sketch_md5);
      } else {
        continue;  // offered but not downloaded yet: it will ask again
      }
      const auto changed = db_.query("UPDATE rollout_targets SET status = ?, updated_at = ? "
                                     "WHERE rollout_id = ? AND mac = ? AND status = ? RETURNING stage",
                                     {next, now, row.rollout_id, r.sta_mac, row.status});
      if (changed.empty()) continue;  // another instance counted it first
      const char* kind = next == "downloaded" ? "trial" : next == "offered" ? "retry" : next.c_str();
      add_history(r.sta_mac, now, kind, row.firmware_id, row.rollout_id, detail);
      row.status = next;
      if (next == "downloaded" || next == "offered") continue;
      (next == "updated" ? out.outcomes_updated : out.outcomes_failed) += 1;
      settle_rollout(row.rollout_id, now);
    }

    const Catalog& current = catalog();  // settling may have moved a rollout
    const Target target = resolve_target(current, rows, group);
    out.decision = decide_update(DecisionInputs{r, max_security, policy.enforce_security_version}, target);
    out.rollout_id = target.rollout_id;
    if (out.decision.answer == Answer::offer) out.firmware = *target.firmware;

    const bool asks_version_only = r.mode == CheckReport::Mode::version;
    if (target.rollout_id != 0 && !asks_version_only &&
        (out.decision.answer == Answer::offer || out.decision.incompatible())) {
      const bool offer = out.decision.answer == Answer::offer;
      const auto changed = db_.query(
          "UPDATE rollout_targets SET status = ?, attempts = attempts + ?, updated_at = ? "
          "WHERE rollout_id = ? AND mac = ? AND status IN ('pending', 'offered') RETURNING stage",
          {std::string(offer ? "offered" : "failed"), int64_t{offer ? 1 : 0}, now, target.rollout_id, r.sta_mac});
      if (!offer && !changed.empty()) {
        out.outcomes_failed += 1;
        add_history(r.sta_mac, now, "failed", target.firmware->id, target.rollout_id, out.decision.reason);
        settle_rollout(target.rollout_id, now);
      }
    }
    const int status = out.decision.answer == Answer::offer ? 200 : 304;
    add_history(r.sta_mac, now, out.decision.answer == Answer::offer ? "offer" : "check",
                target.firmware != nullptr ? target.firmware->id : 0, target.rollout_id,
                fmt::format("{} {}: {}", status, to_string(out.decision.why), out.decision.reason));
  });
  return out;
}

void FleetStore::record_download(const std::string& mac, int64_t firmware_id, int64_t rollout_id,
                                 uint64_t first_byte, uint64_t bytes_sent, bool complete, int64_t now) {
  db_.transaction([&] {
    add_history(mac, now, complete ? "download" : "download_cut", firmware_id, rollout_id,
                fmt::format("bytes {}-{} sent{}", first_byte, first_byte + bytes_sent,
                            complete ? ", complete" : ", the connection ended first"));
    if (complete && rollout_id != 0)
      db_.query("UPDATE rollout_targets SET status = 'downloaded', updated_at = ? "
                "WHERE rollout_id = ? AND mac = ? AND status = 'offered'",
                {now, rollout_id, mac});
  });
}

}  // namespace otakit::server
