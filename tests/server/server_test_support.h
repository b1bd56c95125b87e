// Shared helpers for the server's tests: images, temporary folders, checks as devices send them.
#pragma once
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "host/image_builder.h"
#include "server/fleet/model.h"

namespace otakit::server::test {

inline std::vector<uint8_t> image(uint32_t size, const std::string& version, uint32_t security_version = 0,
                                  uint64_t seed = 1) {
  host::ImageSpec spec;
  spec.total_size = size;
  spec.version = version;
  spec.security_version = security_version;
  spec.seed = seed;
  return host::build_esp_image(spec);
}

// A fresh folder under the test's temporary directory, unique per call.
inline std::string temp_dir(const std::string& name) {
  static std::atomic<int> counter{0};
  const auto dir = std::filesystem::temp_directory_path() /
                   ("otakit-test-" + name + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

// The check a device with this index sends while running `md5`.
inline CheckReport device_check(int index, const std::string& md5, const std::string& version = "") {
  CheckReport r;
  char mac[18];
  std::snprintf(mac, sizeof(mac), "18:FE:34:%02X:%02X:%02X", (index >> 16) & 0xFF, (index >> 8) & 0xFF, index & 0xFF);
  r.sta_mac = mac;
  std::snprintf(mac, sizeof(mac), "1A:FE:34:%02X:%02X:%02X", (index >> 16) & 0xFF, (index >> 8) & 0xFF, index & 0xFF);
  r.ap_mac = mac;
  r.chip_id = static_cast<uint32_t>(0x100000 + index);
  r.free_space = 1044480;
  r.sketch_size = 300000;
  r.sketch_md5 = md5;
  r.chip_size = 4194304;
  r.sdk_version = "2.2.2-dev(38a443e)";
  r.version = version;
  r.address = "127.0.0.1";
  return r;
}

}  // namespace otakit::server::test
