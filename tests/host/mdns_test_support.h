// For the mDNS host tests: a private network namespace per test (only lo, made multicast-capable),
// a count of this process's sockets on a port,
// and a ManualClock moved from one timer to the next while the sockets' datagrams are handled.
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

#include "net/manual_clock.h"

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
