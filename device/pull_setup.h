// From `otakit device --update-url ...` to the device's pull client: the trust for https (a CA
// file, a public key pin or a certificate fingerprint), the redirect policy, the console lines
// a sketch's ESPhttpUpdate callbacks would print.
#pragma once
#include <optional>
#include <string>

#include "device/device.h"
#include "device/device_runtime.h"
#include "platform/posix/trust_anchors.h"

namespace otakit::device {

// The options and the CA certificates they point at (anchors must outlive the device).
struct PullSetup {
  DevicePullOptions options;
  std::optional<posix::TrustAnchors> anchors;
};

// Throws DeviceInputError naming the flag for a CA file, pin, fingerprint or redirect policy
// that cannot be used.
PullSetup pull_setup_for(const PullServiceConfig& config, const net::Logger& log);

// "pull: start", "pull: 25% (...)", "pull: end, image staged", and the seed sketch's
// "HTTP_UPDATE_FAILED Error (-102): File Not Found (404)" for each outcome.
net::PullHooks pull_console_hooks(const net::Logger& console);
void print_pull_outcome(const net::Logger& console, const net::PullOutcome& outcome);

// "AA:BB:...", "aabb..." or "aa bb ..." into exactly `size` bytes; false when it is not that.
bool parse_hex_bytes(const std::string& text, uint8_t* out, size_t size);

}  // namespace otakit::device
