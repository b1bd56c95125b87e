// A peer of a sans-IO protocol session: an IPv4 or IPv6 address and a port as plain bytes (the
// core has no socket types), and the two ways sessions compare peers.
#pragma once
#include <stdint.h>
#include <string.h>

namespace otakit::proto {

struct PeerAddress {
  uint8_t ip[16] = {};
  uint8_t ip_length = 0;  // 4 or 16; 0 = unset
  uint16_t port = 0;
};

inline bool same_host(const PeerAddress& a, const PeerAddress& b) {
  return a.ip_length == b.ip_length && memcmp(a.ip, b.ip, a.ip_length) == 0;
}
inline bool same_peer(const PeerAddress& a, const PeerAddress& b) {
  return same_host(a, b) && a.port == b.port;
}

}  // namespace otakit::proto
