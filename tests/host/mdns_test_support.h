// For the mDNS host tests: a private network namespace per test (only lo, made multicast-capable)
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
#include <string>

#include "net/manual_clock.h"

namespace otakit::net {

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
