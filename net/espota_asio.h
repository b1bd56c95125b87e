// Glue between Boost.Asio and the sans-IO espota core: address conversion and the kernel CSPRNG
// as the sessions' random source (their time comes from net/clock.h).
#pragma once
#include <boost/asio/ip/address.hpp>
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

// Sockets must not leak into a program the process starts (tests and benchmarks spawn otakit):
// the inherited descriptor would keep the port taken.
void set_close_on_exec(int fd);

// getrandom(2): blocks only before the kernel pool is first seeded; false on failure.
bool fill_secure_random(void* ctx, uint8_t* out, size_t len);
inline proto::RandomSource secure_random_source() { return {nullptr, &fill_secure_random}; }

}  // namespace otakit::net
