// MdnsHub: one socket on port 5353 for every advertiser of a process, each test in a private
// network namespace on a ManualClock: 200 devices probe, announce, are discovered and answer A
// queries through one hub; name conflicts between members; members joining and leaving mid-delivery.
#include <gtest/gtest.h>

#include <boost/asio/ip/multicast.hpp>
#include <boost/asio/ip/udp.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/mdns/dns_message.h"
#include "net/log_sinks.h"
#include "net/mdns_discovery.h"
#include "net/mdns_hub.h"
#include "net/mdns_service.h"
#include "tests/host/mdns_test_support.h"

namespace otakit::net {
namespace {

namespace asio = boost::asio;
using asio::ip::address_v4;
using asio::ip::udp;
using std::chrono::milliseconds;

// A RandomSource handing out next, next + step, ... (big-endian): with the defaults the advertiser
// started n-th waits n ms before its first probe, so a fleet probes one device per millisecond.
struct CountingRandom {
  uint32_t next = 0;
  uint32_t step = 1;
  static bool fill(void* ctx, uint8_t* out, std::size_t len) {
    auto* self = static_cast<CountingRandom*>(ctx);
    uint32_t value = self->next;
    self->next += self->step;
    for (std::size_t i = 0; i < len; ++i) out[i] = uint8_t(value >> (8 * (len - 1 - i)));
    return true;
  }
  proto::RandomSource source() { return {this, &fill}; }
};

std::string host_name(int i) {
  char name[16];
  std::snprintf(name, sizeof(name), "esp-%03d", i);
  return name;
}
// 127.0.1.10 ... 127.0.4.59: 50 devices per /24, none of them the hub's 127.0.0.1.
std::string host_address(int i) { return "127.0." + std::to_string(1 + i / 50) + "." + std::to_string(10 + i % 50); }
uint16_t host_port(int i) { return uint16_t(20000 + i); }

// One received datagram, decoded as far as the tests look.
struct Packet {
  struct Entry {
    std::string name;
    uint16_t type = 0;
    uint32_t ttl = 0;
    std::string address;  // A records: the dotted address
  };
  uint32_t at_ms = 0;
  address_v4 from;
  uint16_t id = 0;
  bool response = false;
  bool probe = false;  // a query with records in the authority section
  std::vector<std::string> questions;
  std::vector<Entry> records;

  std::optional<Entry> a_record(const std::string& name) const {
    for (const Entry& e : records)
      if (e.type == mdns::kTypeA && e.name == name) return e;
    return std::nullopt;
  }
};

std::string dotted(const mdns::DnsName& name) {
  char text[4 * mdns::kMaxNameLength + 1];
  name.to_dotted(text, sizeof(text));
  return text;
}

Packet decode(const uint8_t* data, std::size_t len) {
  Packet p;
  mdns::MessageReader reader;
  EXPECT_EQ(reader.open(data, len), mdns::ParseError::ok);
  p.id = reader.header().id;
  p.response = reader.header().is_response();
  p.probe = !p.response && reader.header().authority_count > 0;
  mdns::Question question;
  while (reader.read_question(question) == mdns::ParseError::ok) p.questions.push_back(dotted(question.name));
  mdns::Record record;
  while (reader.read_record(record) == mdns::ParseError::ok) {
    Packet::Entry e{dotted(record.name), record.type, record.ttl, ""};
    uint8_t a[4];
    if (record.type == mdns::kTypeA && reader.read_a(record, a) == mdns::ParseError::ok)
      e.address = address_v4({a[0], a[1], a[2], a[3]}).to_string();
    p.records.push_back(e);
  }
  return p;
}

// What another host on lo hears: every datagram sent to the group, with the clock time it came.
class Wire {
 public:
  Wire(asio::io_context& io, const Clock& clock)
      : socket_(MdnsSocket::open(io, find_multicast_interface("127.0.0.1"), {})) {
    socket_->start_receiving([this, &clock](const uint8_t* data, std::size_t len, const MdnsSocket::Endpoint& from) {
      Packet p = decode(data, len);
      p.at_ms = clock.now_ms();
      p.from = from.address().to_v4();
      packets.push_back(std::move(p));
    });
  }
  ~Wire() { socket_->close(); }

  std::size_t count(const std::function<bool(const Packet&)>& match, std::size_t from = 0) const {
    std::size_t n = 0;
    for (std::size_t i = from; i < packets.size(); ++i) n += match(packets[i]) ? 1 : 0;
    return n;
  }

  std::vector<Packet> packets;

 private:
  std::shared_ptr<MdnsSocket> socket_;
};

// A one-shot resolver, like `dig -p 5353 @224.0.0.251`: it asks from an ephemeral port, so mDNS
// answers it by unicast, with its query ID (RFC 6762 §6.7). Only the owner of the name answers.
class LegacyResolver {
 public:
  explicit LegacyResolver(asio::io_context& io) : socket_(io, udp::endpoint(address_v4::loopback(), 0)) {
    socket_.set_option(asio::ip::multicast::outbound_interface(address_v4::loopback()));
    socket_.non_blocking(true);
  }

  void ask_address_of(const std::string& name, uint16_t id) {
    mdns::DnsName qname;
    ASSERT_TRUE(qname.set_dotted(name.c_str()));
    uint8_t packet[512];
    mdns::MessageWriter writer(packet, sizeof(packet), id, 0);
    writer.add_question(qname, mdns::kTypeA, mdns::kClassIn);
    socket_.send_to(asio::buffer(packet, writer.finish()), udp::endpoint(address_v4({224, 0, 0, 251}), 5353));
  }

  // Every reply that has arrived so far.
  std::vector<Packet> replies() {
    std::vector<Packet> out;
    uint8_t data[1500];
    boost::system::error_code ec;
    for (;;) {
      std::size_t n = socket_.receive(asio::buffer(data), 0, ec);
      if (ec) return out;
      out.push_back(decode(data, n));
    }
  }

 private:
  udp::socket socket_;
};

class Hub : public PrivateNetwork {
 protected:
  MdnsAdvertiserConfig device(int i) {
    return {host_address(i), host_name(i), host_port(i), "generic", false, {}, random.source()};
  }

  // Runs a discovery of `span` on the hub's interface and returns what it found.
  DiscoveryResult discover(milliseconds span) {
    DiscoveryResult result;
    bool done = false;
    MdnsDiscovery discovery(io, clock, {"127.0.0.1", span, 1024, {}});
    discovery.start([&](DiscoveryResult r) {
      result = std::move(r);
      done = true;
    });
    run_for(span);
    EXPECT_TRUE(done);
    return result;
  }

  CountingRandom random;
};

TEST_F(Hub, TwoHundredDevicesShareOneSocketAndAreAllFound) {
  constexpr int kDevices = 200;
  std::shared_ptr<MdnsHub> hub = MdnsHub::open(io, "127.0.0.1", {});
  std::vector<std::unique_ptr<MdnsAdvertiser>> fleet;
  for (int i = 0; i < kDevices; ++i) {
    fleet.push_back(std::make_unique<MdnsAdvertiser>(hub, clock, device(i)));
    fleet.back()->start();
  }
  EXPECT_EQ(hub->member_count(), std::size_t(kDevices));
  EXPECT_EQ(own_udp_sockets_on(5353).count, 1u) << "the hub's socket serves all 200 devices";
  Wire wire(io, clock);

  // Device i probes at i, i+250, i+500 ms and first announces at i+750 ms.
  run_for(milliseconds(kDevices - 1 + 749));
  for (int i = 0; i < kDevices - 1; ++i) EXPECT_TRUE(fleet[i]->announced()) << host_name(i);
  EXPECT_FALSE(fleet[kDevices - 1]->announced()) << "the last one's announcement is a millisecond away";
  run_for(milliseconds(1));
  EXPECT_TRUE(fleet[kDevices - 1]->announced());
  auto is_probe = [](const Packet& p) { return p.probe; };
  auto is_response = [](const Packet& p) { return p.response; };
  EXPECT_EQ(wire.count(is_probe), std::size_t(3 * kDevices));
  EXPECT_EQ(wire.count(is_response), std::size_t(kDevices));
  for (int i = 0; i < kDevices; ++i) {
    auto first_probe = [&](const Packet& p) { return p.probe && p.questions[0] == host_name(i) + ".local"; };
    ASSERT_EQ(wire.count(first_probe), 3u) << host_name(i);
    for (const Packet& p : wire.packets) {
      if (first_probe(p)) {
        EXPECT_EQ(p.at_ms, uint32_t(i)) << host_name(i) << " waits the delay its random source gave";
        break;
      }
    }
    EXPECT_EQ(fleet[i]->hostname(), host_name(i)) << "no member mistook another's packets for a conflict";
  }

  // The third announcements end at 3949 ms; a record is multicast at most once a second, so a
  // query answered in full comes after 4949 ms.
  run_for(milliseconds(5000 - clock.now_ms()));
  EXPECT_EQ(wire.count(is_response), std::size_t(3 * kDevices));
  std::size_t before_query = wire.packets.size();
  DiscoveryResult found = discover(milliseconds(1000));
  ASSERT_EQ(found.devices.size(), std::size_t(kDevices));
  for (int i = 0; i < kDevices; ++i) {
    const DiscoveredDevice& d = found.devices[i];  // sorted by name, as the devices are numbered
    EXPECT_EQ(d.name, host_name(i));
    EXPECT_EQ(d.address, host_address(i));
    EXPECT_EQ(d.port, host_port(i));
  }
  auto answer_to_first_query = [](const Packet& p) { return p.response && p.at_ms == 5000; };
  EXPECT_EQ(wire.count(answer_to_first_query, before_query), std::size_t(kDevices))
      << "one response per device to a query for _arduino._tcp";

  LegacyResolver resolver(io);
  resolver.ask_address_of(host_name(123) + ".local", 0x1234);
  run_for(milliseconds(0));
  std::vector<Packet> replies = resolver.replies();
  ASSERT_EQ(replies.size(), 1u) << "only esp-123 answers, by unicast to the querier";
  EXPECT_EQ(replies[0].id, 0x1234);
  ASSERT_TRUE(replies[0].a_record("esp-123.local"));
  EXPECT_EQ(replies[0].a_record("esp-123.local")->address, host_address(123));

  std::size_t before_stop = wire.packets.size();
  fleet[57]->stop();
  run_for(milliseconds(0));
  ASSERT_EQ(wire.packets.size(), before_stop + 1);
  const Packet& goodbye = wire.packets.back();
  EXPECT_TRUE(goodbye.response);
  ASSERT_TRUE(goodbye.a_record("esp-057.local"));
  for (const Packet::Entry& e : goodbye.records) EXPECT_EQ(e.ttl, 0u) << e.name << " said goodbye";
  EXPECT_EQ(hub->member_count(), std::size_t(kDevices - 1));

  resolver.ask_address_of("esp-057.local", 1);
  resolver.ask_address_of("esp-058.local", 2);
  run_for(milliseconds(0));
  replies = resolver.replies();
  ASSERT_EQ(replies.size(), 1u) << "the stopped device is silent, its neighbour answers";
  EXPECT_EQ(replies[0].id, 2);
  ASSERT_TRUE(replies[0].a_record("esp-058.local"));
  EXPECT_EQ(replies[0].a_record("esp-058.local")->address, host_address(58));

  run_for(milliseconds(1000));  // past the once-a-second limit on the answers to the first discovery
  found = discover(milliseconds(1000));
  ASSERT_EQ(found.devices.size(), std::size_t(kDevices - 1));
  for (const DiscoveredDevice& d : found.devices) EXPECT_NE(d.name, "esp-057");
  EXPECT_EQ(own_udp_sockets_on(5353).drops, 0u) << "no socket lost a datagram to a burst of answers";
}

TEST_F(Hub, LateComerWithTheSameNameOnTheSameHubRenamesItself) {
  CaptureSink log;
  std::shared_ptr<MdnsHub> hub = MdnsHub::open(io, "127.0.0.1", {});
  MdnsAdvertiser first(hub, clock,
                       {"127.0.0.1", "twin", 8266, "generic", false, Logger(&log, "dev-1"), random.source()});
  first.start();
  run_for(milliseconds(1500));
  ASSERT_TRUE(first.announced());
  MdnsAdvertiser second(hub, clock,
                        {"127.0.0.2", "twin", 8267, "generic", false, Logger(&log, "dev-2"), random.source()});
  second.start();
  run_for(milliseconds(3000));  // defended probe, rename, three new probes, first announcement
  EXPECT_EQ(first.hostname(), "twin");
  EXPECT_EQ(second.hostname(), "twin-2");
  EXPECT_TRUE(second.announced());
  std::vector<CaptureSink::Line> warnings;
  for (const auto& line : log.lines())
    if (line.level == LogLevel::warn) warnings.push_back(line);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].identity, "dev-2");
  EXPECT_EQ(warnings[0].message,
            "mDNS: another host on lo uses the name twin.local; advertising as twin-2.local instead");
  EXPECT_EQ(own_udp_sockets_on(5353).count, 1u);

  DiscoveryResult result = discover(milliseconds(1500));
  ASSERT_EQ(result.devices.size(), 2u);
  EXPECT_EQ(result.devices[0].name, "twin");
  EXPECT_EQ(result.devices[0].address, "127.0.0.1");
  EXPECT_EQ(result.devices[1].name, "twin-2");
  EXPECT_EQ(result.devices[1].address, "127.0.0.2");
}

TEST_F(Hub, SimultaneousProbesForOneNameOnOneHubAreTieBroken) {
  std::shared_ptr<MdnsHub> hub = MdnsHub::open(io, "127.0.0.1", {});
  CountingRandom zero{0, 0};  // both wait 0 ms: their probes cross
  MdnsAdvertiser low(hub, clock, {"127.0.0.1", "twin", 8266, "generic", false, {}, zero.source()});
  MdnsAdvertiser high(hub, clock, {"127.0.0.2", "twin", 8266, "generic", false, {}, zero.source()});
  low.start();
  high.start();
  run_for(milliseconds(4000));
  // §8.2: the greater A record (127.0.0.2) wins; the loser probes again a second later, meets the
  // winner's defence and renames.
  EXPECT_EQ(high.hostname(), "twin");
  EXPECT_EQ(low.hostname(), "twin-2");
  EXPECT_TRUE(low.announced());
  EXPECT_TRUE(high.announced());
}

TEST_F(Hub, SixHundredAnswersInOneBurstAreAllReceived) {
  // More than Linux's default receive buffer (208 KiB) holds: about 250 such answers.
  std::ifstream limit("/proc/sys/net/core/rmem_max");
  long rmem_max = 0;
  limit >> rmem_max;
  if (rmem_max < (1 << 20)) GTEST_SKIP() << "net.core.rmem_max is " << rmem_max << "; this needs 1 MiB or more";
  constexpr int kDevices = 600;
  std::shared_ptr<MdnsHub> hub = MdnsHub::open(io, "127.0.0.1", {});
  std::vector<std::unique_ptr<MdnsAdvertiser>> fleet;
  for (int i = 0; i < kDevices; ++i) {
    fleet.push_back(std::make_unique<MdnsAdvertiser>(hub, clock, device(i)));
    fleet.back()->start();
  }
  Wire wire(io, clock);
  run_for(milliseconds(5001));  // probe delays are at most 250 ms: announced by 4000 ms, plus 1 s
  std::size_t before_query = wire.packets.size();
  DiscoveryResult found = discover(milliseconds(400));  // one query
  EXPECT_EQ(found.devices.size(), std::size_t(kDevices));
  EXPECT_EQ(wire.count([](const Packet& p) { return p.response; }, before_query), std::size_t(kDevices));
  EXPECT_EQ(own_udp_sockets_on(5353).drops, 0u);
}

TEST_F(Hub, TheARecordCarriesTheDevicesOwnAddress) {
  std::shared_ptr<MdnsHub> hub = MdnsHub::open(io, "127.0.0.1", {});
  Wire wire(io, clock);
  MdnsAdvertiser own(hub, clock, {"127.0.3.7", "own", 8266, "generic", false, {}, random.source()});
  MdnsAdvertiser unbound(hub, clock, {"0.0.0.0", "unbound", 8266, "generic", false, {}, random.source()});
  own.start();
  unbound.start();
  run_for(milliseconds(1000));
  ASSERT_TRUE(own.announced() && unbound.announced());
  std::size_t checked = 0;
  for (const Packet& p : wire.packets) {
    if (!p.response) continue;
    EXPECT_EQ(p.from.to_string(), "127.0.0.1") << "every member sends from the hub's address";
    if (auto a = p.a_record("own.local")) {
      EXPECT_EQ(a->address, "127.0.3.7");
      ++checked;
    }
    if (auto a = p.a_record("unbound.local")) {
      EXPECT_EQ(a->address, "127.0.0.1") << "no address configured: the hub's";
      ++checked;
    }
  }
  EXPECT_EQ(checked, 2u);
}

TEST_F(Hub, AnAdvertiserOnItsOwnOpensAHubOnItsAddressAndClosesItAtStop) {
  Wire wire(io, clock);
  MdnsAdvertiser alone(io, clock, {"127.0.0.7", "alone", 8266, "generic", false, {}, random.source()});
  alone.start();
  EXPECT_EQ(own_udp_sockets_on(5353).count, 2u) << "the wire's and its own";
  run_for(milliseconds(1000));
  ASSERT_TRUE(alone.announced());
  ASSERT_FALSE(wire.packets.empty());
  for (const Packet& p : wire.packets) EXPECT_EQ(p.from.to_string(), "127.0.0.7") << "as before hubs";
  ASSERT_TRUE(wire.packets.back().a_record("alone.local"));
  EXPECT_EQ(wire.packets.back().a_record("alone.local")->address, "127.0.0.7");
  alone.stop();
  EXPECT_EQ(own_udp_sockets_on(5353).count, 1u);
}

TEST_F(Hub, ADeviceAddressOnAnotherInterfaceIsRefused) {
  if (std::system("ip link add otk-a type veth peer name otk-b && ip addr add 10.253.0.1/24 dev otk-a && "
                  "ip link set otk-a up >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "cannot make a veth interface with ip(8)";
  std::shared_ptr<MdnsHub> hub = MdnsHub::open(io, "127.0.0.1", {});
  MdnsAdvertiser stray(hub, clock, {"10.253.0.1", "stray", 8266, "generic", false, {}, random.source()});
  try {
    stray.start();
    FAIL() << "an address the hub's interface does not hold must be refused";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("10.253.0.1 is on otk-a, but the mDNS hub is on lo"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(hub->member_count(), 0u);
}

TEST_F(Hub, TheFirstProbeWaitsTheDelayTheRandomSourceGives) {
  std::shared_ptr<MdnsHub> hub = MdnsHub::open(io, "127.0.0.1", {});
  Wire wire(io, clock);
  CountingRandom dice{251 + 137, 0};  // reduced modulo 251: 137 ms
  MdnsAdvertiser advertiser(hub, clock, {"127.0.0.1", "dice", 8266, "generic", false, {}, dice.source()});
  advertiser.start();
  run_for(milliseconds(136));
  EXPECT_TRUE(wire.packets.empty());
  run_for(milliseconds(1));
  ASSERT_EQ(wire.packets.size(), 1u);
  EXPECT_TRUE(wire.packets[0].probe);
  EXPECT_EQ(wire.packets[0].at_ms, 137u);
}

TEST_F(Hub, ARandomSourceWithoutEntropyIsRefusedAtStart) {
  std::shared_ptr<MdnsHub> hub = MdnsHub::open(io, "127.0.0.1", {});
  proto::RandomSource dry{nullptr, [](void*, uint8_t*, std::size_t) { return false; }};
  MdnsAdvertiser advertiser(hub, clock, {"127.0.0.1", "dry", 8266, "generic", false, {}, dry});
  try {
    advertiser.start();
    FAIL() << "the probe delay needs random bytes";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("the random source gave no bytes"), std::string::npos) << e.what();
  }
  EXPECT_EQ(hub->member_count(), 0u);
}

// A hub member that counts its deliveries and runs `act` in each.
struct Listener final : MdnsHub::Member {
  void on_datagram(const uint8_t*, std::size_t, const MdnsHub::Endpoint&) override {
    ++deliveries;
    if (act) act();
  }
  int deliveries = 0;
  std::function<void()> act;
};

TEST_F(Hub, MembersMayJoinAndLeaveDuringADelivery) {
  std::shared_ptr<MdnsHub> hub = MdnsHub::open(io, "127.0.0.1", {});
  Listener a, b, c, d;
  hub->join(a);
  hub->join(b);
  hub->join(c);
  a.act = [&] {
    hub->leave(a);  // itself
    hub->leave(b);  // one the delivery has not reached
  };
  c.act = [&] { hub->join(d); };                 // a newcomer, in every delivery (joining twice is a no-op)
  const uint8_t header[mdns::kHeaderSize] = {};  // an empty query: the hub does not look inside
  hub->send_multicast(header, sizeof(header));
  run_for(milliseconds(0));
  EXPECT_EQ(a.deliveries, 1);
  EXPECT_EQ(b.deliveries, 0);
  EXPECT_EQ(c.deliveries, 1);
  EXPECT_EQ(d.deliveries, 0) << "a member joining during a delivery waits for the next datagram";
  EXPECT_EQ(hub->member_count(), 2u);
  hub->send_multicast(header, sizeof(header));
  run_for(milliseconds(0));
  EXPECT_EQ(a.deliveries, 1);
  EXPECT_EQ(b.deliveries, 0);
  EXPECT_EQ(c.deliveries, 2);
  EXPECT_EQ(d.deliveries, 1);
  hub->leave(c);
  hub->leave(d);
  EXPECT_EQ(hub->member_count(), 0u);
}

TEST_F(Hub, AnAdvertiserDestroyedDuringADeliverySaysGoodbyeAndHearsNoMore) {
  std::shared_ptr<MdnsHub> hub = MdnsHub::open(io, "127.0.0.1", {});
  Wire wire(io, clock);
  Listener killer;  // joined first, so it is reached before the advertiser
  hub->join(killer);
  auto doomed = std::make_unique<MdnsAdvertiser>(
      hub, clock, MdnsAdvertiserConfig{"127.0.0.5", "doomed", 8266, "generic", false, {}, random.source()});
  doomed->start();
  run_for(milliseconds(1000));
  ASSERT_TRUE(doomed->announced());
  killer.act = [&] { doomed.reset(); };
  std::size_t before = wire.packets.size();
  LegacyResolver resolver(io);
  resolver.ask_address_of("doomed.local", 7);
  run_for(milliseconds(0));
  EXPECT_TRUE(resolver.replies().empty()) << "destroyed before the delivery reached it";
  EXPECT_EQ(hub->member_count(), 1u);
  auto goodbye = [](const Packet& p) {
    return p.response && p.a_record("doomed.local") && p.a_record("doomed.local")->ttl == 0;
  };
  EXPECT_EQ(wire.count(goodbye, before), 1u);
  hub->leave(killer);
}

TEST_F(Hub, TheHubClosesWhenItsLastUserLetsGoOrAtClose) {
  std::shared_ptr<MdnsHub> hub = MdnsHub::open(io, "127.0.0.1", {});
  std::weak_ptr<MdnsHub> weak = hub;
  auto advertiser = std::make_unique<MdnsAdvertiser>(
      hub, clock, MdnsAdvertiserConfig{"127.0.0.1", "keeper", 8266, "generic", false, {}, random.source()});
  hub.reset();
  advertiser->start();
  EXPECT_EQ(own_udp_sockets_on(5353).count, 1u) << "the advertiser keeps its hub";
  advertiser.reset();
  EXPECT_TRUE(weak.expired());
  EXPECT_EQ(own_udp_sockets_on(5353).count, 0u);

  std::shared_ptr<MdnsHub> closed = MdnsHub::open(io, "127.0.0.1", {});
  closed->close();
  EXPECT_EQ(own_udp_sockets_on(5353).count, 0u);
  Wire wire(io, clock);
  MdnsAdvertiser muted(closed, clock, {"127.0.0.1", "muted", 8266, "generic", false, {}, random.source()});
  muted.start();
  run_for(milliseconds(1000));
  EXPECT_TRUE(wire.packets.empty()) << "a closed hub's members send nothing";
}

}  // namespace
}  // namespace otakit::net
