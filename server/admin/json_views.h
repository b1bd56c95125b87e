// The JSON forms of the fleet's records, shared by the admin API, the dashboard and the CLI.
#pragma once
#include <nlohmann/json.hpp>

#include "server/fleet/model.h"
#include "server/store/fleet_store.h"

namespace otakit::server {

nlohmann::json to_json(const Device& d);
nlohmann::json to_json(const Firmware& f);
nlohmann::json to_json(const RolloutView& r);
nlohmann::json to_json(const HistoryEntry& h);
nlohmann::json to_json(const TargetView& t);
std::string threshold_text(const Threshold& t);  // "90%" or "3"

}  // namespace otakit::server
