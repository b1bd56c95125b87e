// What the server checks before a firmware enters the catalog: the device's own acceptance rule
// (core/image), the signature against the fleet's public keys when it has any (then unsigned
// images are refused), and the facts a check needs (MD5, SHA-256, version, security version,
// declared flash size).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "server/fleet/model.h"

namespace otakit::crypto {
class RsaPublicKey;
}

namespace otakit::server {

class FleetKeys {
 public:
  FleetKeys();
  ~FleetKeys();
  FleetKeys(FleetKeys&&) noexcept;
  // Loads one PEM/DER public key; throws std::runtime_error naming the file and the reason.
  void add_file(const std::string& path);
  bool empty() const { return keys_.empty(); }
  const std::vector<std::unique_ptr<crypto::RsaPublicKey>>& keys() const { return keys_; }

 private:
  std::vector<std::unique_ptr<crypto::RsaPublicKey>> keys_;
};

struct IntakeRequest {
  std::string name;     // file name as uploaded; reduced to a safe base name
  std::string version;  // overrides the descriptor's version when not empty
  ImageKind kind = ImageKind::sketch;
};

struct IntakeResult {
  bool ok = false;
  std::string error;  // one sentence with what to do, when !ok
  Firmware firmware;  // id and uploaded_at are the store's
};

IntakeResult inspect_upload(const std::vector<uint8_t>& bytes, const IntakeRequest& request, const FleetKeys& keys);

// "../../etc/passwd" → nullopt-like empty string; keeps [A-Za-z0-9._-], at most 100 characters,
// no leading dot. Empty when nothing safe remains.
std::string safe_file_name(const std::string& name);

}  // namespace otakit::server
