// The demo's signing key pair and its two firmware versions, made in process with the host
// library as `otakit keygen`, `otakit mkimage` and `otakit sign` make them, and kept as files in
// the demo's folder for anyone who wants to look at them.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace otakit::cli::demo {

struct FirmwareKit {
  std::string public_key_pem;
  std::string public_key_path;  // for the server's signed fleet
  std::vector<uint8_t> factory;  // 1.0.0, signed: every device starts on it
  std::vector<uint8_t> update;   // 2.0.0, signed: what every path brings
  std::string update_path;       // update.bin.signed in the folder
  std::string factory_version = "1.0.0";
  std::string update_version = "2.0.0";
};

// Writes private.key, public.key, factory.bin.signed and update.bin.signed into dir. Throws
// std::runtime_error when a file cannot be written or a signature does not verify.
FirmwareKit make_firmware_kit(const std::string& dir);

}  // namespace otakit::cli::demo
