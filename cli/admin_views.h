// How `otakit publish`, `rollout` and `devices` show the admin API's JSON to a person: relative
// times, a rollout's deployment groups as text progress bars (hawkBit's words), tables. Scripts
// read --json instead, so this text may change.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace otakit::cli {

int64_t now_ms();
// "12 s ago", "3 min ago", "5 h ago", "2 d ago"; "never" for 0.
std::string ago(int64_t at_ms, int64_t now);
// "300001 bytes (293 KiB)".
std::string size_text(uint64_t bytes);

// A rollout (GET /api/rollouts/{id}): its state, then one bar per deployment group, then what an
// operator can do next.
void print_rollout(const nlohmann::json& rollout);
// The list (GET /api/rollouts), one line each.
void print_rollout_table(const nlohmann::json& rollouts);

// Devices (GET /api/devices) as a table, and one device with its history (GET /api/devices/{mac}).
void print_device_table(const nlohmann::json& devices);
void print_device(const nlohmann::json& device);

}  // namespace otakit::cli
