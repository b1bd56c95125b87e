// The mDNS responder with more than one service on the host, as a sketch that calls
// MDNS.addService("http", "tcp", 80) next to ArduinoOTA: `_arduino._tcp` and `_http._tcp` under one
// hostname. Transcripts as in mdns_responder_test.cpp: time and packets in, packets out.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/mdns/mdns_browser.h"
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
using test::run_until_running;
using test::Sent;
using Lines = std::vector<std::string>;

const TxtEntry kArduinoTxt[] = {{"auth_upload", "no"}, {"board", "generic"}, {"ssh_upload", "no"}, {"tcp_check", "no"}};
const TxtEntry kHttpTxt[] = {{"path", "/update"}};

const char* const kArduinoTxtText = "[auth_upload=no][board=generic][ssh_upload=no][tcp_check=no]";

// esp8266-ee1337 at 127.0.0.1 with espota on 8266 and the upload page on 8080.
struct TwoServices {
  ServiceEntry services[2] = {{"_arduino", "_tcp", 8266, kArduinoTxt, 4}, {"_http", "_tcp", 8080, kHttpTxt, 1}};
  HostDescription host;
  TwoServices() {
    host.hostname = "esp8266-ee1337";
    host.ipv4[0] = 127;
    host.ipv4[3] = 1;
    host.services = services;
    host.service_count = 2;
  }
};

class RunningTwoServices : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(responder.configure(TwoServices().host), ConfigError::ok) << "the responder keeps its own copy";
    responder.start(1000, 0);
    std::vector<Sent> sent = run_until_running(responder, 1000);
    ASSERT_EQ(responder.state(), ResponderState::running);
    last_announcement_ms = sent.back().at_ms;
  }
  Responder responder;
  uint32_t last_announcement_ms = 0;
};

Lines questions_of(const Bytes& packet) {
  MessageReader reader;
  Lines names;
  if (reader.open(packet.data(), packet.size()) != ParseError::ok) return {"ERROR"};
  Question q;
  while (reader.read_question(q) == ParseError::ok)
    names.push_back(dotted(q.name) + (q.type == kTypeAny && q.unicast_response ? " ANY QU" : " other"));
  return names;
}

// A response from another host: one SRV record for `instance`, pointing at `target`.
Bytes response_with_srv(const char* instance, uint16_t port, const char* target, bool probe = false) {
  uint8_t buf[512];
  MessageWriter w(buf, sizeof(buf), 0, probe ? 0 : kFlagResponse | kFlagAuthoritative);
  DnsName name, target_name;
  name.set_dotted(instance);
  target_name.set_dotted(target);
  if (probe) w.add_question(name, kTypeAny, kClassIn | kClassTopBit);
  w.begin_record(probe ? Section::authority : Section::answer, name, kTypeSrv,
                 probe ? kClassIn : kClassIn | kClassTopBit, 4500);
  w.put_u16(0);
  w.put_u16(0);
  w.put_u16(port);
  w.put_name(target_name);
  w.end_record();
  size_t n = w.finish();
  return Bytes(buf, buf + n);
}

// ---------------------------------------------------------------------------------------------
TEST(TwoServices, ProbeClaimsTheHostAndBothInstances) {
  Responder r;
  ASSERT_EQ(r.configure(TwoServices().host), ConfigError::ok);
  EXPECT_EQ(r.service_count(), 2u);
  r.start(0, 0);
  uint8_t buf[Responder::kMaxPacket];
  Bytes probe(buf, buf + r.on_timer(0, buf, sizeof(buf)));
  EXPECT_EQ(questions_of(probe), (Lines{"esp8266-ee1337.local ANY QU", "esp8266-ee1337._arduino._tcp.local ANY QU",
                                        "esp8266-ee1337._http._tcp.local ANY QU"}));
  EXPECT_EQ(describe_records(probe),
            (Lines{"NS esp8266-ee1337.local 1 shared ttl=120 127.0.0.1",
                   "NS esp8266-ee1337._arduino._tcp.local 33 shared ttl=4500 0 0 8266 esp8266-ee1337.local",
                   std::string("NS esp8266-ee1337._arduino._tcp.local 16 shared ttl=4500 ") + kArduinoTxtText,
                   "NS esp8266-ee1337._http._tcp.local 33 shared ttl=4500 0 0 8080 esp8266-ee1337.local",
                   "NS esp8266-ee1337._http._tcp.local 16 shared ttl=4500 [path=/update]"}));
}

TEST(TwoServices, AnnouncementCarriesEveryRecordOfBothServicesInOnePacket) {
  Responder r;
  ASSERT_EQ(r.configure(TwoServices().host), ConfigError::ok);
  r.start(0, 0);
  std::vector<Sent> sent = run_until_running(r, 0);
  ASSERT_EQ(sent.size(), 6u) << "three probes and three announcements, as with one service";
  for (int i = 3; i < 6; ++i) {
    EXPECT_EQ(describe_records(sent[size_t(i)].packet),
              (Lines{"AN esp8266-ee1337.local 1 flush ttl=120 127.0.0.1",
                     "AN 1.0.0.127.in-addr.arpa 12 flush ttl=120 esp8266-ee1337.local",
                     "AN _services._dns-sd._udp.local 12 shared ttl=4500 _arduino._tcp.local",
                     "AN _arduino._tcp.local 12 shared ttl=4500 esp8266-ee1337._arduino._tcp.local",
                     "AN esp8266-ee1337._arduino._tcp.local 33 flush ttl=4500 0 0 8266 esp8266-ee1337.local",
                     std::string("AN esp8266-ee1337._arduino._tcp.local 16 flush ttl=4500 ") + kArduinoTxtText,
                     "AN _services._dns-sd._udp.local 12 shared ttl=4500 _http._tcp.local",
                     "AN _http._tcp.local 12 shared ttl=4500 esp8266-ee1337._http._tcp.local",
                     "AN esp8266-ee1337._http._tcp.local 33 flush ttl=4500 0 0 8080 esp8266-ee1337.local",
                     "AN esp8266-ee1337._http._tcp.local 16 flush ttl=4500 [path=/update]"}))
        << "announcement " << i - 2;
  }
}

// ---------------------------------------------------------------------------------------------
TEST_F(RunningTwoServices, PtrQueryForEachTypeIsAnsweredWithThatServiceOnly) {
  uint32_t now = last_announcement_ms + 1000;
  Answer http = feed(responder, query({{"_http._tcp.local", kTypePtr, false}}), now);
  EXPECT_FALSE(http.reply.unicast);
  EXPECT_EQ(describe_records(http.packet),
            (Lines{"AN _http._tcp.local 12 shared ttl=4500 esp8266-ee1337._http._tcp.local",
                   "AR esp8266-ee1337.local 1 flush ttl=120 127.0.0.1",
                   "AR esp8266-ee1337.local 47 flush ttl=120 esp8266-ee1337.local bitmap=0,1,40,",
                   "AR esp8266-ee1337._http._tcp.local 33 flush ttl=4500 0 0 8080 esp8266-ee1337.local",
                   "AR esp8266-ee1337._http._tcp.local 16 flush ttl=4500 [path=/update]"}));
  Answer arduino = feed(responder, query({{"_arduino._tcp.local", kTypePtr, false}}), now);
  EXPECT_EQ(describe_records(arduino.packet),
            (Lines{"AN _arduino._tcp.local 12 shared ttl=4500 esp8266-ee1337._arduino._tcp.local",
                   "AR esp8266-ee1337.local 1 flush ttl=120 127.0.0.1",
                   "AR esp8266-ee1337.local 47 flush ttl=120 esp8266-ee1337.local bitmap=0,1,40,",
                   "AR esp8266-ee1337._arduino._tcp.local 33 flush ttl=4500 0 0 8266 esp8266-ee1337.local",
                   std::string("AR esp8266-ee1337._arduino._tcp.local 16 flush ttl=4500 ") + kArduinoTxtText}));
  Answer both = feed(responder,
                     query({{"_arduino._tcp.local", kTypePtr, false}, {"_http._tcp.local", kTypePtr, false}}),
                     now + 1000);
  Lines lines = describe_records(both.packet);
  ASSERT_EQ(lines.size(), 8u) << "two PTR answers; SRV and TXT of each, A and NSEC once";
  EXPECT_EQ(lines[0], "AN _arduino._tcp.local 12 shared ttl=4500 esp8266-ee1337._arduino._tcp.local");
  EXPECT_EQ(lines[1], "AN _http._tcp.local 12 shared ttl=4500 esp8266-ee1337._http._tcp.local");
}

TEST_F(RunningTwoServices, ServiceEnumerationListsBothTypes) {
  uint32_t now = last_announcement_ms + 1000;
  const char* services = "_services._dns-sd._udp.local";
  Answer all = feed(responder, query({{services, kTypePtr, false}}), now);
  EXPECT_EQ(describe_records(all.packet), (Lines{"AN _services._dns-sd._udp.local 12 shared ttl=4500 _arduino._tcp.local",
                                                 "AN _services._dns-sd._udp.local 12 shared ttl=4500 _http._tcp.local"}));
  // A querier that knows one type hears only the other (known-answer suppression per record).
  Answer rest = feed(responder, query({{services, kTypePtr, false}}, {{services, "_arduino._tcp.local", 4500}}),
                     now + 1000);
  EXPECT_EQ(describe_records(rest.packet),
            (Lines{"AN _services._dns-sd._udp.local 12 shared ttl=4500 _http._tcp.local"}));
  Answer none = feed(responder,
                     query({{services, kTypePtr, false}},
                           {{services, "_arduino._tcp.local", 4500}, {services, "_http._tcp.local", 4500}}),
                     now + 2000);
  EXPECT_EQ(none.reply.length, 0u);
}

TEST_F(RunningTwoServices, SrvTxtAndNsecOfEachInstance) {
  uint32_t now = last_announcement_ms + 1000;
  Answer http = feed(responder,
                     query({{"esp8266-ee1337._http._tcp.local", kTypeSrv, false},
                            {"ESP8266-EE1337._HTTP._tcp.local", kTypeTxt, false}}),
                     now);
  EXPECT_EQ(describe_records(http.packet),
            (Lines{"AN esp8266-ee1337._http._tcp.local 33 flush ttl=4500 0 0 8080 esp8266-ee1337.local",
                   "AN esp8266-ee1337._http._tcp.local 16 flush ttl=4500 [path=/update]",
                   "AR esp8266-ee1337.local 1 flush ttl=120 127.0.0.1",
                   "AR esp8266-ee1337.local 47 flush ttl=120 esp8266-ee1337.local bitmap=0,1,40,"}));
  Answer arduino = feed(responder, query({{"esp8266-ee1337._arduino._tcp.local", kTypeSrv, false}}), now);
  Lines lines = describe_records(arduino.packet);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[0], "AN esp8266-ee1337._arduino._tcp.local 33 flush ttl=4500 0 0 8266 esp8266-ee1337.local");
  Answer aaaa = feed(responder, query({{"esp8266-ee1337._http._tcp.local", kTypeAaaa, false}}), now);
  EXPECT_EQ(describe_records(aaaa.packet),
            (Lines{"AN esp8266-ee1337._http._tcp.local 47 flush ttl=4500 esp8266-ee1337._http._tcp.local "
                   "bitmap=0,5,0,0,80,0,40,"}));
  EXPECT_EQ(feed(responder, query({{"_ftp._tcp.local", kTypePtr, false}}), now).reply.length, 0u);
  EXPECT_EQ(feed(responder, query({{"other._http._tcp.local", kTypeSrv, false}}), now).reply.length, 0u);
}

TEST_F(RunningTwoServices, RateLimitAndQuAreKeptPerRecord) {
  uint32_t now = last_announcement_ms + 1000;
  Bytes http = query({{"_http._tcp.local", kTypePtr, false}});
  EXPECT_GT(feed(responder, http, now).reply.length, 0u);
  EXPECT_EQ(feed(responder, http, now + 500).reply.length, 0u) << "the _http PTR went out 500 ms ago";
  EXPECT_GT(feed(responder, query({{"_arduino._tcp.local", kTypePtr, false}}), now + 500).reply.length, 0u)
      << "the _arduino PTR is another record";
  Answer qu = feed(responder, query({{"_http._tcp.local", kTypePtr, true}}), now + 600);
  EXPECT_TRUE(qu.reply.unicast) << "multicast 600 ms ago: a QU question gets a unicast reply";
}

TEST_F(RunningTwoServices, AReplyThatDoesNotFitDropsTheAdditionalsFirst) {
  Bytes in = query({{"_http._tcp.local", kTypePtr, false}});
  Answer small = feed(responder, in, last_announcement_ms + 1000, kMdnsPort, 100);
  EXPECT_EQ(describe_records(small.packet),
            (Lines{"AN _http._tcp.local 12 shared ttl=4500 esp8266-ee1337._http._tcp.local"}));
  Answer tiny = feed(responder, in, last_announcement_ms + 2000, kMdnsPort, 40);
  EXPECT_EQ(tiny.reply.length, 0u) << "not even the answer fits";
}

TEST_F(RunningTwoServices, GoodbyeWithdrawsBothServices) {
  uint8_t buf[Responder::kMaxPacket];
  Lines lines = describe_records(Bytes(buf, buf + responder.goodbye(buf, sizeof(buf))));
  ASSERT_EQ(lines.size(), 10u);
  for (const std::string& line : lines) EXPECT_NE(line.find(" ttl=0 "), std::string::npos) << line;
  EXPECT_EQ(lines[8], "AN esp8266-ee1337._http._tcp.local 33 flush ttl=0 0 0 8080 esp8266-ee1337.local");
}

// ---------------------------------------------------------------------------------------------
TEST(TwoServicesConflict, AClaimOnTheHttpInstanceRenamesTheHostAndBothInstances) {
  Responder r;
  ASSERT_EQ(r.configure(TwoServices().host), ConfigError::ok);
  r.start(0, 0);
  run_until_running(r, 0);
  feed(r, response_with_srv("esp8266-ee1337._http._tcp.local", 80, "other.local"), 10000);
  EXPECT_STREQ(r.hostname(), "esp8266-ee1337-2");
  EXPECT_EQ(r.conflict_count(), 1u);
  ASSERT_EQ(r.state(), ResponderState::probing);
  std::vector<Sent> sent = run_until_running(r, 10000);
  ASSERT_EQ(sent.size(), 6u);
  EXPECT_EQ(questions_of(sent[0].packet),
            (Lines{"esp8266-ee1337-2.local ANY QU", "esp8266-ee1337-2._arduino._tcp.local ANY QU",
                   "esp8266-ee1337-2._http._tcp.local ANY QU"}));
  Lines announcement = describe_records(sent[3].packet);
  ASSERT_EQ(announcement.size(), 10u);
  EXPECT_EQ(announcement[3], "AN _arduino._tcp.local 12 shared ttl=4500 esp8266-ee1337-2._arduino._tcp.local");
  EXPECT_EQ(announcement[8], "AN esp8266-ee1337-2._http._tcp.local 33 flush ttl=4500 0 0 8080 esp8266-ee1337-2.local");
  EXPECT_EQ(dotted(r.service_instance(1)), "esp8266-ee1337-2._http._tcp.local");
}

TEST(TwoServicesConflict, AClaimOnTheArduinoTxtRenamesToo) {
  Responder r;
  ASSERT_EQ(r.configure(TwoServices().host), ConfigError::ok);
  r.start(0, 0);
  run_until_running(r, 0);
  uint8_t buf[256];
  MessageWriter w(buf, sizeof(buf), 0, kFlagResponse | kFlagAuthoritative);
  DnsName instance;
  instance.set_dotted("esp8266-ee1337._arduino._tcp.local");
  w.begin_record(Section::answer, instance, kTypeTxt, kClassIn | kClassTopBit, 4500);
  w.put_bytes("\x09path=/foo", 10);
  w.end_record();
  feed(r, Bytes(buf, buf + w.finish()), 10000);
  EXPECT_STREQ(r.hostname(), "esp8266-ee1337-2");
}

TEST(TwoServicesConflict, OwnLoopedBackPacketsAndMatchingRecordsAreNoConflict) {
  Responder r;
  ASSERT_EQ(r.configure(TwoServices().host), ConfigError::ok);
  r.start(0, 0);
  std::vector<Sent> sent = run_until_running(r, 0);
  for (const Sent& s : sent) feed(r, s.packet, s.at_ms + 1);
  feed(r, response_with_srv("esp8266-ee1337._http._tcp.local", 8080, "esp8266-ee1337.local"), 9000);
  feed(r, response_with_srv("other._http._tcp.local", 80, "other.local"), 9000);  // another instance
  EXPECT_STREQ(r.hostname(), "esp8266-ee1337");
  EXPECT_EQ(r.conflict_count(), 0u);
  EXPECT_EQ(r.state(), ResponderState::running);
}

TEST(TwoServicesConflict, SimultaneousProbeForTheHttpInstanceIsTieBrokenOnItsSrv) {
  Responder r;
  ASSERT_EQ(r.configure(TwoServices().host), ConfigError::ok);
  r.start(0, 0);
  uint8_t buf[Responder::kMaxPacket];
  r.on_timer(0, buf, sizeof(buf));
  const char* instance = "esp8266-ee1337._http._tcp.local";
  feed(r, response_with_srv(instance, 8079, "esp8266-ee1337.local", true), 10);  // 8079 < 8080: we win
  EXPECT_EQ(r.timer_due_ms(), 250u);
  feed(r, response_with_srv(instance, 8081, "esp8266-ee1337.local", true), 20);  // 8081 > 8080: we lose
  EXPECT_EQ(r.timer_due_ms(), 1020u);
  EXPECT_STREQ(r.hostname(), "esp8266-ee1337") << "a lost tie-break is not yet a conflict";
}

TEST(TwoServicesConflict, ProbeForTheHttpInstanceIsDefended) {
  Responder r;
  ASSERT_EQ(r.configure(TwoServices().host), ConfigError::ok);
  r.start(0, 0);
  uint32_t now = run_until_running(r, 0).back().at_ms + 300;
  Answer defence = feed(r, response_with_srv("esp8266-ee1337._http._tcp.local", 80, "other.local", true), now);
  EXPECT_FALSE(defence.reply.unicast);
  Lines lines = describe_records(defence.packet);
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines[0], "AN esp8266-ee1337._http._tcp.local 33 flush ttl=4500 0 0 8080 esp8266-ee1337.local");
  EXPECT_EQ(lines[1], "AN esp8266-ee1337._http._tcp.local 16 flush ttl=4500 [path=/update]");
}

// ---------------------------------------------------------------------------------------------
TEST(Services, OnlyTheHttpServiceWhenEspotaIsNotServed) {
  const ServiceEntry http[] = {{"_http", "_tcp", 80, kHttpTxt, 1}};
  HostDescription host;
  host.hostname = "web-only";
  host.ipv4[0] = 10;
  host.ipv4[3] = 9;
  host.services = http;
  host.service_count = 1;
  Responder r;
  ASSERT_EQ(r.configure(host), ConfigError::ok);
  r.start(0, 0);
  std::vector<Sent> sent = run_until_running(r, 0);
  ASSERT_EQ(sent.size(), 6u);
  EXPECT_EQ(describe_records(sent[3].packet),
            (Lines{"AN web-only.local 1 flush ttl=120 10.0.0.9", "AN 9.0.0.10.in-addr.arpa 12 flush ttl=120 web-only.local",
                   "AN _services._dns-sd._udp.local 12 shared ttl=4500 _http._tcp.local",
                   "AN _http._tcp.local 12 shared ttl=4500 web-only._http._tcp.local",
                   "AN web-only._http._tcp.local 33 flush ttl=4500 0 0 80 web-only.local",
                   "AN web-only._http._tcp.local 16 flush ttl=4500 [path=/update]"}));
  uint32_t now = sent.back().at_ms + 1000;
  EXPECT_EQ(feed(r, query({{"_arduino._tcp.local", kTypePtr, false}}), now).reply.length, 0u);
  EXPECT_EQ(describe_records(feed(r, query({{"_services._dns-sd._udp.local", kTypePtr, false}}), now).packet),
            (Lines{"AN _services._dns-sd._udp.local 12 shared ttl=4500 _http._tcp.local"}));
}

TEST(Services, UpToFourServicesAreAdvertised) {
  const ServiceEntry four[] = {{"_arduino", "_tcp", 8266, kArduinoTxt, 4},
                               {"_http", "_tcp", 80, kHttpTxt, 1},
                               {"_telnet", "_tcp", 23, nullptr, 0},
                               {"_osc", "_udp", 9000, nullptr, 0}};
  static_assert(sizeof(four) / sizeof(four[0]) == Responder::kMaxServices, "the test fills every slot");
  HostDescription host = TwoServices().host;
  host.services = four;
  host.service_count = 4;
  Responder r;
  ASSERT_EQ(r.configure(host), ConfigError::ok);
  r.start(0, 0);
  std::vector<Sent> sent = run_until_running(r, 0);
  ASSERT_EQ(sent.size(), 6u);
  EXPECT_EQ(describe_records(sent[3].packet).size(), 2u + 4u * 4u);
  Answer all = feed(r, query({{"_services._dns-sd._udp.local", kTypePtr, false}}), sent.back().at_ms + 1000);
  EXPECT_EQ(describe_records(all.packet),
            (Lines{"AN _services._dns-sd._udp.local 12 shared ttl=4500 _arduino._tcp.local",
                   "AN _services._dns-sd._udp.local 12 shared ttl=4500 _http._tcp.local",
                   "AN _services._dns-sd._udp.local 12 shared ttl=4500 _telnet._tcp.local",
                   "AN _services._dns-sd._udp.local 12 shared ttl=4500 _osc._udp.local"}));
  Answer osc = feed(r, query({{"esp8266-ee1337._osc._udp.local", kTypeAny, false}}), sent.back().at_ms + 1000);
  Lines lines = describe_records(osc.packet);
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines[0], "AN esp8266-ee1337._osc._udp.local 33 flush ttl=4500 0 0 9000 esp8266-ee1337.local");
  EXPECT_EQ(lines[1], "AN esp8266-ee1337._osc._udp.local 16 flush ttl=4500 []");
}

TEST(Services, RejectsBadServiceLists) {
  Responder r;
  TwoServices two;
  HostDescription host = two.host;
  host.service_count = 0;
  EXPECT_EQ(r.configure(host), ConfigError::bad_service_count);
  host.service_count = Responder::kMaxServices + 1;
  EXPECT_EQ(r.configure(host), ConfigError::bad_service_count);
  host = two.host;
  host.services = nullptr;
  EXPECT_EQ(r.configure(host), ConfigError::bad_service_count);

  ServiceEntry twice[2] = {{"_http", "_tcp", 80, kHttpTxt, 1}, {"_HTTP", "_TCP", 8080, kHttpTxt, 1}};
  host = two.host;
  host.services = twice;
  EXPECT_EQ(r.configure(host), ConfigError::duplicate_service) << "types compare case-insensitively";
  twice[1].protocol = "_udp";
  EXPECT_EQ(r.configure(host), ConfigError::ok) << "_http._udp is another type";
  twice[1].service = "";
  EXPECT_EQ(r.configure(host), ConfigError::bad_service);

  // The TXT buffer is shared: 2 x 203 bytes exceed it, 2 x 193 fit.
  std::string big(200, 'v'), fits(190, 'v');
  const TxtEntry big_txt[] = {{"k", big.c_str()}};
  const TxtEntry fits_txt[] = {{"k", fits.c_str()}};
  ServiceEntry heavy[2] = {{"_a", "_tcp", 1, big_txt, 1}, {"_b", "_tcp", 2, big_txt, 1}};
  host.services = heavy;
  EXPECT_EQ(r.configure(host), ConfigError::txt_too_long);
  heavy[0].txt = heavy[1].txt = fits_txt;
  EXPECT_EQ(r.configure(host), ConfigError::ok);
}

TEST(Services, AConfigurationWhosePacketsDoNotFitIsRefused) {
  // Four services with 63-byte labels (nothing to compress but ".local") and 99 bytes of TXT each
  // under a 63-byte hostname: the probe would exceed one packet (with room kept for a renamed
  // hostname). Three such services fit.
  std::string hostname(63, 'h');
  std::string labels[4] = {"_" + std::string(62, 'a'), "_" + std::string(62, 'b'), "_" + std::string(62, 'c'),
                           "_" + std::string(62, 'd')};
  std::string protocols[4] = {"_" + std::string(62, 'p'), "_" + std::string(62, 'q'), "_" + std::string(62, 'r'),
                              "_" + std::string(62, 's')};
  std::string value(96, 'v');
  const TxtEntry txt[] = {{"k", value.c_str()}};
  ServiceEntry services[4];
  for (int i = 0; i < 4; ++i) services[i] = {labels[i].c_str(), protocols[i].c_str(), 1, txt, 1};
  HostDescription host;
  host.hostname = hostname.c_str();
  host.services = services;
  host.service_count = 4;
  Responder r;
  EXPECT_EQ(r.configure(host), ConfigError::too_large);
  r.start(0, 0);
  EXPECT_FALSE(r.timer_pending()) << "a refused configuration advertises nothing";
  host.service_count = 3;
  EXPECT_EQ(r.configure(host), ConfigError::ok);
  r.start(0, 0);
  std::vector<Sent> sent = run_until_running(r, 0);
  ASSERT_EQ(sent.size(), 6u);
  for (const Sent& s : sent) EXPECT_GT(s.packet.size(), 0u);
}

// ---------------------------------------------------------------------------------------------
TEST(TwoServices, BrowsersOfEitherTypeFindTheirInstanceInTheAnnouncement) {
  Responder r;
  ASSERT_EQ(r.configure(TwoServices().host), ConfigError::ok);
  r.start(0, 0);
  std::vector<Sent> sent = run_until_running(r, 0);
  const Bytes& announcement = sent.back().packet;
  struct Case {
    const char* service;
    uint16_t port;
    const char* instance;
  };
  for (const Case& c : {Case{"_arduino", 8266, "esp8266-ee1337._arduino._tcp.local"},
                        Case{"_http", 8080, "esp8266-ee1337._http._tcp.local"}}) {
    DiscoveredService slots[4];
    Browser browser(slots, 4, c.service, "_tcp");
    ASSERT_TRUE(browser.valid());
    EXPECT_EQ(browser.on_packet(announcement.data(), announcement.size(), kMdnsPort, 5000), ParseError::ok);
    ASSERT_EQ(browser.count(), 1u) << c.service;
    EXPECT_EQ(dotted(browser.at(0).instance), c.instance);
    EXPECT_EQ(browser.at(0).port, c.port);
    EXPECT_TRUE(browser.at(0).complete());
  }
}

}  // namespace
}  // namespace otakit::mdns
