#include "device/device_state.h"

#include <fmt/format.h>
#include <unistd.h>

#include <stdexcept>

#include "core/util/hex.h"
#include "files/file_io.h"

namespace otakit::device {
namespace {

const char* phase_name(BootPhase phase) {
  switch (phase) {
    case BootPhase::idle: return "confirmed";
    case BootPhase::swapping: return "swapping";
    case BootPhase::trial: return "trial";
  }
  return "unknown";
}

}  // namespace

nlohmann::json boot_state_json(VirtualDevice& device, const BootReport& report) {
  RunningImage image = device.running_image();
  const BootState& s = device.ota().state();
  nlohmann::json j;
  j["pid"] = ::getpid();
  j["flash"] = device.files().flash;
  j["layout"] = device.layout().name;
  j["chip_id"] = fmt::format("{:06x}", device.chip_id());
  j["boot"] = {{"action", describe(report.action)},
               {"journal", describe(report.journal)},
               {"command", describe(report.command)},
               {"detail", report.detail},
               {"bootable", report.bootable}};
  j["image"] = {{"size", image.size},
                {"md5", image.md5},
                {"sha256", image.sha256},
                {"version", image.version},
                {"security_version", image.security_version}};
  j["state"] = {{"phase", phase_name(s.phase)},
                {"trial_boots", s.trial_boots},
                {"min_security_version", s.min_security_version},
                {"updates", s.updates},
                {"rollbacks", s.rollbacks},
                {"rollback_available", s.phase == BootPhase::trial && s.has_previous}};
  j["free_sketch_space"] = free_sketch_space(device.layout(), image.size);
  return j;
}

void write_state_file(const std::string& path, const nlohmann::json& state) {
  std::string text = state.dump(2) + "\n";
  files::write_file_atomic(path, reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

nlohmann::json read_state_file(const std::string& path) {
  if (!files::file_exists(path))
    throw std::runtime_error("no state file " + path + ": start the device once with `otakit device --flash ...`");
  files::Bytes bytes = files::read_file(path);
  auto j = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (j.is_discarded()) throw std::runtime_error("state file " + path + " is not valid JSON");
  return j;
}

std::string describe_state(const nlohmann::json& s) {
  const auto& img = s["image"];
  std::string version = img["version"].get<std::string>();
  std::string out = fmt::format("boot:    {}", s["boot"]["action"].get<std::string>());
  std::string detail = s["boot"]["detail"].get<std::string>();
  if (!detail.empty()) out += " (" + detail + ")";
  out += fmt::format("\nimage:   {} bytes, md5 {}{}\n", img["size"].get<uint32_t>(), img["md5"].get<std::string>(),
                     version.empty() ? "" : ", version " + version);
  out += fmt::format("state:   {}", s["state"]["phase"].get<std::string>());
  if (s["state"]["phase"] == "trial")
    out += fmt::format(" (boot {} of the trial; confirm it or it rolls back)", s["state"]["trial_boots"].get<uint32_t>());
  out += fmt::format("\nlayout:  {}, free sketch space {} bytes, chip {}\n", s["layout"].get<std::string>(),
                     s["free_sketch_space"].get<uint32_t>(), s["chip_id"].get<std::string>());
  return out;
}

}  // namespace otakit::device
