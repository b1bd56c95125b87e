// A fleet of in-process devices for tests and benchmarks: each with flash in RAM, provisioned with
// the same factory image, on its own loopback address (127.0.x.y) at port 8266, all on one
// io_context and one clock, each logging as "dev-<address>". Counts boots so a caller can wait
// for reboots without sleeping.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "device/device.h"
#include "net/clock.h"
#include "net/log.h"
#include "platform/posix/emulated_flash.h"

namespace otakit::device {

struct FleetMember {
  explicit FleetMember(const FlashLayout& layout) : flash(layout.flash_size) {}
  posix::MemoryFlash flash;
  VolatileRtcMemory rtc;
  std::string address;
  std::unique_ptr<Device> device;

  bool runs(const std::vector<uint8_t>& image);  // the primary holds exactly image, as the journal says
};

class LoopbackFleet {
 public:
  // The devices' lines go to log (nowhere when it is null). Throws std::runtime_error when the
  // factory image is refused or a device cannot bind.
  // With advertise, every device announces itself over mDNS as esp8266-<its address> through one
  // socket (a net::MdnsHub on lo) that answers for all of them.
  LoopbackFleet(boost::asio::io_context& io, net::Clock& clock, const FlashLayout& layout, int devices,
                const std::vector<uint8_t>& factory, net::LogSink* log = nullptr, bool advertise = false);

  static std::string address_of(int index);  // 127.0.1.1, 127.0.1.2, ... 127.0.2.1 after 254
  static std::string identity_of(const std::string& address) { return "dev-" + address; }
  // esp8266-127-0-1-5: one DNS label per device.
  static std::string hostname_of(std::string address) {
    for (char& c : address)
      if (c == '.') c = '-';
    return "esp8266-" + address;
  }
  FleetMember& operator[](size_t i) { return *members_[i]; }
  size_t size() const { return members_.size(); }
  // Blocks until the fleet has booted `count` times in all (the first boots count), or the timeout.
  bool wait_for_boots(uint64_t count, std::chrono::milliseconds timeout);
  uint64_t boots();

 private:
  std::vector<std::unique_ptr<FleetMember>> members_;
  std::mutex mutex_;
  std::condition_variable booted_;
  uint64_t boots_ = 0;
};

}  // namespace otakit::device
