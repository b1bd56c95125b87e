// Loading the simple mode's mapping file and deciding from it.
#include "server/protocol/simple_map.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "core/http/device_report.h"
#include "files/file_io.h"
#include "server/fleet/firmware_intake.h"

namespace otakit::server {
namespace {

bool parse_mac_key(const std::string& text, std::string* out) {
  uint8_t bytes[6];
  if (!http::parse_mac(text.data(), text.size(), bytes)) return false;
  char mac[18];
  http::format_mac(bytes, mac);
  *out = mac;
  return true;
}

bool parse_chip_id(const std::string& text, uint32_t* out) {
  if (text.empty() || text.size() > 10 || text.find_first_not_of("0123456789") != std::string::npos) return false;
  const uint64_t n = std::stoull(text);
  if (n > 0xFFFFFFFFu) return false;
  *out = static_cast<uint32_t>(n);
  return true;
}

}  // namespace

SimpleMap load_simple_map(const std::string& map_file, const std::string& serve_dir) {
  std::ifstream in(map_file);
  if (!in) throw std::runtime_error(fmt::format("cannot read the mapping file {}", map_file));
  const std::filesystem::path root = std::filesystem::weakly_canonical(serve_dir);
  SimpleMap map;
  std::map<std::string, int64_t> loaded;  // file name → index
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const auto where = [&](const std::string& what) {
      return std::runtime_error(fmt::format("{}:{}: {}", map_file, number, what));
    };
    if (const size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream words(line);
    std::string key, file, version, extra;
    if (!(words >> key)) continue;
    if (!(words >> file)) throw where("a device needs a binary: `<MAC | chip id | default> <file> [version]`");
    words >> version;
    if (words >> extra) throw where(fmt::format("unexpected '{}' after the version", extra));
    const std::filesystem::path path = std::filesystem::weakly_canonical(root / file);
    const auto relative = path.lexically_relative(root);
    if (relative.empty() || *relative.begin() == "..")
      throw where(fmt::format("{} is outside the served folder {}", file, serve_dir));
    const std::string cache_key = path.string() + "\n" + version;
    int64_t index;
    if (auto it = loaded.find(cache_key); it != loaded.end()) {
      index = it->second;
    } else {
      std::vector<uint8_t> bytes;
      try {
        bytes = files::read_file(path.string());
      } catch (const std::exception& e) {
        throw where(e.what());
      }
      const IntakeResult r = inspect_upload(bytes, IntakeRequest{path.filename().string(), version, ImageKind::sketch},
                                            FleetKeys());
      if (!r.ok) throw where(fmt::format("{}: {}", file, r.error));
      index = static_cast<int64_t>(map.firmware.size());
      Firmware fw = r.firmware;
      fw.id = index + 1;
      map.firmware.push_back(fw);
      map.paths.push_back(path.string());
      loaded[cache_key] = index;
    }
    std::string mac;
    uint32_t chip_id = 0;
    if (key == "default") {
      if (map.fallback >= 0) throw where("a second default line");
      map.fallback = index;
    } else if (parse_mac_key(key, &mac)) {
      if (!map.by_mac.emplace(mac, index).second) throw where(fmt::format("{} is mapped twice", mac));
    } else if (parse_chip_id(key, &chip_id)) {
      if (!map.by_chip_id.emplace(chip_id, index).second) throw where(fmt::format("chip id {} is mapped twice", key));
    } else {
      throw where(fmt::format("'{}' is neither a MAC (18:FE:34:AA:BB:CC), a chip id nor 'default'", key));
    }
  }
  return map;
}

CheckOutcome SimpleCheckService::check(const CheckReport& report, int64_t) {
  int64_t index = map_.fallback;
  if (auto it = map_.by_mac.find(report.sta_mac); it != map_.by_mac.end()) index = it->second;
  else if (auto c = map_.by_chip_id.find(report.chip_id); c != map_.by_chip_id.end()) index = c->second;
  Target target;
  if (index >= 0) {
    target.firmware = &map_.firmware[static_cast<size_t>(index)];
    target.source = "the mapping file";
  }
  CheckOutcome out;
  out.decision = decide_update(DecisionInputs{report, 0, false}, target);
  if (out.decision.answer == Answer::offer) out.firmware = *target.firmware;
  return out;
}

std::string SimpleCheckService::file_of(const Firmware& firmware) {
  return map_.paths.at(static_cast<size_t>(firmware.id - 1));
}

}  // namespace otakit::server
