// The demo's devices: real device::Device objects on one io_context, each on its own loopback
// address (127.0.1.N) with flash in RAM, the factory image, a distinct chip id (so MAC), the
// verifier for the demo's key and a pull client checking the server every second. dev-1 also
// serves espota (password set), dev-2 its browser upload page; the rest are split into groups
// field-a and field-b, whose post-boot check fails under the new version. Every hook writes the
// device's story and a line in the live view; the drivers' own lines go to devices.log.
#pragma once
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/demo/device_story.h"
#include "cli/demo/firmware_kit.h"
#include "cli/demo/live_view.h"
#include "core/boot/rtc_memory.h"
#include "core/crypto/rsa_public_key.h"
#include "core/crypto/signature_verifier.h"
#include "device/device.h"
#include "net/clock.h"
#include "net/log_sinks.h"
#include "platform/posix/emulated_flash.h"

namespace otakit::cli::demo {

constexpr const char* kPushPassword = "demo-ota";  // dev-1's ArduinoOTA password

class DemoFleet {
 public:
  // Throws std::runtime_error when a device cannot be provisioned or cannot bind its address.
  DemoFleet(boost::asio::io_context& io, net::Clock& clock, const FirmwareKit& kit, int devices,
            const std::string& update_url, const std::string& log_path, LiveView& view);
  ~DemoFleet();
  DemoFleet(const DemoFleet&) = delete;
  DemoFleet& operator=(const DemoFleet&) = delete;

  void boot_all();  // each boots its factory image and checks in at once
  size_t size() const { return members_.size(); }
  DeviceStory& story(size_t i) { return members_[i]->story; }
  const DeviceStory& story(size_t i) const { return members_[i]->story; }
  device::Device& device(size_t i) { return *members_[i]->device; }
  std::vector<const DeviceStory*> stories() const;
  std::vector<DeviceStory*> in_group(const std::string& group);
  // Checks answered across the fleet: the rollout watcher looks again when it grows.
  uint64_t checks() const { return checks_; }
  const std::string& log_path() const { return log_path_; }

 private:
  struct Member {
    explicit Member(uint32_t flash_size) : flash(flash_size) {}
    posix::MemoryFlash flash;
    VolatileRtcMemory rtc;
    DeviceStory story;
    std::string last_withheld;  // a 304's reason is printed when it changes, not every second
    bool trial_passed = false;  // the post-boot check's verdict on the image on trial
    std::unique_ptr<device::Device> device;
  };
  std::unique_ptr<Member> make_member(int number, int count, const std::string& update_url);
  // fleet_hooks.cpp: what each protocol's callbacks and each boot write into the story and the view.
  void add_protocol_hooks(Member& m, device::NetworkAttachment& net);
  void watch_boots(Member& m);
  void checked_in(Member& m, const net::PullOutcome& outcome);

  boost::asio::io_context& io_;
  net::Clock& clock_;
  const FirmwareKit& kit_;
  LiveView& view_;
  std::string log_path_;
  std::FILE* log_file_ = nullptr;
  std::unique_ptr<net::LineSink> log_sink_;
  crypto::RsaPublicKey key_;
  std::unique_ptr<crypto::RsaSha256Verifier> verifier_;
  std::vector<std::unique_ptr<Member>> members_;
  uint64_t checks_ = 0;
};

}  // namespace otakit::cli::demo
