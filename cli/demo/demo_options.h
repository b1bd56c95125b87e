// What `otakit demo` can be told; everything else is an embedded default.
#pragma once
#include <cstdint>
#include <string>

namespace otakit::cli::demo {

constexpr int kMinDevices = 6;  // one per path, and two per rollout group

struct DemoOptions {
  uint16_t port = 18070;      // the fleet server's; 0: any free port
  std::string dir = "out/demo";  // wiped at start
  int devices = 8;
  bool no_wait = false;       // exit after the table instead of serving the dashboard
  bool json = false;          // the table as JSON on stdout; the live view goes to stderr
  uint32_t step_timeout_s = 60;  // the longest any one step may take
};

}  // namespace otakit::cli::demo
