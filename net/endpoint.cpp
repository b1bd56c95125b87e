#include "net/endpoint.h"

#include <charconv>

namespace otakit::net {

std::optional<HostPort> parse_host_port(const std::string& text, uint16_t default_port) {
  if (text.empty()) return std::nullopt;
  HostPort out{text, default_port};
  std::string port_text;
  if (text.front() == '[') {  // [v6]:port
    auto close = text.find(']');
    if (close == std::string::npos) return std::nullopt;
    out.host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return std::nullopt;
      port_text = text.substr(close + 2);
    }
  } else if (auto colon = text.rfind(':'); colon != std::string::npos &&
                                            text.find(':') == colon) {  // one colon: host:port
    out.host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  if (out.host.empty()) return std::nullopt;
  if (!port_text.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || value == 0 || value > 65535)
      return std::nullopt;
    out.port = uint16_t(value);
  }
  return out;
}

}  // namespace otakit::net
