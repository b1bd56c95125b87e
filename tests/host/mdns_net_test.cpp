// MdnsAdvertiser and MdnsDiscovery over real sockets, each test in a private network namespace
// (only lo, made multicast-capable), on a ManualClock: probes, announcements, queries and the
// discovery's end happen at clock times, not after real seconds. Plus the interface errors and
// `otakit discover`'s exit codes. (tests/e2e/mdns_netns.sh runs the advertiser in real time.)
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <set>
#include <string>
#include <utility>
#include <vector>

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

// A sketch with ArduinoOTA and MDNS.addService("http", "tcp", 8080): browsers of either type find
// their instance of the one host, by query after the announcements are over, and the service
// enumeration lists both types; `otakit discover` (which browses _arduino._tcp) is not disturbed.
TEST_F(PrivateNetwork, UploadPageIsAdvertisedAsHttpBesideArduino) {
  MdnsAdvertiserConfig config{"127.0.0.1", "esp8266-abc123", 8266, "nodemcuv2", true, {}};
  config.services.push_back(http_service(8080, "/update"));
  MdnsAdvertiser advertiser(io, clock, config);
  advertiser.start();
  run_for(milliseconds(6000));  // probes and all three announcements are over
  ASSERT_TRUE(advertiser.announced());
  using Advertised = std::vector<std::pair<std::string, uint16_t>>;
  Advertised advertised;
  for (const MdnsAdvertisedService& s : advertiser.advertised()) advertised.emplace_back(s.instance, s.port);
  EXPECT_EQ(advertised, (Advertised{{"esp8266-abc123._arduino._tcp.local", 8266},
                                    {"esp8266-abc123._http._tcp.local", 8080}}));

  TypeBrowser http(io, "_http"), arduino(io, "_arduino");
  http.query();
  arduino.query();
  http.enumerate();
  run_for(milliseconds(10));
  ASSERT_EQ(http.found().size(), 1u);
  const mdns::DiscoveredService& page = *http.found()[0];
  EXPECT_EQ(TypeBrowser::dotted(page.instance), "esp8266-abc123._http._tcp.local");
  EXPECT_EQ(TypeBrowser::dotted(page.target), "esp8266-abc123.local");
  EXPECT_EQ(page.port, 8080);
  EXPECT_TRUE(page.complete());
  EXPECT_EQ(page.ipv4[0], 127);
  EXPECT_EQ(page.ipv4[3], 1);
  EXPECT_EQ(TypeBrowser::txt_value(page, "path"), "/update");
  ASSERT_EQ(arduino.found().size(), 1u);
  EXPECT_EQ(arduino.found()[0]->port, 8266);
  EXPECT_EQ(TypeBrowser::txt_value(*arduino.found()[0], "board"), "nodemcuv2");
  EXPECT_EQ(TypeBrowser::txt_value(*arduino.found()[0], "path"), "<absent>") << "each instance has its own TXT";
  EXPECT_EQ(http.types(), (std::set<std::string>{"_arduino._tcp.local", "_http._tcp.local"}));

  run_for(milliseconds(1000));  // the _arduino PTR may be multicast again (at most once a second)
  MdnsDiscovery discovery(io, clock, {"127.0.0.1", milliseconds(1500), 16, {}});
  DiscoveryResult result;
  discovery.start([&](DiscoveryResult r) { result = std::move(r); });
  run_for(milliseconds(1500));
  ASSERT_EQ(result.devices.size(), 1u);
  EXPECT_EQ(result.devices[0].port, 8266);
  EXPECT_EQ(result.devices[0].board, "nodemcuv2");
  EXPECT_EQ(result.incomplete, 0u);
}

TEST_F(PrivateNetwork, WithoutEspotaOnlyTheHttpServiceIsAdvertised) {
  MdnsAdvertiserConfig config{"127.0.0.1", "page-only", 8266, "generic", false, {}};
  config.arduino_service = false;
  config.services.push_back(http_service(8081, "/fw"));
  MdnsAdvertiser advertiser(io, clock, config);
  advertiser.start();
  run_for(milliseconds(6000));
  ASSERT_TRUE(advertiser.announced());
  TypeBrowser http(io, "_http"), arduino(io, "_arduino");
  http.query();
  arduino.query();
  http.enumerate();
  run_for(milliseconds(10));
  ASSERT_EQ(http.found().size(), 1u);
  EXPECT_EQ(http.found()[0]->port, 8081);
  EXPECT_EQ(TypeBrowser::txt_value(*http.found()[0], "path"), "/fw");
  EXPECT_TRUE(arduino.found().empty());
  EXPECT_EQ(http.types(), std::set<std::string>{"_http._tcp.local"});
}

TEST_F(PrivateNetwork, NothingToAdvertiseIsRefusedAtStart) {
  MdnsAdvertiserConfig config{"127.0.0.1", "silent", 8266, "generic", false, {}};
  config.arduino_service = false;
  MdnsAdvertiser advertiser(io, clock, config);
  try {
    advertiser.start();
    FAIL() << "an advertiser with no service must be refused";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no service to advertise"), std::string::npos) << e.what();
  }
  config.arduino_service = true;
  config.services = {http_service(80, "/"), http_service(81, "/")};
  MdnsAdvertiser twice(io, clock, config);
  EXPECT_THROW(twice.start(), std::runtime_error) << "the same type twice";
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
