// The fleet's records on either SQL engine: devices registered by their checks, the firmware
// catalog, targets, rollouts and their per-device outcomes, the history of every check. Each
// operation is one transaction, so a crash never leaves half of one, and two server instances
// sharing a PostgreSQL database count every outcome exactly once.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server/fleet/decision.h"
#include "server/fleet/model.h"
#include "server/rollout/rollout_policy.h"
#include "server/store/database.h"

namespace otakit::server {

struct CheckPolicy {
  bool enforce_security_version = false;  // a signed fleet: never offer below what a device ran
};

// What one check produced: the answer, and the image to send with it.
struct CheckOutcome {
  Decision decision;
  std::optional<Firmware> firmware;  // set when the answer is an offer
  int64_t rollout_id = 0;
  bool first_check = false;          // the device was registered by this check
  int outcomes_updated = 0;          // rollout outcomes this check counted
  int outcomes_failed = 0;
};

struct HistoryEntry {
  int64_t id = 0;
  std::string mac;
  int64_t at = 0;
  std::string event;  // check, offer, download, updated, failed, ...
  int64_t firmware_id = 0;
  int64_t rollout_id = 0;
  std::string detail;
  std::string instance;
};

struct RolloutSpec {
  std::string name;
  int64_t firmware_id = 0;
  DeviceFilter filter;
  std::vector<uint32_t> cumulative_percent{100};
  Threshold success{Threshold::Unit::percent, 90};
  Threshold error{Threshold::Unit::percent, 20};
  bool approval_required = false;
  bool pause_after_each_stage = false;
  int64_t rollback_of = 0;  // a rollback deployment of this rollout: its targets get their old image
};

struct StageView {
  std::string name;
  StageCounts counts;
  uint64_t offered = 0;  // offered or downloading, no outcome yet
};

struct RolloutView {
  int64_t id = 0;
  std::string name;
  int64_t firmware_id = 0;
  RolloutStatus status;
  RolloutRules rules;
  DeviceFilter filter;
  std::vector<StageView> stages;
  int64_t rollback_of = 0;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

// The target of a scope without a rollout: "*" (every device) or "group:<name>".
struct TargetView {
  std::string scope;
  int64_t firmware_id = 0;
  int64_t set_at = 0;
};

struct TokenView {  // never the token itself: the store does not have it
  int64_t id = 0;
  std::string name;
  int64_t created_at = 0;
  int64_t expires_at = 0;  // 0: never
  bool revoked = false;
};

class FleetStore {
 public:
  // instance: written into history rows, so a multi-instance deployment shows who answered.
  FleetStore(Database& db, std::string instance);
  ~FleetStore();

  // --- the update endpoint
  CheckOutcome record_check(const CheckReport& report, int64_t now, const CheckPolicy& policy);
  // After an offer's body was sent (complete) or cut short.
  void record_download(const std::string& mac, int64_t firmware_id, int64_t rollout_id, uint64_t first_byte,
                       uint64_t bytes_sent, bool complete, int64_t now);

  // While pinned (the group-commit writer, for one batch), checks reuse the catalog read at
  // pin time instead of reading fleet_revision each time; this store's own changes still reload it.
  void pin_catalog(bool pinned);

  // --- catalog
  // Adds a firmware record, or returns the existing one with the same SHA-256 (uploads are idempotent).
  Firmware add_firmware(const Firmware& firmware, int64_t now);
  std::optional<Firmware> firmware(int64_t id);
  std::optional<Firmware> firmware_by_sha256(const std::string& sha256);
  std::vector<Firmware> list_firmware();

  // --- devices and groups
  std::optional<Device> device(const std::string& mac);
  std::vector<Device> list_devices(const DeviceFilter& filter, int64_t limit = 1000, int64_t offset = 0);
  int64_t count_devices(const DeviceFilter& filter);
  // False if the device is not registered.
  bool set_device_group(const std::string& mac, const std::string& group, int64_t now);
  bool set_device_tags(const std::string& mac, std::vector<std::string> tags, int64_t now);
  std::vector<std::string> list_groups();
  std::vector<HistoryEntry> history(const std::string& mac, int64_t limit = 100);
  int64_t count_history(const std::string& mac);

  // --- targets without a rollout
  void set_target(const std::string& scope, int64_t firmware_id, int64_t now);
  std::vector<TargetView> list_targets();

  // --- rollouts
  // Assigns the devices the filter selects now to the stages; throws std::invalid_argument with
  // a sentence when the spec is wrong (no such firmware, a bad plan).
  int64_t create_rollout(const RolloutSpec& spec, int64_t now);
  std::optional<RolloutView> rollout(int64_t id);
  std::vector<RolloutView> list_rollouts();
  // The image most of a rollout's devices ran before it (its rollback's default), if the catalog has it.
  std::optional<int64_t> rollback_firmware(int64_t rollout_id);
  // Applies the command in one transaction with the rollout locked; nullopt if there is no such rollout.
  std::optional<CommandResult> command_rollout(int64_t id, RolloutCommand command, int64_t now);

  // --- tokens (the admin API's bearer tokens; only their SHA-256 is stored)
  int64_t add_token(const std::string& name, const std::string& sha256_hex, int64_t now, int64_t expires_at);
  enum class TokenCheck { valid, unknown, expired, revoked };
  TokenCheck check_token(const std::string& sha256_hex, int64_t now);
  bool revoke_token(int64_t id);
  std::vector<TokenView> list_tokens();

  // The cached firmware, targets and live rollouts (server/store/fleet_catalog.h).
  struct Catalog;

 private:
  void bump_revision();
  const Catalog& catalog();
  void settle_rollout(int64_t rollout_id, int64_t now);
  std::vector<Device> rollback_devices(int64_t rollout_id);
  void add_history(const std::string& mac, int64_t at, const std::string& event, int64_t firmware_id,
                   int64_t rollout_id, const std::string& detail);

  Database& db_;
  std::string instance_;
  std::unique_ptr<Catalog> catalog_;
  bool pinned_ = false;
  bool changed_ = false;  // bump_revision() ran since the catalog was read
};

}  // namespace otakit::server
