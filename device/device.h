// One ESP8266 as an object: the boot loader, the OTA API (core/ota/ota.h) and, when it is attached
// to a network, the espota responder, the upload page, the pull client and the mDNS advertisement
// of what it serves, all built from parts it is given
// (flash, RTC memory, boot options, verifier, an io_context, a clock, a random source, a log and
// the address it binds). A reboot runs the boot path again on
// the same flash inside the process; the device opens no file, owns no thread and reads no clock
// of its own, so one process holds many, in real or simulated time.
#pragma once
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/boot/loader.h"
#include "core/crypto/signature_verifier.h"
#include "core/ota/ota.h"
#include "net/clock.h"
#include "net/espota_responder.h"
#include "net/http_update_server.h"
#include "net/mdns_hub.h"
#include "net/mdns_service.h"
#include "net/pull_client.h"

namespace otakit::device {

struct DeviceParts {
  Flash& flash;
  RtcMemory& rtc;
  const FlashLayout& layout;
  BootOptions boot;                                    // trial boots, the inflater for gzip images
  const crypto::SignatureVerifier* verifier = nullptr; // nullptr: unsigned images are accepted
  uint32_t chip_id = 0;                                // ESP.getChipId(): the page and the pull client report it
  std::string sdk_version = "2.2.2-dev(38a443e)";     // ESP.getSdkVersion() of the ESP8266 core 3.x, x-ESP8266-sdk-version
};

// A sketch that pulls its updates (ESP8266httpUpdate): once after each boot, then every
// interval_ms (0: only when Device::pull_now() is called), rebooting after a staged sketch
// update as rebootOnUpdate does. A download that a reset or power cut broke off continues from
// the record in the flash's resume sector (FlashLayout::resume_record_address()).
struct DevicePullOptions {
  net::PullClientOptions client;
  bool at_boot = true;
  uint32_t interval_ms = 0;
  bool reboot_on_update = true;
};

// What runs after a boot, as `otakit device` prints it, the state file records it and the update
// page and the pull client report it.
struct RunningImage {
  uint32_t size = 0;
  std::string md5;
  std::string sha256;
  std::string version;  // from the OTAKit descriptor; empty when it has none
  uint32_t security_version = 0;
};

// Where the device's protocol ports live. Without an io_context the device has no network; with
// one it needs a clock too (both outlive the device).
struct NetworkAttachment {
  boost::asio::io_context* io = nullptr;
  net::Clock* clock = nullptr;         // the responder's timeouts and delays
  // ArduinoOTA: bind address (the device's own), port, password, log, random; empty: not served.
  std::optional<net::EspotaResponderOptions> espota = net::EspotaResponderOptions{};
  net::EspotaHooks hooks;              // observers; the device itself reboots after an OTA update
  // The browser upload page (ESP8266HTTPUpdateServer); its status comes from the device.
  std::optional<net::HttpUpdateServerOptions> web;
  // The same page over HTTPS (ESP8266HTTPUpdateServerSecure; its options' https set), alone or
  // beside the plain one. Both feed the one Updater: an upload on one port while the other's
  // runs is refused (409).
  std::optional<net::HttpUpdateServerOptions> web_https;
  net::HttpUpdateHooks web_hooks;  // observers of both pages; the device itself reboots after an upload
  // The pull client; its outcomes go to pull_done, its callbacks to pull_hooks.
  std::optional<DevicePullOptions> pull;
  net::PullHooks pull_hooks;
  std::function<void(const net::PullOutcome&)> pull_done;
  // Advertise over mDNS what the device serves, under one hostname: _arduino._tcp when espota runs
  // (the SRV port is the responder's; auth follows the password) and _http._tcp when the upload
  // page does (the SRV port is the web server's, TXT path=<its path>), as a sketch that calls
  // MDNS.addService("http", "tcp", 80) beside ArduinoOTA. Services listed in the config itself come
  // after those two.
  std::optional<net::MdnsAdvertiserConfig> mdns;
  // The process's one mDNS socket for the interface, shared by every device on it (net/mdns_hub.h);
  // null: the device opens its own, as a lone `otakit device` does.
  std::shared_ptr<net::MdnsHub> mdns_hub;
};

class Device {
 public:
  // Throws std::invalid_argument for a network attachment with an io_context but no clock.
  explicit Device(const DeviceParts& parts, NetworkAttachment network = {});
  ~Device();
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  // Runs the boot path; on a bootable result the application starts: services open, and a trial
  // image is confirmed when auto_confirm is set (as a sketch that started its services would).
  BootReport boot();
  // A reset: services close, RTC memory survives, the boot path runs again.
  BootReport reboot();
  // The power goes away and comes back: RTC memory is lost, then the boot path runs.
  BootReport power_cycle();

  // Factory install of the first image (the boot loader's provision); boot() then runs it.
  bool provision(const std::vector<uint8_t>& image);

  // The application's calls (core/ota/ota.h). stage() feeds a whole image through the Updater in
  // chunks of `chunk` bytes (takes effect at the next reboot); rollback() gives up on a trial
  // image, which the next boot swaps back.
  bool stage(const std::vector<uint8_t>& image, UpdateCommand command = UpdateCommand::flash, uint32_t chunk = 1460);
  bool confirm() { return ota_->mark_valid(); }
  bool rollback() { return ota_->roll_back(); }

  void set_auto_confirm(bool on) { auto_confirm_ = on; }
  // The sketch's post-boot check of a trial image, in place of auto_confirm: true confirms the
  // image; false gives it up (roll_back) and resets, so the previous image runs again. It runs
  // before the services start, as a sketch checks its sensors before it calls mark_valid().
  void set_health_check(std::function<bool(const RunningImage&)> check) { health_check_ = std::move(check); }
  // Called after every boot (the first, each reboot after an OTA update, each power cycle).
  void on_boot(std::function<void(const BootReport&)> observer) { on_boot_ = std::move(observer); }

  const BootReport& last_boot() const { return last_boot_; }
  // The image that runs since the last boot (its MD5 and version are read from flash at boot).
  const RunningImage& running_image() const { return running_; }
  // ESP.getFreeSketchSpace(): the largest firmware image an update may bring now.
  uint32_t free_sketch_space() const;
  uint32_t boots() const { return boots_; }
  // The running image came back by a rollback at the last boot and no update began since:
  // the pull client reports it (x-OTAKit-image: rolled-back) so that a server counts a failure.
  bool rolled_back() const { return rolled_back_; }
  // Valid from the first boot() on; a new one after every boot, as after a reset.
  Ota& ota() { return *ota_; }
  const Ota& ota() const { return *ota_; }
  Updater& updater() { return ota_->updater(); }
  // Changes (boot options, verifier) take effect at the next boot.
  DeviceParts& parts() { return parts_; }
  net::EspotaResponder* espota() { return responder_.get(); }
  net::MdnsAdvertiser* mdns() { return mdns_.get(); }
  net::HttpUpdateServer* web() { return web_.get(); }
  net::HttpUpdateServer* web_https() { return web_https_.get(); }
  net::PullClient* pull() { return pull_.get(); }
  // Checks for an update now (ESPhttpUpdate.update()); false without a pull client, or while
  // one pull runs. The outcome goes to the attachment's pull_done.
  bool pull_now();
  // What the pull client reports in its x-ESP8266-* headers. The MACs are derived from the chip
  // id, whose 24 bits are a real ESP8266's last three STA MAC bytes (Espressif's 5C:CF:7F OUI;
  // the soft-AP's is the locally administered 5E:CF:7F).
  net::PullDeviceFacts pull_facts() const;

 private:
  void start_services();
  void stop_services();
  std::unique_ptr<net::HttpUpdateServer> start_web(const net::HttpUpdateServerOptions& page);
  void start_pull();
  void pull_finished(const net::PullOutcome& outcome);
  void reboot_later();
  RunningImage read_running_image() const;

  DeviceParts parts_;
  NetworkAttachment network_;
  std::unique_ptr<Ota> ota_;
  std::unique_ptr<net::EspotaResponder> responder_;
  std::unique_ptr<net::HttpUpdateServer> web_;
  std::unique_ptr<net::HttpUpdateServer> web_https_;
  std::unique_ptr<net::MdnsAdvertiser> mdns_;
  std::unique_ptr<UpdaterSink> pull_sink_;
  std::unique_ptr<pull::FlashResumeStore> resume_store_;
  std::unique_ptr<net::PullClient> pull_;
  std::unique_ptr<net::Timer> pull_timer_;
  std::function<void(const BootReport&)> on_boot_;
  std::function<bool(const RunningImage&)> health_check_;
  BootReport last_boot_;
  RunningImage running_;
  uint32_t boots_ = 0;
  bool auto_confirm_ = true;
  bool rolled_back_ = false;
};

}  // namespace otakit::device
