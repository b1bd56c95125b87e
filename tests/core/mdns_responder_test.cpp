// The mDNS responder as transcripts: time and packets in, packets out, checked against the
// recorded LEAmDNS advertisement and hand-derived bytes.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "core/mdns/mdns_responder.h"
#include "tests/core/mdns_test_support.h"

namespace otakit::mdns {
namespace {

using test::Answer;
using test::Bytes;
using test::describe_records;
using test::dotted;
using test::feed;
using test::query;
using test::recorded_packet;
using test::run_until_running;
using test::Sent;

// The order a real ESP8266 puts them on the wire (LEAmDNS emits the last added first).
const TxtEntry kAuthTxt[] = {{"auth_upload", "yes"}, {"board", "generic"}, {"ssh_upload", "no"}, {"tcp_check", "no"}};
const TxtEntry kNoAuthTxt[] = {{"auth_upload", "no"}, {"board", "generic"}, {"ssh_upload", "no"}, {"tcp_check", "no"}};

ServiceDescription esp_description(const TxtEntry* txt = kAuthTxt) {
  ServiceDescription d;
  d.hostname = "esp8266-ee1337";
  d.ipv4[0] = 127;
  d.ipv4[3] = 1;
  d.port = 8266;
  d.txt = txt;
  d.txt_count = 4;
  return d;
}

std::string without_section(const std::string& line) { return line.substr(3); }

class RunningResponder : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(responder.configure(esp_description()), ConfigError::ok);
    responder.start(1000, 0);
    std::vector<Sent> sent = run_until_running(responder, 1000);
    ASSERT_EQ(responder.state(), ResponderState::running);
    last_announcement_ms = sent.back().at_ms;
  }
  Responder responder;
  uint32_t last_announcement_ms = 0;
};

// ---------------------------------------------------------------------------------------------
TEST(Responder, ProbesThreeTimesThenAnnouncesThreeTimes) {
  Responder r;
  ASSERT_EQ(r.configure(esp_description()), ConfigError::ok);
  r.start(1000, 100);
  uint8_t buf[Responder::kMaxPacket];
  EXPECT_EQ(r.on_timer(1099, buf, sizeof(buf)), 0u) << "nothing before the first probe is due";
  std::vector<Sent> sent = run_until_running(r, 1000);
  std::vector<uint32_t> times;
  std::vector<bool> is_probe;
  for (const Sent& s : sent) {
    times.push_back(s.at_ms);
    MessageReader reader;
    ASSERT_EQ(reader.open(s.packet.data(), s.packet.size()), ParseError::ok);
    is_probe.push_back(!reader.header().is_response());
  }
  EXPECT_EQ(times, (std::vector<uint32_t>{1100, 1350, 1600, 1850, 2850, 4850}));
  EXPECT_EQ(is_probe, (std::vector<bool>{true, true, true, false, false, false}));
  EXPECT_EQ(r.state(), ResponderState::running);
  EXPECT_FALSE(r.timer_pending());
}

TEST(Responder, ProbeAsksForBothNamesAndCarriesTheProposedRecords) {
  Responder r;
  r.configure(esp_description());
  r.start(0, 0);
  uint8_t buf[Responder::kMaxPacket];
  size_t n = r.on_timer(0, buf, sizeof(buf));
  Bytes probe(buf, buf + n);
  MessageReader reader;
  ASSERT_EQ(reader.open(probe.data(), probe.size()), ParseError::ok);
  Question q;
  std::vector<std::string> questions;
  while (reader.read_question(q) == ParseError::ok) {
    EXPECT_EQ(q.type, kTypeAny);
    EXPECT_TRUE(q.unicast_response) << "probes ask for unicast replies, as LEAmDNS does";
    questions.push_back(dotted(q.name));
  }
  EXPECT_EQ(questions, (std::vector<std::string>{"esp8266-ee1337.local", "esp8266-ee1337._arduino._tcp.local"}));
  EXPECT_EQ(describe_records(probe),
            (std::vector<std::string>{
                "NS esp8266-ee1337.local 1 shared ttl=120 127.0.0.1",
                "NS esp8266-ee1337._arduino._tcp.local 33 shared ttl=4500 0 0 8266 esp8266-ee1337.local",
                "NS esp8266-ee1337._arduino._tcp.local 16 shared ttl=4500 "
                "[auth_upload=yes][board=generic][ssh_upload=no][tcp_check=no]"}));
}

// Our single announcement carries exactly the records a real ESP8266 spreads over two packets.
void expect_announcement_matches_recording(const char* file, const TxtEntry* txt) {
  Responder r;
  r.configure(esp_description(txt));
  r.start(0, 0);
  std::vector<Sent> sent = run_until_running(r, 0);
  ASSERT_EQ(sent.size(), 6u);
  std::set<std::string> ours, recorded;
  for (const std::string& line : describe_records(sent[3].packet)) ours.insert(without_section(line));
  for (int index : {7, 8}) {
    for (const std::string& line : describe_records(recorded_packet(file, index)))
      recorded.insert(without_section(line));
  }
  EXPECT_EQ(ours, recorded);
  EXPECT_EQ(ours.size(), 6u);
}

TEST(Responder, AnnouncementMatchesTheRecordedLeamdnsAdvertWithAuth) {
  expect_announcement_matches_recording("mdns-auth.txt", kAuthTxt);
}

TEST(Responder, AnnouncementMatchesTheRecordedLeamdnsAdvertWithoutAuth) {
  expect_announcement_matches_recording("mdns-noauth.txt", kNoAuthTxt);
}

TEST(Responder, StaysSilentWhileProbing) {
  Responder r;
  r.configure(esp_description());
  r.start(0, 0);
  Answer a = feed(r, query({{"_arduino._tcp.local", kTypePtr, false}}), 10);
  EXPECT_EQ(a.reply.length, 0u);
}

// ---------------------------------------------------------------------------------------------
TEST(Responder, AQueryGetsTheHandDerivedAnswerBytes) {
  ServiceDescription d;
  d.hostname = "h";
  d.ipv4[0] = 10;
  d.ipv4[3] = 7;
  d.port = 1;
  Responder r;
  ASSERT_EQ(r.configure(d), ConfigError::ok);
  r.start(0, 0);
  uint32_t now = run_until_running(r, 0).back().at_ms + 1000;
  Bytes in = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'h', 5, 'l', 'o', 'c', 'a', 'l', 0, 0, 1, 0, 1};
  Answer a = feed(r, in, now);
  Bytes expected = {0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 1,                  // response, AA, AN=1, AR=1
                    1, 'h', 5, 'l', 'o', 'c', 'a', 'l', 0, 0, 1, 0x80, 1,  // h.local A, cache-flush
                    0, 0, 0, 120, 0, 4, 10, 0, 0, 7,                       // TTL 120, 10.0.0.7
                    0xC0, 12, 0, 47, 0x80, 1, 0, 0, 0, 120, 0, 12,         // NSEC for h.local
                    1, 'h', 5, 'l', 'o', 'c', 'a', 'l', 0, 0, 1, 0x40};    // next name, bitmap: A only
  EXPECT_FALSE(a.reply.unicast);
  EXPECT_EQ(a.packet, expected);
}

TEST_F(RunningResponder, PtrQueryGetsPtrWithSrvTxtAndAddressAsAdditionals) {
  Answer a = feed(responder, query({{"_arduino._tcp.local", kTypePtr, false}}), last_announcement_ms + 1000);
  EXPECT_FALSE(a.reply.unicast);
  EXPECT_EQ(describe_records(a.packet),
            (std::vector<std::string>{
                "AN _arduino._tcp.local 12 shared ttl=4500 esp8266-ee1337._arduino._tcp.local",
                "AR esp8266-ee1337.local 1 flush ttl=120 127.0.0.1",
                "AR esp8266-ee1337.local 47 flush ttl=120 esp8266-ee1337.local bitmap=0,1,40,",
                "AR esp8266-ee1337._arduino._tcp.local 33 flush ttl=4500 0 0 8266 esp8266-ee1337.local",
                "AR esp8266-ee1337._arduino._tcp.local 16 flush ttl=4500 "
                "[auth_upload=yes][board=generic][ssh_upload=no][tcp_check=no]"}));
}

TEST_F(RunningResponder, ServiceEnumerationAndReverseLookupAreAnswered) {
  uint32_t now = last_announcement_ms + 1000;
  Answer services = feed(responder, query({{"_services._dns-sd._udp.local", kTypePtr, false}}), now);
  EXPECT_EQ(describe_records(services.packet),
            std::vector<std::string>{"AN _services._dns-sd._udp.local 12 shared ttl=4500 _arduino._tcp.local"});
  Answer reverse = feed(responder, query({{"1.0.0.127.in-addr.arpa", kTypePtr, false}}), now);
  EXPECT_EQ(describe_records(reverse.packet),
            std::vector<std::string>{"AN 1.0.0.127.in-addr.arpa 12 flush ttl=120 esp8266-ee1337.local"});
}

TEST_F(RunningResponder, SrvAndTxtQueriesNameCaseInsensitively) {
  Answer a = feed(responder,
                  query({{"ESP8266-EE1337._Arduino._TCP.local", kTypeSrv, false},
                         {"esp8266-ee1337._arduino._tcp.local", kTypeTxt, false}}),
                  last_announcement_ms + 1000);
  std::vector<std::string> lines = describe_records(a.packet);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0].substr(0, 40), "AN esp8266-ee1337._arduino._tcp.local 33");
  EXPECT_EQ(lines[1].substr(0, 40), "AN esp8266-ee1337._arduino._tcp.local 16");
  EXPECT_EQ(lines[2], "AR esp8266-ee1337.local 1 flush ttl=120 127.0.0.1");
}

TEST_F(RunningResponder, AaaaQuestionGetsNsecSayingOnlyAExists) {
  Answer a = feed(responder, query({{"esp8266-ee1337.local", kTypeAaaa, false}}), last_announcement_ms + 1000);
  std::vector<std::string> lines = describe_records(a.packet);
  EXPECT_EQ(lines, std::vector<std::string>{
                       "AN esp8266-ee1337.local 47 flush ttl=120 esp8266-ee1337.local bitmap=0,1,40,"});
}

TEST_F(RunningResponder, OtherNamesAndClassesGetNoReply) {
  uint32_t now = last_announcement_ms + 1000;
  EXPECT_EQ(feed(responder, query({{"other.local", kTypeA, false}}), now).reply.length, 0u);
  EXPECT_EQ(feed(responder, query({{"_http._tcp.local", kTypePtr, false}}), now).reply.length, 0u);
  Bytes chaos = query({{"esp8266-ee1337.local", kTypeA, false}});
  chaos[chaos.size() - 1] = 3;  // class CH
  EXPECT_EQ(feed(responder, chaos, now).reply.length, 0u);
}

// ---------------------------------------------------------------------------------------------
TEST_F(RunningResponder, KnownAnswerWithHalfItsTtlSuppressesTheAnswer) {
  uint32_t now = last_announcement_ms + 1000;
  const char* service = "_arduino._tcp.local";
  const char* instance = "esp8266-ee1337._arduino._tcp.local";
  Answer fresh = feed(responder, query({{service, kTypePtr, false}}, {{service, instance, 2250}}), now);
  EXPECT_EQ(fresh.reply.length, 0u) << "querier already holds the record with half its TTL";
  Answer stale = feed(responder, query({{service, kTypePtr, false}}, {{service, instance, 2249}}), now);
  EXPECT_GT(stale.reply.length, 0u) << "below half the TTL the querier needs a refresh";
  Answer other = feed(responder, query({{service, kTypePtr, false}}, {{service, "x._arduino._tcp.local", 4500}}),
                      now + 1000);
  EXPECT_GT(other.reply.length, 0u) << "a known answer for another instance suppresses nothing";
}

TEST_F(RunningResponder, MulticastsARecordAtMostOncePerSecond) {
  Bytes ptr_query = query({{"_arduino._tcp.local", kTypePtr, false}});
  uint32_t now = last_announcement_ms + 1000;
  EXPECT_GT(feed(responder, ptr_query, now).reply.length, 0u);
  EXPECT_EQ(feed(responder, ptr_query, now + 999).reply.length, 0u);
  EXPECT_GT(feed(responder, ptr_query, now + 1000).reply.length, 0u);
  EXPECT_EQ(feed(responder, ptr_query, last_announcement_ms + 2500).reply.length, 0u);
}

TEST_F(RunningResponder, QuQuestionIsAnsweredByUnicastWhileTheMulticastIsRecent) {
  Answer soon = feed(responder, query({{"_arduino._tcp.local", kTypePtr, true}}), last_announcement_ms + 10);
  EXPECT_GT(soon.reply.length, 0u) << "unicast replies are not rate-limited";
  EXPECT_TRUE(soon.reply.unicast);
  // The A record (TTL 120) was multicast more than 30 s (a quarter TTL) ago: multicast it again.
  Answer later = feed(responder, query({{"esp8266-ee1337.local", kTypeA, true}}), last_announcement_ms + 30000);
  EXPECT_GT(later.reply.length, 0u);
  EXPECT_FALSE(later.reply.unicast);
}

TEST_F(RunningResponder, LegacyUnicastQueryGetsItsIdQuestionAndShortTtls) {
  Bytes in = query({{"esp8266-ee1337._arduino._tcp.local", kTypeSrv, false}}, {}, 0x1234);
  Answer a = feed(responder, in, last_announcement_ms + 1000, 40000);
  ASSERT_GT(a.reply.length, 0u);
  EXPECT_TRUE(a.reply.unicast);
  MessageReader reader;
  ASSERT_EQ(reader.open(a.packet.data(), a.packet.size()), ParseError::ok);
  EXPECT_EQ(reader.header().id, 0x1234);
  EXPECT_EQ(reader.header().question_count, 1);
  EXPECT_EQ(describe_records(a.packet),
            (std::vector<std::string>{
                "AN esp8266-ee1337._arduino._tcp.local 33 shared ttl=10 0 0 8266 esp8266-ee1337.local",
                "AR esp8266-ee1337.local 1 shared ttl=10 127.0.0.1",
                "AR esp8266-ee1337.local 47 shared ttl=10 esp8266-ee1337.local bitmap=0,1,40,"}));
}

TEST_F(RunningResponder, MalformedQueryGetsNoReply) {
  Bytes in = query({{"_arduino._tcp.local", kTypePtr, false}},
                   {{"_arduino._tcp.local", "esp8266-ee1337._arduino._tcp.local", 4500}});
  in.resize(in.size() - 3);  // cut into the known answer
  EXPECT_EQ(feed(responder, in, last_announcement_ms + 1000).reply.length, 0u);
  Bytes garbage(40, 0xFF);
  EXPECT_EQ(feed(responder, garbage, last_announcement_ms + 1000).reply.length, 0u);
}

// ---------------------------------------------------------------------------------------------
Bytes response_with_a(const char* host, uint8_t last_octet, uint32_t ttl = 120) {
  uint8_t buf[512];
  MessageWriter w(buf, sizeof(buf), 0, kFlagResponse | kFlagAuthoritative);
  DnsName name;
  name.set_dotted(host);
  const uint8_t address[4] = {127, 0, 0, last_octet};
  w.begin_record(Section::answer, name, kTypeA, kClassIn | kClassTopBit, ttl);
  w.put_bytes(address, 4);
  w.end_record();
  size_t n = w.finish();
  return Bytes(buf, buf + n);
}

Bytes other_probe(uint8_t last_octet) {
  uint8_t buf[512];
  MessageWriter w(buf, sizeof(buf), 0, 0);
  DnsName name;
  name.set_dotted("esp8266-ee1337.local");
  const uint8_t address[4] = {127, 0, 0, last_octet};
  w.add_question(name, kTypeAny, kClassIn | kClassTopBit);
  w.begin_record(Section::authority, name, kTypeA, kClassIn, 120);
  w.put_bytes(address, 4);
  w.end_record();
  size_t n = w.finish();
  return Bytes(buf, buf + n);
}

TEST(ResponderConflict, AnotherHostClaimingTheNameWhileProbingMakesUsRename) {
  Responder r;
  r.configure(esp_description());
  r.start(0, 0);
  uint8_t buf[Responder::kMaxPacket];
  r.on_timer(0, buf, sizeof(buf));
  feed(r, response_with_a("ESP8266-ee1337.local", 9), 100);
  EXPECT_STREQ(r.hostname(), "esp8266-ee1337-2");
  EXPECT_EQ(r.conflict_count(), 1u);
  EXPECT_EQ(r.state(), ResponderState::probing);
  EXPECT_EQ(r.timer_due_ms(), 100u);
  size_t n = r.on_timer(100, buf, sizeof(buf));
  Question q;
  MessageReader reader;
  reader.open(buf, n);
  ASSERT_EQ(reader.read_question(q), ParseError::ok);
  EXPECT_EQ(dotted(q.name), "esp8266-ee1337-2.local");
}

TEST(ResponderConflict, ConflictWhileRunningRenamesAndProbesAgain) {
  Responder r;
  r.configure(esp_description());
  r.start(0, 0);
  run_until_running(r, 0);
  feed(r, response_with_a("esp8266-ee1337.local", 9), 10000);
  EXPECT_STREQ(r.hostname(), "esp8266-ee1337-2");
  EXPECT_EQ(r.state(), ResponderState::probing);
}

TEST(ResponderConflict, OwnLoopedBackPacketsAndGoodbyesAreNoConflict) {
  Responder r;
  r.configure(esp_description());
  r.start(0, 0);
  uint8_t buf[Responder::kMaxPacket];
  size_t n = r.on_timer(0, buf, sizeof(buf));
  feed(r, Bytes(buf, buf + n), 1);  // our own probe, multicast loopback
  EXPECT_EQ(r.timer_due_ms(), 250u) << "our own probe must not restart probing";
  std::vector<Sent> sent = run_until_running(r, 1);
  for (const Sent& s : sent) feed(r, s.packet, s.at_ms + 1);
  feed(r, response_with_a("esp8266-ee1337.local", 9, 0), 9000);  // someone else's goodbye
  feed(r, response_with_a("esp8266-ee1337.local", 9), 9000, 12345);  // not from port 5353
  EXPECT_STREQ(r.hostname(), "esp8266-ee1337");
  EXPECT_EQ(r.conflict_count(), 0u);
  EXPECT_EQ(r.state(), ResponderState::running);
}

TEST(ResponderConflict, LosingASimultaneousProbeTieBreakWaitsOneSecond) {
  Responder r;
  r.configure(esp_description());
  r.start(0, 0);
  uint8_t buf[Responder::kMaxPacket];
  r.on_timer(0, buf, sizeof(buf));
  feed(r, other_probe(0), 10);  // 127.0.0.0 < 127.0.0.1: we win, carry on
  EXPECT_EQ(r.timer_due_ms(), 250u);
  feed(r, other_probe(2), 20);  // 127.0.0.2 > 127.0.0.1: we lose
  EXPECT_EQ(r.timer_due_ms(), 1020u);
  EXPECT_STREQ(r.hostname(), "esp8266-ee1337") << "a lost tie-break is not yet a conflict";
  EXPECT_EQ(run_until_running(r, 1020).size(), 6u);
}

TEST(ResponderConflict, RenamedLongHostnameStaysOneLabel) {
  std::string long_name(63, 'n');
  ServiceDescription d = esp_description();
  d.hostname = long_name.c_str();
  Responder r;
  ASSERT_EQ(r.configure(d), ConfigError::ok);
  r.start(0, 0);
  feed(r, response_with_a((long_name + ".local").c_str(), 9), 1);
  EXPECT_EQ(std::string(r.hostname()), std::string(61, 'n') + "-2");
}

TEST_F(RunningResponder, ProbeForOurNameIsDefendedByMulticastEvery250Ms) {
  Answer first = feed(responder, other_probe(9), last_announcement_ms + 250);
  EXPECT_FALSE(first.reply.unicast) << "all hosts must see the defence, whatever the QU bit says";
  std::vector<std::string> lines = describe_records(first.packet);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[0], "AN esp8266-ee1337.local 1 flush ttl=120 127.0.0.1");
  EXPECT_EQ(feed(responder, other_probe(9), last_announcement_ms + 499).reply.length, 0u);
  EXPECT_GT(feed(responder, other_probe(9), last_announcement_ms + 500).reply.length, 0u);
  EXPECT_STREQ(responder.hostname(), "esp8266-ee1337") << "the established owner keeps its name";
}

// ---------------------------------------------------------------------------------------------
TEST_F(RunningResponder, GoodbyeWithdrawsEveryRecordWithTtlZero) {
  uint8_t buf[Responder::kMaxPacket];
  size_t n = responder.goodbye(buf, sizeof(buf));
  std::vector<std::string> lines = describe_records(Bytes(buf, buf + n));
  ASSERT_EQ(lines.size(), 6u);
  for (const std::string& line : lines) EXPECT_NE(line.find(" ttl=0 "), std::string::npos) << line;
  EXPECT_EQ(responder.state(), ResponderState::stopped);
  EXPECT_EQ(feed(responder, query({{"_arduino._tcp.local", kTypePtr, false}}), last_announcement_ms + 5000)
                .reply.length,
            0u);
}

TEST(Responder, NoGoodbyeBeforeAnythingWasAnnounced) {
  Responder r;
  r.configure(esp_description());
  r.start(0, 0);
  uint8_t buf[Responder::kMaxPacket];
  EXPECT_EQ(r.goodbye(buf, sizeof(buf)), 0u);
  EXPECT_EQ(r.state(), ResponderState::stopped);
}

TEST(Responder, RejectsBadConfiguration) {
  Responder r;
  ServiceDescription d = esp_description();
  d.hostname = "two.labels";
  EXPECT_EQ(r.configure(d), ConfigError::bad_hostname);
  d.hostname = "";
  EXPECT_EQ(r.configure(d), ConfigError::bad_hostname);
  std::string long_name(64, 'x');
  d.hostname = long_name.c_str();
  EXPECT_EQ(r.configure(d), ConfigError::bad_hostname);
  d = esp_description();
  const TxtEntry bad_key[] = {{"a=b", "c"}};
  d.txt = bad_key;
  d.txt_count = 1;
  EXPECT_EQ(r.configure(d), ConfigError::bad_txt_entry);
  std::string long_value(252, 'v');  // "key=" + 252 = 256 bytes, one more than a TXT string holds
  const TxtEntry too_long[] = {{"key", long_value.c_str()}};
  d.txt = too_long;
  EXPECT_EQ(r.configure(d), ConfigError::bad_txt_entry);
  const TxtEntry many[] = {{"k1", long_value.c_str()}, {"k2", long_value.c_str()}};
  d.txt = many;
  d.txt_count = 2;
  EXPECT_EQ(r.configure(d), ConfigError::txt_too_long);
}

TEST(Responder, EmptyTxtIsOneEmptyString) {
  ServiceDescription d = esp_description();
  d.txt_count = 0;
  Responder r;
  ASSERT_EQ(r.configure(d), ConfigError::ok);
  r.start(0, 0);
  std::vector<Sent> sent = run_until_running(r, 0);
  std::vector<std::string> lines = describe_records(sent[3].packet);
  EXPECT_NE(std::find(lines.begin(), lines.end(), "AN esp8266-ee1337._arduino._tcp.local 16 flush ttl=4500 []"),
            lines.end());
}

}  // namespace
}  // namespace otakit::mdns
