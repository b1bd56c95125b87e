// "host[:port]" parsing for command lines and hosts files (IPv4, [IPv6]:port, names).
#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace otakit::net {

struct HostPort {
  std::string host;
  uint16_t port = 0;
};

// Returns nullopt when the text is empty, the port is not a number in 1..65535, or brackets are unbalanced.
std::optional<HostPort> parse_host_port(const std::string& text, uint16_t default_port);

}  // namespace otakit::net
