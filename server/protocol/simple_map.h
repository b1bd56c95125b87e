// The simple mode (`otakit server --serve-dir DIR --map FILE`): the seed's PHP sketch done right.
// A mapping file names each device's binary; the same update rule as the fleet decides, and
// nothing is stored. Lines: `<STA MAC | chip id | default> <file in DIR> [version]`, '#' comments.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "server/fleet/model.h"
#include "server/protocol/update_endpoint.h"

namespace otakit::server {

struct SimpleMap {
  std::map<std::string, int64_t> by_mac;      // "AA:BB:..." → index into firmware
  std::map<uint32_t, int64_t> by_chip_id;
  int64_t fallback = -1;                      // "default", or -1
  std::vector<Firmware> firmware;
  std::vector<std::string> paths;             // the file of each firmware
};

// Reads the mapping and the binaries it names (MD5, size, the image's own version when it has an
// OTAKit descriptor). Throws std::runtime_error with "FILE:LINE: what is wrong" for a bad line,
// a file outside DIR, or a file that is not an ESP8266 image.
SimpleMap load_simple_map(const std::string& map_file, const std::string& serve_dir);

class SimpleCheckService final : public CheckService {
 public:
  explicit SimpleCheckService(const SimpleMap& map) : map_(map) {}
  CheckOutcome check(const CheckReport& report, int64_t now) override;
  std::string file_of(const Firmware& firmware) override;
  void download_ended(const CheckReport&, const CheckOutcome&, uint64_t, uint64_t, bool, int64_t) override {}

 private:
  const SimpleMap& map_;
};

}  // namespace otakit::server
