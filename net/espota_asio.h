// Glue between Boost.Asio and the sans-IO espota core: address conversion, the millisecond clock
// the sessions run on, and the kernel CSPRNG as the sessions' random source.
#pragma once
#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <string>

#include "core/proto/peer_address.h"
#include "core/proto/random_source.h"

namespace otakit::net {

// IPv4-mapped IPv6 addresses become plain IPv4, so a dual-stack socket compares equal to a v4 one.
proto::PeerAddress to_peer(const boost::asio::ip::address& address, uint16_t port);
boost::asio::ip::address to_address(const proto::PeerAddress& peer);
// "10.0.0.9:50000" or "[fe80::1]:50000", for log lines.
std::string peer_label(const proto::PeerAddress& peer);

// Sockets must not leak into a program the process execs (the virtual device reboots by exec):
// the inherited descriptor would keep the port taken.
void set_close_on_exec(int fd);

// getrandom(2): blocks only before the kernel pool is first seeded; false on failure.
bool fill_secure_random(void* ctx, uint8_t* out, size_t len);
inline proto::RandomSource secure_random_source() { return {nullptr, &fill_secure_random}; }

// Milliseconds since the clock object was made; wraps after 49 days like the sessions expect.
class SessionClock {
 public:
  uint32_t now_ms() const {
    auto elapsed = std::chrono::steady_clock::now() - origin_;
    return static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count());
  }
  // The steady_clock time of a session deadline (for asio timers).
  std::chrono::steady_clock::time_point at(uint32_t deadline_ms) const {
    int32_t ahead = static_cast<int32_t>(deadline_ms - now_ms());
    return std::chrono::steady_clock::now() + std::chrono::milliseconds(ahead > 0 ? ahead : 0);
  }

 private:
  std::chrono::steady_clock::time_point origin_ = std::chrono::steady_clock::now();
};

}  // namespace otakit::net
