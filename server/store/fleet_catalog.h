// The few records every check reads (firmware, targets, live rollouts), cached per store and
// reloaded when fleet_revision moves: admin changes and rollout steps bump it, on any instance.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "server/fleet/model.h"
#include "server/rollout/rollout_policy.h"
#include "server/store/database.h"
#include "server/store/fleet_store.h"

namespace otakit::server {

struct CatalogRollout {
  int64_t id = 0;
  int64_t firmware_id = 0;
  RolloutStatus status;
  RolloutRules rules;
  int64_t created_at = 0;
};

struct FleetStore::Catalog {
  int64_t revision = -1;
  std::map<int64_t, Firmware> firmware;            // by id
  std::map<std::string, int64_t> firmware_by_md5;  // sketch images
  std::map<std::string, TargetView> targets;       // by scope
  std::map<int64_t, CatalogRollout> rollouts;      // the ones a device can be targeted by

  void load(Database& db, int64_t revision);
  const Firmware* find(int64_t id) const;
};

Firmware firmware_from_row(const Row& row);
extern const char* const kFirmwareColumns;

// Rules and filters live as JSON text in the rollouts table.
std::string rules_to_json(const RolloutRules& rules);
RolloutRules rules_from_json(const std::string& text);
std::string filter_to_json(const DeviceFilter& filter);
DeviceFilter filter_from_json(const std::string& text);

}  // namespace otakit::server
