#include "server/http/forwarded_for.h"

#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>

#include <charconv>

namespace otakit::server {
namespace asio = boost::asio;
namespace {

std::optional<asio::ip::address> address_of(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  boost::system::error_code ec;
  asio::ip::address a = asio::ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  // An IPv4 client of a dual-stack socket is ::ffff:a.b.c.d: the same host as a.b.c.d.
  if (a.is_v6() && a.to_v6().is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  return a;
}

}  // namespace

std::optional<TrustedProxies> TrustedProxies::parse(const std::vector<std::string>& entries, std::string* why) {
  TrustedProxies out;
  for (const std::string& entry : entries) {
    const size_t slash = entry.find('/');
    const std::optional<asio::ip::address> base = address_of(std::string_view(entry).substr(0, slash));
    const unsigned bits = base && base->is_v4() ? 32 : 128;
    unsigned prefix = bits;
    bool ok = base.has_value();
    if (ok && slash != std::string::npos) {
      const char* from = entry.data() + slash + 1;
      const char* end = entry.data() + entry.size();
      const auto [at, ec] = std::from_chars(from, end, prefix);
      ok = from != end && at == end && ec == std::errc() && prefix <= bits;
    }
    if (!ok) {
      *why = "--trusted-proxy " + entry + ": not an address (10.0.0.5) or a network (10.0.0.0/8)";
      return std::nullopt;
    }
    out.networks_.push_back({*base, prefix});
  }
  return out;
}

bool TrustedProxies::trusts(const asio::ip::address& address) const {
  for (const Network& n : networks_) {
    if (n.base.is_v4() != address.is_v4()) continue;
    if (address.is_v4()) {
      const auto mine = asio::ip::network_v4(address.to_v4(), n.prefix).canonical();
      if (mine == asio::ip::network_v4(n.base.to_v4(), n.prefix).canonical()) return true;
    } else {
      const auto mine = asio::ip::network_v6(address.to_v6(), n.prefix).canonical();
      if (mine == asio::ip::network_v6(n.base.to_v6(), n.prefix).canonical()) return true;
    }
  }
  return false;
}

std::string TrustedProxies::client(const std::string& peer, std::string_view x_forwarded_for) const {
  std::optional<asio::ip::address> hop = address_of(peer);
  if (!hop) return peer;
  while (trusts(*hop) && !x_forwarded_for.empty()) {
    const size_t comma = x_forwarded_for.rfind(',');
    const std::string_view entry = comma == std::string_view::npos ? x_forwarded_for : x_forwarded_for.substr(comma + 1);
    x_forwarded_for = comma == std::string_view::npos ? std::string_view() : x_forwarded_for.substr(0, comma);
    const std::optional<asio::ip::address> left = address_of(entry);
    if (!left) break;
    hop = left;
  }
  return hop->to_string();
}

}  // namespace otakit::server
