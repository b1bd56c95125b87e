// The device's address behind a load balancer: X-Forwarded-For is believed only as far as it
// was written by proxies the operator named (--trusted-proxy), read from the right, so a device
// cannot claim another address by sending the header itself.
#pragma once
#include <boost/asio/ip/address.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace otakit::server {

class TrustedProxies {
 public:
  // Each entry an address (10.0.0.5, ::1) or a network (10.0.0.0/8, fd00::/8). nullopt with
  // *why set when one is neither.
  static std::optional<TrustedProxies> parse(const std::vector<std::string>& entries, std::string* why);

  bool empty() const { return networks_.empty(); }
  bool trusts(const boost::asio::ip::address& address) const;

  // The client's address: the TCP peer, or, while that hop is trusted, the X-Forwarded-For entry
  // left of it. An entry that is not an address ends the walk at the hop that passed it on.
  std::string client(const std::string& peer, std::string_view x_forwarded_for) const;

 private:
  struct Network {
    boost::asio::ip::address base;
    unsigned prefix = 0;
  };
  std::vector<Network> networks_;
};

}  // namespace otakit::server
