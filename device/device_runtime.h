// `otakit device`: the shell around one device::Device on a flash file (VirtualDevice): the lock,
// the state file, the control socket and the console lines, on one io_context in real time until
// stopped. The device serves espota (and mDNS) itself and reboots in-process, as after an update.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "device/virtual_device.h"
#include "net/log.h"

namespace otakit::device {

// The device's network services: espota on bind_address:port, and mDNS when asked.
struct NetworkServicesConfig {
  std::string bind_address = "127.0.0.1";
  uint16_t port = 0;          // espota's UDP port; 0: no espota
  uint16_t http_port = 0;     // the browser upload page's TCP port; 0: no page
  std::string http_path = "/update";
  std::string http_user;      // Basic auth when both are set
  std::string http_password;
  std::string password;       // plain text; hashed with MD5 as ArduinoOTA does
  std::string password_hash;  // or the MD5 hex of the password
  std::string hostname;       // default esp8266-<chip id>
  std::string board = "generic";
  bool mdns = false;
  std::string mdns_interface_address;  // the interface to advertise on (default: bind_address)
};

struct RuntimeConfig {
  DeviceConfig device;
  std::optional<NetworkServicesConfig> services;  // no network when empty
  bool once = false;                    // boot, report, exit
  bool confirm = true;                  // the application confirms a trial image once it runs
  bool json = false;
  net::Logger log;      // the drivers' lines (espota, mDNS)
  net::Logger console;  // what the sketch prints on its serial port: the "ota: ..." lines
};

// Returns the process exit code. Throws DeviceInputError for a flash file or key it cannot use
// (including a flash with no bootable image), std::runtime_error for other failures.
int run_device(const RuntimeConfig& config);

}  // namespace otakit::device
