// Which X-Forwarded-For entries name the device: only those written by trusted proxies.
#include "server/http/forwarded_for.h"

#include <gtest/gtest.h>

namespace otakit::server {
namespace {

TrustedProxies trusting(const std::vector<std::string>& entries) {
  std::string why;
  std::optional<TrustedProxies> p = TrustedProxies::parse(entries, &why);
  EXPECT_TRUE(p.has_value()) << why;
  return p.value_or(TrustedProxies{});
}

TEST(ForwardedFor, WithoutTrustedProxiesThePeerIsTheClient) {
  const TrustedProxies none = trusting({});
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.client("10.0.0.9", "203.0.113.7"), "10.0.0.9");
}

TEST(ForwardedFor, ATrustedProxyNamesTheClient) {
  const TrustedProxies lb = trusting({"10.0.0.9"});
  EXPECT_EQ(lb.client("10.0.0.9", "203.0.113.7"), "203.0.113.7");
  EXPECT_EQ(lb.client("10.0.0.8", "203.0.113.7"), "10.0.0.8") << "another host's header is not believed";
  EXPECT_EQ(lb.client("10.0.0.9", ""), "10.0.0.9") << "nothing forwarded: the proxy itself";
}

TEST(ForwardedFor, TheListIsReadFromTheRightSoADeviceCannotClaimAnAddress) {
  const TrustedProxies lb = trusting({"10.0.0.0/8"});
  // The device sent "X-Forwarded-For: 198.51.100.1"; nginx appended the address it saw.
  EXPECT_EQ(lb.client("10.0.0.9", "198.51.100.1, 203.0.113.7"), "203.0.113.7");
  // Two proxies of ours in a row: both skipped.
  EXPECT_EQ(lb.client("10.0.0.9", "198.51.100.1,203.0.113.7 , 10.1.2.3"), "203.0.113.7");
  // A device inside the trusted network: the walk goes past it to what it claimed, as far as
  // that is still ours.
  EXPECT_EQ(lb.client("10.0.0.9", "10.7.7.7"), "10.7.7.7");
}

TEST(ForwardedFor, AnEntryThatIsNotAnAddressEndsTheWalkAtTheHopThatPassedItOn) {
  const TrustedProxies lb = trusting({"10.0.0.9", "10.0.0.10"});
  EXPECT_EQ(lb.client("10.0.0.9", "unknown"), "10.0.0.9");
  EXPECT_EQ(lb.client("10.0.0.9", "203.0.113.7, 10.0.0.10, _hidden"), "10.0.0.9");
  EXPECT_EQ(lb.client("10.0.0.9", "203.0.113.7, , 10.0.0.10"), "10.0.0.10");
  EXPECT_EQ(lb.client("10.0.0.9", "203.0.113.7:4000"), "10.0.0.9") << "a port is not part of the list's form";
}

TEST(ForwardedFor, Ipv6AndMappedIpv4Addresses) {
  const TrustedProxies lb = trusting({"::1", "fd00::/8", "127.0.0.1"});
  EXPECT_EQ(lb.client("::1", "2001:db8::5"), "2001:db8::5");
  EXPECT_EQ(lb.client("fd12::1", "203.0.113.7"), "203.0.113.7");
  EXPECT_EQ(lb.client("::ffff:127.0.0.1", "203.0.113.7"), "203.0.113.7") << "a dual-stack socket's IPv4 peer";
  EXPECT_EQ(lb.client("fe80::1", "203.0.113.7"), "fe80::1");
}

TEST(ForwardedFor, EachMalformedEntryIsRefusedWithTheFlagItCameFrom) {
  for (const std::string bad : {"", "lb.internal", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/8x", "::/129", "/8",
                                "10.0.0.0/-1", "10.0.0.0/ 8"}) {
    std::string why;
    EXPECT_FALSE(TrustedProxies::parse({bad}, &why).has_value()) << bad;
    EXPECT_NE(why.find("--trusted-proxy " + bad + ": not an address"), std::string::npos) << why;
  }
}

TEST(ForwardedFor, NetworksMatchByTheirPrefix) {
  const TrustedProxies lb = trusting({"192.168.4.0/22", "0.0.0.0/0"});
  EXPECT_TRUE(lb.trusts(boost::asio::ip::make_address("192.168.7.255")));
  EXPECT_TRUE(lb.trusts(boost::asio::ip::make_address("8.8.8.8"))) << "/0 is every IPv4 address";
  EXPECT_FALSE(lb.trusts(boost::asio::ip::make_address("::1"))) << "but no IPv6 one";
  const TrustedProxies narrow = trusting({"192.168.4.0/22"});
  EXPECT_TRUE(narrow.trusts(boost::asio::ip::make_address("192.168.4.1")));
  EXPECT_FALSE(narrow.trusts(boost::asio::ip::make_address("192.168.8.1")));
}

}  // namespace
}  // namespace otakit::server
