#include "device/loopback_fleet.h"

#include <cstring>
#include <stdexcept>

namespace otakit::device {

bool FleetMember::runs(const std::vector<uint8_t>& image) {
  const BootState& s = device->ota().state();
  return s.has_active && s.active.size == image.size() && std::memcmp(flash.bytes().data(), image.data(), image.size()) == 0;
}

std::string LoopbackFleet::address_of(int index) {
  return "127.0." + std::to_string(1 + index / 254) + "." + std::to_string(1 + index % 254);
}

LoopbackFleet::LoopbackFleet(boost::asio::io_context& io, net::Clock& clock, const FlashLayout& layout, int devices,
                             const std::vector<uint8_t>& factory, net::LogSink* log, bool advertise) {
  std::shared_ptr<net::MdnsHub> mdns_hub;
  posix::MemoryFlash provisioned(layout.flash_size);
  VolatileRtcMemory rtc;
  if (!BootLoader(provisioned, layout, rtc).provision(factory.data(), uint32_t(factory.size())))
    throw std::runtime_error("the factory image is not an image this layout accepts");
  for (int i = 0; i < devices; ++i) {
    auto member = std::make_unique<FleetMember>(layout);
    member->flash.bytes() = provisioned.bytes();
    member->address = address_of(i);
    NetworkAttachment net;
    net.io = &io;
    net.clock = &clock;
    net.espota->bind_address = member->address;
    net.espota->linger_ms = 200;  // loopback uploaders close at once
    net.espota->log = net::Logger(log, identity_of(member->address));
    if (advertise) {
      if (!mdns_hub) mdns_hub = net::MdnsHub::open(io, "127.0.0.1", net::Logger(log, "fleet-mdns"));
      net::MdnsAdvertiserConfig mdns;
      mdns.interface_address = member->address;
      mdns.hostname = hostname_of(member->address);
      mdns.log = net.espota->log;
      net.mdns = mdns;
      net.mdns_hub = mdns_hub;
    }
    member->device = std::make_unique<Device>(DeviceParts{member->flash, member->rtc, layout, {}, nullptr}, std::move(net));
    member->device->on_boot([this](const BootReport&) {
      std::lock_guard<std::mutex> lock(mutex_);
      ++boots_;
      booted_.notify_all();
    });
    if (!member->device->boot().bootable) throw std::runtime_error("device " + member->address + " did not boot");
    members_.push_back(std::move(member));
  }
}

bool LoopbackFleet::wait_for_boots(uint64_t count, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  return booted_.wait_for(lock, timeout, [&] { return boots_ >= count; });
}

uint64_t LoopbackFleet::boots() {
  std::lock_guard<std::mutex> lock(mutex_);
  return boots_;
}

}  // namespace otakit::device
