// The host side of mDNS: finds espota devices (`_arduino._tcp.local`) on one interface by
// querying for a bounded time and collecting the answers (`otakit discover`, `upload --all`).
#pragma once
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "net/clock.h"
#include "net/log.h"

namespace otakit::net {

struct DiscoveredDevice {
  std::string name;      // service instance label, e.g. "esp8266-ee1337" (unprintable bytes as \DDD)
  std::string hostname;  // SRV target, e.g. "esp8266-ee1337.local"
  std::string address;   // IPv4 of the SRV target
  uint16_t port = 0;     // espota UDP port
  std::string board;     // TXT board, "" when absent
  std::optional<bool> auth;  // TXT auth_upload: yes -> true, no -> false, absent/other -> nullopt
  std::vector<std::pair<std::string, std::string>> txt;  // every TXT entry, in record order
};

struct DiscoveryResult {
  std::string interface_name;     // e.g. "eth0"
  std::string interface_address;  // the address queries were sent from
  std::vector<DiscoveredDevice> devices;  // complete ones (address and port known), sorted by name
  std::size_t incomplete = 0;     // services seen whose address or port never arrived
};

struct DiscoveryOptions {
  std::string interface_address;  // as choose_multicast_interface() takes it ("" = the default one)
  std::chrono::milliseconds timeout{3000};
  std::size_t max_devices = 1024;
  Logger log;
};

class MdnsDiscovery {
 public:
  using Done = std::function<void(DiscoveryResult)>;

  // The queries' schedule and the timeout run on clock.
  MdnsDiscovery(boost::asio::io_context& io, Clock& clock, DiscoveryOptions options);
  ~MdnsDiscovery();

  // Opens the socket (throws like MdnsSocket::open / find_multicast_interface) and queries at
  // 0, 0.5, 1.5, 3.5 s... until the timeout; then calls `done` once. Devices that said goodbye
  // are left out.
  void start(Done done);
  void cancel();  // stops without calling `done`

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

// Runs a discovery on a private io_context in real time and returns its result (for one-shot commands).
DiscoveryResult discover_devices(const DiscoveryOptions& options);

}  // namespace otakit::net
