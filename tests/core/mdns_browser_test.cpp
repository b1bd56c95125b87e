// The DNS-SD browser: recorded LEAmDNS adverts, a sans-IO round trip with our responder, goodbyes,
// partial answers and hostile input.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/mdns/mdns_browser.h"
#include "core/mdns/mdns_responder.h"
#include "tests/core/mdns_test_support.h"

namespace otakit::mdns {
namespace {

using test::Bytes;
using test::dotted;
using test::recorded_packet;

std::string txt_value(const DiscoveredService& s, const char* key) {
  const uint8_t* value;
  size_t len;
  if (!s.txt_value(key, value, len)) return "<absent>";
  return std::string(reinterpret_cast<const char*>(value), len);
}

void feed(Browser& b, const Bytes& p, uint32_t now = 0) {
  ASSERT_EQ(b.on_packet(p.data(), p.size(), kMdnsPort, now), ParseError::ok);
}

// A response holding the given records; each is written by a callback on the writer.
struct RecordSpec {
  const char* name;
  uint16_t type;
  uint32_t ttl;
  Bytes rdata;           // raw rdata, or
  const char* target;    // a name (PTR), or
  uint16_t srv_port;     // with target: SRV
};

Bytes response(std::initializer_list<RecordSpec> records, uint16_t flags = kFlagResponse | kFlagAuthoritative) {
  uint8_t buf[1500];
  MessageWriter w(buf, sizeof(buf), 0, flags);
  for (const RecordSpec& r : records) {
    DnsName name, target;
    name.set_dotted(r.name);
    w.begin_record(Section::answer, name, r.type, kClassIn, r.ttl);
    if (r.type == kTypeSrv) {
      w.put_u16(0);
      w.put_u16(0);
      w.put_u16(r.srv_port);
    }
    if (r.target != nullptr) {
      target.set_dotted(r.target);
      w.put_name(target);
    } else {
      w.put_bytes(r.rdata.data(), r.rdata.size());
    }
    w.end_record();
  }
  size_t n = w.finish();
  return Bytes(buf, buf + n);
}

constexpr const char* kService = "_arduino._tcp.local";

TEST(Browser, RecordedLeamdnsAdvertBecomesOneCompleteDevice) {
  DiscoveredService slots[4];
  Browser b(slots, 4);
  feed(b, recorded_packet("mdns-auth.txt", 7));
  feed(b, recorded_packet("mdns-auth.txt", 8));
  ASSERT_EQ(b.count(), 1u);
  const DiscoveredService& s = b.at(0);
  EXPECT_TRUE(s.complete());
  EXPECT_EQ(dotted(s.instance), "esp8266-ee1337._arduino._tcp.local");
  EXPECT_EQ(dotted(s.target), "esp8266-ee1337.local");
  EXPECT_EQ(s.port, 8266);
  EXPECT_EQ(Bytes(s.ipv4, s.ipv4 + 4), (Bytes{127, 0, 0, 1}));
  EXPECT_EQ(txt_value(s, "board"), "generic");
  EXPECT_EQ(txt_value(s, "AUTH_UPLOAD"), "yes") << "TXT keys are case-insensitive";
  EXPECT_EQ(txt_value(s, "missing"), "<absent>");
}

TEST(Browser, RoundTripWithOurResponderAndKnownAnswerSuppression) {
  Responder responder;
  const TxtEntry txt[] = {{"board", "nodemcuv2"}, {"auth_upload", "no"}};
  ServiceDescription d;
  d.hostname = "otakit-1";
  d.ipv4[0] = 10;
  d.ipv4[3] = 5;
  d.port = 8266;
  d.txt = txt;
  d.txt_count = 2;
  ASSERT_EQ(responder.configure(d), ConfigError::ok);
  responder.start(0, 0);
  uint8_t packet[Responder::kMaxPacket];
  while (responder.timer_pending()) responder.on_timer(responder.timer_due_ms(), packet, sizeof(packet));
  uint32_t now = 10000;

  DiscoveredService slots[2];
  Browser browser(slots, 2);
  uint8_t question[Responder::kMaxPacket];
  size_t q = browser.build_query(now, question, sizeof(question));
  ASSERT_GT(q, 0u);
  Reply reply = responder.on_packet(question, q, kMdnsPort, now, packet, sizeof(packet));
  ASSERT_GT(reply.length, 0u);
  ASSERT_EQ(browser.on_packet(packet, reply.length, kMdnsPort, now), ParseError::ok);
  ASSERT_EQ(browser.count(), 1u);
  EXPECT_TRUE(browser.at(0).complete());
  EXPECT_EQ(browser.at(0).port, 8266);
  EXPECT_EQ(Bytes(browser.at(0).ipv4, browser.at(0).ipv4 + 4), (Bytes{10, 0, 0, 5}));
  EXPECT_EQ(txt_value(browser.at(0), "board"), "nodemcuv2");

  // The next query lists the PTR as a known answer: the responder has nothing new to say.
  q = browser.build_query(now + 2000, question, sizeof(question));
  MessageReader reader;
  ASSERT_EQ(reader.open(question, q), ParseError::ok);
  EXPECT_EQ(reader.header().question_count, 1);
  EXPECT_EQ(reader.header().answer_count, 1);
  reply = responder.on_packet(question, q, kMdnsPort, now + 2000, packet, sizeof(packet));
  EXPECT_EQ(reply.length, 0u);
}

TEST(Browser, AddressArrivingBeforeTheSrvIsAskedForAgain) {
  DiscoveredService slots[2];
  Browser b(slots, 2);
  feed(b, response({{"dev.local", kTypeA, 120, {192, 168, 1, 9}, nullptr, 0}}));
  feed(b, response({{kService, kTypePtr, 4500, {}, "dev._arduino._tcp.local", 0},
                    {"dev._arduino._tcp.local", kTypeSrv, 4500, {}, "dev.local", 8266}}));
  ASSERT_EQ(b.count(), 1u);
  EXPECT_FALSE(b.at(0).complete()) << "the A record came before anything named that host";
  uint8_t buf[512];
  size_t n = b.build_query(0, buf, sizeof(buf));
  MessageReader reader;
  ASSERT_EQ(reader.open(buf, n), ParseError::ok);
  std::vector<std::string> questions;
  Question q;
  while (reader.read_question(q) == ParseError::ok) questions.push_back(dotted(q.name) + " " + std::to_string(q.type));
  EXPECT_EQ(questions,
            (std::vector<std::string>{"_arduino._tcp.local 12", "dev._arduino._tcp.local 16", "dev.local 1"}));
  feed(b, response({{"dev.local", kTypeA, 120, {192, 168, 1, 9}, nullptr, 0}}));
  EXPECT_TRUE(b.at(0).complete());
}

TEST(Browser, GoodbyeRemovesTheDeviceAndItsKnownAnswer) {
  DiscoveredService slots[2];
  Browser b(slots, 2);
  feed(b, recorded_packet("mdns-noauth.txt", 8));
  ASSERT_TRUE(b.at(0).complete());
  feed(b, response({{kService, kTypePtr, 0, {}, "esp8266-ee1337._arduino._tcp.local", 0}}));
  EXPECT_TRUE(b.at(0).removed);
  EXPECT_FALSE(b.at(0).complete());
  uint8_t buf[512];
  size_t n = b.build_query(0, buf, sizeof(buf));
  MessageReader reader;
  ASSERT_EQ(reader.open(buf, n), ParseError::ok);
  EXPECT_EQ(reader.header().answer_count, 0);
  feed(b, recorded_packet("mdns-noauth.txt", 8));
  EXPECT_TRUE(b.at(0).complete()) << "a device that comes back is listed again";
}

TEST(Browser, KnownAnswerIsDroppedOnceHalfItsTtlHasPassed) {
  DiscoveredService slots[1];
  Browser b(slots, 1);
  feed(b, response({{kService, kTypePtr, 100, {}, "d._arduino._tcp.local", 0}}), 1000);
  uint8_t buf[512];
  MessageReader reader;
  ASSERT_EQ(reader.open(buf, b.build_query(51000, buf, sizeof(buf))), ParseError::ok);
  EXPECT_EQ(reader.header().answer_count, 1);
  Record r;
  while (reader.read_record(r) == ParseError::ok) EXPECT_EQ(r.ttl, 50u) << "the remaining TTL is sent";
  ASSERT_EQ(reader.open(buf, b.build_query(52000, buf, sizeof(buf))), ParseError::ok);
  EXPECT_EQ(reader.header().answer_count, 0);
}

TEST(Browser, TableOverflowIsCountedNotWritten) {
  DiscoveredService slots[1];
  Browser b(slots, 1);
  feed(b, response({{kService, kTypePtr, 4500, {}, "a._arduino._tcp.local", 0},
                    {kService, kTypePtr, 4500, {}, "b._arduino._tcp.local", 0}}));
  EXPECT_EQ(b.count(), 1u);
  EXPECT_EQ(b.overflowed(), 1u);
  EXPECT_EQ(dotted(b.at(0).instance), "a._arduino._tcp.local");
}

TEST(Browser, IgnoresQueriesOtherPortsAndForeignServices) {
  DiscoveredService slots[2];
  Browser b(slots, 2);
  Bytes as_query = response({{kService, kTypePtr, 4500, {}, "q._arduino._tcp.local", 0}}, 0);
  feed(b, as_query);  // a known-answer list inside someone's query is not an answer
  Bytes answer = response({{kService, kTypePtr, 4500, {}, "p._arduino._tcp.local", 0}});
  EXPECT_EQ(b.on_packet(answer.data(), answer.size(), 40000, 0), ParseError::ok);
  feed(b, response({{kService, kTypePtr, 4500, {}, "not-an-instance.local", 0},
                    {"x._http._tcp.local", kTypeSrv, 4500, {}, "x.local", 80}}));
  EXPECT_EQ(b.count(), 0u);
}

TEST(Browser, MalformedPacketKeepsEarlierRecordsAndReportsTheError) {
  DiscoveredService slots[2];
  Browser b(slots, 2);
  Bytes p = response({{kService, kTypePtr, 4500, {}, "a._arduino._tcp.local", 0},
                      {"a._arduino._tcp.local", kTypeTxt, 4500, {5, 'k', '=', 'v', 'v', 'v'}, nullptr, 0}});
  p.resize(p.size() - 2);  // the TXT rdata now runs past the end
  EXPECT_EQ(b.on_packet(p.data(), p.size(), kMdnsPort, 0), ParseError::bad_rdlength);
  EXPECT_EQ(b.count(), 1u);
  EXPECT_FALSE(b.at(0).has_txt);
}

TEST(Browser, OversizedTxtKeepsWholeStringsOnly) {
  DiscoveredService slots[1];
  Browser b(slots, 1);
  Bytes txt;
  for (int i = 0; i < 3; ++i) {
    txt.push_back(200);
    for (int k = 0; k < 200; ++k) txt.push_back(uint8_t(i == 0 && k < 2 ? "k="[k] : 'x'));
  }
  feed(b, response({{"a._arduino._tcp.local", kTypeTxt, 4500, txt, nullptr, 0}}));
  ASSERT_EQ(b.count(), 1u);
  EXPECT_EQ(b.at(0).txt_length, 201u) << "two strings would be 402 bytes, over the 400 kept";
  EXPECT_EQ(txt_value(b.at(0), "k"), std::string(198, 'x'));
}

}  // namespace
}  // namespace otakit::mdns
