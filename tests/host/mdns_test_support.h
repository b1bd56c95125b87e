// For the mDNS host tests: a private network namespace per test (only lo, made multicast-capable),
// a count of this process's sockets on a port, a ManualClock moved from one timer to the next
// while the sockets' datagrams are handled, and a DNS-SD browser of any service type on lo.
#pragma once
#include <gtest/gtest.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/mdns/mdns_browser.h"
#include "net/manual_clock.h"
#include "net/mdns_socket.h"

namespace otakit::net {

struct PortSockets {
  std::size_t count = 0;
  uint64_t drops = 0;  // datagrams they lost to a full receive buffer
};

// This process's UDP sockets bound to `port`: the rows of /proc/self/net/udp (this namespace's
// sockets) whose inode is also among /proc/self/fd.
inline PortSockets own_udp_sockets_on(uint16_t port) {
  std::set<std::string> inodes;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    std::string target = std::filesystem::read_symlink(entry.path(), ec).string();
    if (!ec && target.rfind("socket:[", 0) == 0) inodes.insert(target.substr(8, target.size() - 9));
  }
  std::ifstream table("/proc/self/net/udp");
  std::string line;
  std::getline(table, line);  // the column names
  PortSockets sockets;
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode, refs, address;
    uint64_t drops = 0;
    fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode >> refs >>
        address >> drops;
    if (std::stoul(local.substr(local.find(':') + 1), nullptr, 16) != port || !inodes.count(inode)) continue;
    ++sockets.count;
    sockets.drops += drops;
  }
  return sockets;
}

// Moves this test process into a new network namespace whose lo is up (and multicast-capable if
// asked). Returns an empty string on success, else why it was not possible.
inline std::string enter_private_network(bool multicast) {
  if (unshare(CLONE_NEWNET) != 0) return std::string("unshare(CLONE_NEWNET): ") + strerror(errno);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  ifreq request{};
  std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  std::string error;
  if (ioctl(fd, SIOCGIFFLAGS, &request) != 0) error = std::string("SIOCGIFFLAGS: ") + strerror(errno);
  request.ifr_flags = short(request.ifr_flags | IFF_UP);
  request.ifr_flags = short(multicast ? request.ifr_flags | IFF_MULTICAST : request.ifr_flags & ~IFF_MULTICAST);
  if (error.empty() && ioctl(fd, SIOCSIFFLAGS, &request) != 0) error = std::string("SIOCSIFFLAGS: ") + strerror(errno);
  close(fd);
  return error;
}

// Another host on lo browsing one service type with the core Browser on a socket of its own
// (MdnsDiscovery only knows _arduino._tcp), and asking for the service types of the link
// (DNS-SD enumeration, `_services._dns-sd._udp.local`): what `avahi-browse -a` would see.
class TypeBrowser {
 public:
  TypeBrowser(boost::asio::io_context& io, const char* service, const char* protocol = "_tcp")
      : browser_(slots_, kSlots, service, protocol),
        socket_(MdnsSocket::open(io, find_multicast_interface("127.0.0.1"), {})) {
    socket_->start_receiving([this](const uint8_t* data, std::size_t len, const MdnsSocket::Endpoint& from) {
      browser_.on_packet(data, len, from.port(), 0);
      collect_types(data, len);
    });
  }
  ~TypeBrowser() { socket_->close(); }

  // One browse query (PTR for the type, with what is known as known answers).
  void query() {
    uint8_t packet[1500];
    socket_->send_multicast(packet, browser_.build_query(0, packet, sizeof(packet)));
  }
  // One PTR question for _services._dns-sd._udp.local.
  void enumerate() {
    mdns::DnsName name;
    name.set_dotted("_services._dns-sd._udp.local");
    uint8_t packet[512];
    mdns::MessageWriter writer(packet, sizeof(packet), 0, 0);
    writer.add_question(name, mdns::kTypePtr, mdns::kClassIn);
    socket_->send_multicast(packet, writer.finish());
  }

  // The services of the browsed type found so far (complete or not).
  std::vector<const mdns::DiscoveredService*> found() const {
    std::vector<const mdns::DiscoveredService*> out;
    for (std::size_t i = 0; i < browser_.count(); ++i) out.push_back(&browser_.at(i));
    return out;
  }
  // Every type a response listed under _services._dns-sd._udp.local, e.g. "_http._tcp.local".
  const std::set<std::string>& types() const { return types_; }

  static std::string dotted(const mdns::DnsName& name) {
    char text[4 * mdns::kMaxNameLength + 1];
    name.to_dotted(text, sizeof(text));
    return text;
  }
  static std::string txt_value(const mdns::DiscoveredService& service, const char* key) {
    const uint8_t* value = nullptr;
    std::size_t len = 0;
    if (!service.txt_value(key, value, len)) return "<absent>";
    return std::string(reinterpret_cast<const char*>(value), len);
  }

 private:
  void collect_types(const uint8_t* data, std::size_t len) {
    mdns::MessageReader reader;
    if (reader.open(data, len) != mdns::ParseError::ok || !reader.header().is_response()) return;
    mdns::DnsName services, target;
    services.set_dotted("_services._dns-sd._udp.local");
    mdns::Record record;
    while (reader.read_record(record) == mdns::ParseError::ok) {
      if (record.type == mdns::kTypePtr && record.name.equals(services) &&
          reader.read_ptr(record, target) == mdns::ParseError::ok)
        types_.insert(dotted(target));
    }
  }

  static constexpr std::size_t kSlots = 8;
  mdns::DiscoveredService slots_[kSlots];
  mdns::Browser browser_;
  std::shared_ptr<MdnsSocket> socket_;
  std::set<std::string> types_;
};

class PrivateNetwork : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why = enter_private_network(true);
    if (!why.empty()) GTEST_SKIP() << "needs root to create a network namespace (" << why << ")";
  }

  // Moves the clock by span from one timer's deadline to the next, running what the sockets
  // brought at each: multicast on lo is delivered within the sending call, so every packet is
  // handled at the clock time it was sent.
  void run_for(std::chrono::milliseconds span) {
    const uint32_t end = clock.now_ms() + uint32_t(span.count());
    for (;;) {
      io.restart();
      io.poll();
      int32_t left = int32_t(end - clock.now_ms());
      if (left <= 0) return;
      uint32_t next = 0;
      int32_t until_next = clock.next_deadline(&next) ? std::max(0, int32_t(next - clock.now_ms())) : left;
      clock.advance(uint32_t(std::min(left, until_next)));
    }
  }

  boost::asio::io_context io;
  ManualClock clock;
};

}  // namespace otakit::net
