// What `otakit fleet` simulates: how many devices, where they check for updates, how often, and
// which faults hit them at what rates.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/crypto/signature_verifier.h"

namespace otakit::sim {

// Each rate is a probability in [0, 1] per event.
struct FaultRates {
  double power_cut = 0;    // per update: power goes at a random flash operation of it (download or swap)
  double drop = 0;         // per connection: closed after a random part of the server's answer
  double stall = 0;        // per connection: the answer stops for longer than the device waits
  double slow = 0;         // per connection: the answer trickles at slow_bytes_per_s
  double health_fail = 0;  // per device and new image: its post-boot check fails, the device rolls back
  uint32_t slow_bytes_per_s = 64 * 1024;
  bool on_the_link() const { return drop > 0 || stall > 0 || slow > 0; }
};

struct FleetConfig {
  int devices = 100;
  std::string update_url;       // the server's update URL (http://host:port/path)
  uint64_t seed = 1;            // identities, jitter and fault draws all follow from it
  uint32_t interval_ms = 10000; // between checks, spread by jitter
  double jitter = 0.5;          // each wait is interval * (1 +- jitter)
  unsigned threads = 0;         // event loops; 0: one per core
  std::string layout = "1M";
  std::vector<uint8_t> factory;  // the image every device starts with
  const crypto::SignatureVerifier* verifier = nullptr;  // signed updates only, when set
  uint32_t http_timeout_ms = 5000;  // the devices' connect, head and body-idle limits
  FaultRates faults;
};

}  // namespace otakit::sim
