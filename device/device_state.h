// The JSON state a virtual device publishes after each boot and event (<flash>.state.json),
// read by `otakit device status` and by tests without talking to the process.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "core/boot/loader.h"
#include "device/virtual_device.h"

namespace otakit::device {

nlohmann::json boot_state_json(VirtualDevice& device, const BootReport& report);
// Atomically replaces the state file (readers never see half a file).
void write_state_file(const std::string& path, const nlohmann::json& state);
// Throws std::runtime_error when the file is missing or not JSON, with what to do.
nlohmann::json read_state_file(const std::string& path);
// The human-readable summary `otakit device` prints after a boot.
std::string describe_state(const nlohmann::json& state);

}  // namespace otakit::device
