// X-Forwarded-For and --trusted-proxy entries (server/http/forwarded_for): the client named is
// always an address, either the peer or an entry of the header, and an untrusted peer's header
// is never read.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "server/http/forwarded_for.h"

namespace {

namespace ip = boost::asio::ip;

// An entry's address as the server writes it (v4-mapped IPv6 as IPv4), or "".
std::string normalized(std::string text) {
  const size_t a = text.find_first_not_of(" \t"), b = text.find_last_not_of(" \t");
  text = a == std::string::npos ? "" : text.substr(a, b - a + 1);
  boost::system::error_code ec;
  ip::address address = ip::make_address(text, ec);
  if (ec) return "";
  if (address.is_v6() && address.to_v6().is_v4_mapped()) address = ip::make_address_v4(ip::v4_mapped, address.to_v6());
  return address.to_string();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  const size_t newline = text.find('\n');
  const std::string entry = text.substr(0, newline);  // one operator-given entry, then the header
  const std::string header = newline == std::string::npos ? "" : text.substr(newline + 1);
  std::string why;
  auto proxies = otakit::server::TrustedProxies::parse({"10.0.0.0/8", "::1", entry}, &why);
  if (!proxies) {
    if (why.empty()) __builtin_trap();  // a refusal says why
    proxies = otakit::server::TrustedProxies::parse({"10.0.0.0/8", "::1"}, &why);
  }
  static const char* const kPeers[] = {"10.0.0.9", "::1", "203.0.113.7", "::ffff:10.1.1.1"};
  const std::string peer = kPeers[data[0] % 4];
  const std::string client = proxies->client(peer, header);

  std::set<std::string> named{normalized(peer)};
  for (size_t from = 0;;) {
    const size_t comma = header.find(',', from);
    named.insert(normalized(header.substr(from, comma == std::string::npos ? std::string::npos : comma - from)));
    if (comma == std::string::npos) break;
    from = comma + 1;
  }
  if (client.empty() || named.count(client) == 0) __builtin_trap();
  if (!proxies->trusts(ip::make_address(normalized(peer))) && client != normalized(peer)) __builtin_trap();
  return 0;
}
