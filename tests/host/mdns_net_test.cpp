// MdnsAdvertiser and MdnsDiscovery over real sockets, each test in a private network namespace
// (only lo, made multicast-capable), on a ManualClock: probes, announcements, queries and the
// discovery's end happen at clock times, not after real seconds. Plus the interface errors and
// `otakit discover`'s exit codes. (tests/e2e/mdns_netns.sh runs the advertiser in real time.)
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <string>

#include "net/log_sinks.h"
#include "net/mdns_discovery.h"
#include "net/mdns_service.h"
#include "net/mdns_socket.h"
#include "tests/host/mdns_test_support.h"

namespace otakit::net {
namespace {

using std::chrono::milliseconds;

TEST_F(PrivateNetwork, DiscoveryFindsTheAdvertiserWithItsTxt) {
  MdnsAdvertiser advertiser(io, clock, {"127.0.0.1", "esp8266-abc123", 8266, "nodemcuv2", true, {}});
  advertiser.start();
  MdnsDiscovery discovery(io, clock, {"127.0.0.1", milliseconds(2500), 16, {}});
  DiscoveryResult result;
  bool done = false;
  discovery.start([&](DiscoveryResult r) {
    result = std::move(r);
    done = true;
  });
  run_for(milliseconds(2499));
  EXPECT_FALSE(done) << "a discovery listens for its whole timeout";
  run_for(milliseconds(1));
  ASSERT_TRUE(done) << "and ends at it, 2.5 s";
  EXPECT_EQ(result.interface_name, "lo");
  ASSERT_EQ(result.devices.size(), 1u);
  const DiscoveredDevice& d = result.devices[0];
  EXPECT_EQ(d.name, "esp8266-abc123");
  EXPECT_EQ(d.hostname, "esp8266-abc123.local");
  EXPECT_EQ(d.address, "127.0.0.1");
  EXPECT_EQ(d.port, 8266);
  EXPECT_EQ(d.board, "nodemcuv2");
  EXPECT_EQ(d.auth, std::optional<bool>(true));
  using Entry = std::pair<std::string, std::string>;
  EXPECT_EQ(d.txt, (std::vector<Entry>{{"auth_upload", "yes"}, {"board", "nodemcuv2"}, {"ssh_upload", "no"},
                                       {"tcp_check", "no"}}));
  EXPECT_TRUE(advertiser.announced());
}

TEST_F(PrivateNetwork, LateComerWithTheSameNameRenamesItself) {
  CaptureSink log;
  MdnsAdvertiser first(io, clock, {"127.0.0.1", "twin", 8266, "generic", false, Logger(&log, "dev-127.0.0.1")});
  first.start();
  run_for(milliseconds(1500));  // the first one has probed and announced
  ASSERT_TRUE(first.announced());
  MdnsAdvertiser second(io, clock, {"127.0.0.2", "twin", 8267, "generic", false, Logger(&log, "dev-127.0.0.2")});
  second.start();
  run_for(milliseconds(3000));  // defended probe, rename, three new probes, first announcement
  EXPECT_EQ(first.hostname(), "twin");
  EXPECT_EQ(second.hostname(), "twin-2");
  EXPECT_TRUE(second.announced());
  std::vector<CaptureSink::Line> warnings;
  for (const auto& line : log.lines())
    if (line.level == LogLevel::warn) warnings.push_back(line);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].identity, "dev-127.0.0.2") << "the line names the device that renamed itself";
  EXPECT_EQ(warnings[0].message, "mDNS: another host on lo uses the name twin.local; advertising as twin-2.local instead");

  DiscoveryResult result;
  bool done = false;
  MdnsDiscovery discovery(io, clock, {"127.0.0.1", milliseconds(1500), 16, {}});
  discovery.start([&](DiscoveryResult r) {
    result = std::move(r);
    done = true;
  });
  run_for(milliseconds(1500));
  ASSERT_TRUE(done);
  ASSERT_EQ(result.devices.size(), 2u);
  EXPECT_EQ(result.devices[0].name, "twin");
  EXPECT_EQ(result.devices[0].address, "127.0.0.1");
  EXPECT_EQ(result.devices[1].name, "twin-2");
  EXPECT_EQ(result.devices[1].address, "127.0.0.2");
  EXPECT_EQ(result.devices[1].port, 8267);
}

TEST_F(PrivateNetwork, InterfaceIsChosenByAddressSubnetOrDefault) {
  MulticastInterface exact = find_multicast_interface("127.0.0.1");
  EXPECT_EQ(exact.name, "lo");
  MulticastInterface in_subnet = find_multicast_interface("127.0.0.7");
  EXPECT_EQ(in_subnet.name, "lo");
  EXPECT_EQ(in_subnet.address.to_string(), "127.0.0.7") << "packets come from the device's own address";
  MulticastInterface any = choose_multicast_interface("0.0.0.0");
  EXPECT_EQ(any.name, "lo") << "only lo can multicast in this namespace";
  EXPECT_EQ(any.address.to_string(), "127.0.0.1");
}

TEST_F(PrivateNetwork, BadHostnameIsRefusedAtStart) {
  MdnsAdvertiser advertiser(io, clock, {"127.0.0.1", "two.labels", 8266, "generic", false, {}});
  try {
    advertiser.start();
    FAIL() << "a dotted hostname must be refused";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("one DNS label"), std::string::npos) << e.what();
  }
}

TEST(MulticastInterface, LoopbackWithoutMulticastIsRefusedWithAHint) {
  std::string why = enter_private_network(false);
  if (!why.empty()) GTEST_SKIP() << "needs root to create a network namespace (" << why << ")";
  try {
    find_multicast_interface("127.0.0.1");
    FAIL() << "lo without the MULTICAST flag must be refused";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("ip link set lo multicast on"), std::string::npos) << e.what();
  }
}

TEST(MulticastInterface, UnknownAndMalformedAddressesAreRefused) {
  EXPECT_THROW(find_multicast_interface("not-an-address"), std::runtime_error);
  try {
    find_multicast_interface("203.0.113.77");  // TEST-NET-3: on no interface here
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no network interface has address 203.0.113.77"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("127.0.0.1 (lo)"), std::string::npos) << "lists the choices: " << e.what();
  }
}

TEST(DiscoverCommand, BadInterfaceAddressExitsWithUsageCode) {
  std::string command = std::string(OTAKIT_BINARY) + " discover --interface-address 203.0.113.77 --timeout 0.2 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  std::array<char, 256> chunk;
  while (fgets(chunk.data(), int(chunk.size()), pipe)) output += chunk.data();
  int status = pclose(pipe);
  EXPECT_EQ(WEXITSTATUS(status), 2) << output;
  EXPECT_NE(output.find("otakit discover: no network interface has address 203.0.113.77"), std::string::npos)
      << output;
}

}  // namespace
}  // namespace otakit::net
