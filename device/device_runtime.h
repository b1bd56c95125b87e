// `otakit device`: the shell around one device::Device on a flash file (VirtualDevice): the lock,
// the state file, the control socket and the console lines, on one io_context in real time until
// stopped. The device serves espota (and mDNS) itself and reboots in-process, as after an update.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "device/virtual_device.h"
#include "net/log.h"
#include "net/pull_client.h"

namespace otakit::device {

// The pull client (`--update-url`): a sketch calling ESPhttpUpdate.update() at boot and then
// every interval.
struct PullServiceConfig {
  std::string url;
  uint32_t interval_s = 0;   // 0: once after each boot
  bool filesystem = false;   // updateFS()
  std::string version;       // x-ESP8266-version (default: the running image's)
  std::string user;          // Basic auth
  std::string password;
  std::string ca_file;       // https: trust these CAs (PEM) ...
  std::string pin_sha256;    //   or this public key: hex or curl's "sha256//<base64>" ...
  std::string fingerprint;   //   or this certificate's SHA-1 (hex, ':' or ' ' between bytes)
  std::string redirects = "off";  // off, strict, force (setFollowRedirects)
  uint32_t redirect_limit = 10;  // 0..255
  uint32_t tls_buffer = 0;   // bytes; 0: the default (2 KiB records)
  uint32_t max_resumes = 3;     // 0..255
  uint32_t timeout_s = 0;    // setTimeout: connect (TLS included), head and body idle limit; 0: 8, 8 and 60 s
};

// The device's network services: espota on bind_address:port, and mDNS when asked.
struct NetworkServicesConfig {
  std::string bind_address = "127.0.0.1";
  uint16_t port = 0;          // espota's UDP port; 0: no espota
  uint16_t http_port = 0;     // the browser upload page's TCP port; 0: no page
  uint16_t https_port = 0;    // the same page over HTTPS (alone or beside it); 0: none
  std::string https_cert;     // its certificate chain (PEM, the server's first) ...
  std::string https_key;      //   and private key (PEM, EC or RSA, not encrypted)
  std::string http_path = "/update";  // path and credentials of both pages
  std::string http_user;      // Basic auth when both are set
  std::string http_password;
  std::string password;       // plain text; hashed with MD5 as ArduinoOTA does
  std::string password_hash;  // or the MD5 hex of the password
  std::string hostname;       // default esp8266-<chip id>
  std::string board = "generic";
  bool mdns = false;  // advertise what is served: _arduino._tcp (espota), _http._tcp (the page)
  std::string mdns_interface_address;  // the interface to advertise on (default: bind_address)
  std::optional<PullServiceConfig> pull;
};

struct RuntimeConfig {
  DeviceConfig device;
  std::optional<NetworkServicesConfig> services;  // no network when empty
  bool once = false;                    // boot, report, exit
  bool confirm = true;                  // the application confirms a trial image once it runs
  bool json = false;
  bool print_boot = true;  // the boot report on stdout (text, or JSON with json)
  net::Logger log;      // the drivers' lines (espota, mDNS)
  net::Logger console;  // what the sketch prints on its serial port: the "ota: ..." lines
  // `otakit device pull`: one pull after the boot, then (after the reboot a staged sketch update
  // brings) exit. Every pull's outcome goes to on_pull.
  bool exit_after_pull = false;
  std::function<void(const net::PullOutcome&)> on_pull;
  // Progress of each pull, e.g. for a progress bar (besides the console lines).
  std::function<void(uint32_t done, uint32_t total)> on_pull_progress;
};

// Returns the process exit code. Throws DeviceInputError for a flash file or key it cannot use
// (including a flash with no bootable image), std::runtime_error for other failures.
int run_device(const RuntimeConfig& config);

}  // namespace otakit::device
