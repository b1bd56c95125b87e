// DNS message codec: names, the recorded LEAmDNS packets, the builder, and one test per malformed packet.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "core/mdns/dns_message.h"
#include "tests/core/mdns_test_support.h"

namespace otakit::mdns {
namespace {

using test::Bytes;
using test::describe_records;
using test::dotted;
using test::recorded_packet;

Bytes operator+(const Bytes& a, const Bytes& b) {
  Bytes out(a.size() + b.size());  // element-wise: GCC 12's -Warray-bounds misfires on insert() here
  for (size_t i = 0; i < a.size(); ++i) out[i] = a[i];
  for (size_t i = 0; i < b.size(); ++i) out[a.size() + i] = b[i];
  return out;
}

// A header followed by `body`, with the given section counts.
Bytes packet(uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar, const Bytes& body, uint16_t flags = 0) {
  Bytes out = {0, 0, uint8_t(flags >> 8), uint8_t(flags), 0, uint8_t(qd), 0, uint8_t(an),
               0, uint8_t(ns), 0, uint8_t(ar)};
  out[4] = uint8_t(qd >> 8);
  out[6] = uint8_t(an >> 8);
  return out + body;
}

Bytes label(const std::string& text) {
  return Bytes{uint8_t(text.size())} + Bytes(text.begin(), text.end());
}


ParseError first_question_error(const Bytes& p) {
  MessageReader reader;
  ParseError error = reader.open(p.data(), p.size());
  if (error != ParseError::ok) return error;
  Question q;
  return reader.read_question(q);
}

ParseError first_record_error(const Bytes& p) {
  MessageReader reader;
  ParseError error = reader.open(p.data(), p.size());
  if (error != ParseError::ok) return error;
  Record r;
  return reader.read_record(r);
}

const Bytes kTypeClassA = {0x00, 0x01, 0x00, 0x01};

// ---------------------------------------------------------------------------------------------
TEST(DnsName, DottedTextRoundTripAndLimits) {
  DnsName name;
  ASSERT_TRUE(name.set_dotted("esp8266-ee1337.local."));
  EXPECT_EQ(dotted(name), "esp8266-ee1337.local");
  EXPECT_EQ(name.label_count(), 2u);
  EXPECT_EQ(name.wire_length(), 1 + 14 + 1 + 5 + 1u);
  EXPECT_FALSE(name.set_dotted("a..b"));
  EXPECT_EQ(name.wire_length(), 1u) << "a failed parse leaves the root name";
  EXPECT_FALSE(name.set_dotted(std::string(64, 'x').c_str()));
  EXPECT_TRUE(name.set_dotted(std::string(63, 'x').c_str()));
}

TEST(DnsName, CaseInsensitiveEqualityAndLabelBoundarySuffix) {
  DnsName a, b, local, xlocal;
  a.set_dotted("Host._Arduino._TCP.local");
  b.set_dotted("host._arduino._tcp.LOCAL");
  local.set_dotted("_arduino._tcp.local");
  xlocal.set_dotted("x_arduino._tcp.local");
  EXPECT_TRUE(a.equals(b));
  EXPECT_TRUE(a.ends_with(local));
  EXPECT_FALSE(xlocal.ends_with(local)) << "a suffix must start on a label boundary";
}

TEST(DnsName, UnprintableAndDotBytesAreEscaped) {
  DnsName name;
  name.append_label("a.b\\", 4);
  name.append_label("\x01 z", 3);
  EXPECT_EQ(dotted(name), "a\\046b\\092.\\001\\032z");
}

TEST(DnsName, RejectsNamesOver255Bytes) {
  DnsName name;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(name.append_label(std::string(63, 'a').c_str()));
  ASSERT_TRUE(name.append_label(std::string(61, 'b').c_str()));  // 3*64 + 62 + 1 = 255
  EXPECT_EQ(name.wire_length(), 255u);
  EXPECT_FALSE(name.append_label("c"));
}

// ---------------------------------------------------------------------------------------------
TEST(MessageReader, EveryRecordedLeamdnsPacketParses) {
  for (const char* file : {"mdns-auth.txt", "mdns-noauth.txt"}) {
    for (int index = 1; index <= 15; ++index) {
      Bytes p = recorded_packet(file, index);
      ASSERT_FALSE(p.empty()) << file << " #" << index;
      for (const std::string& line : describe_records(p)) EXPECT_EQ(line.find("ERROR"), std::string::npos) << line;
    }
  }
}

TEST(MessageReader, DecodesTheRecordedServiceAnnouncement) {
  Bytes p = recorded_packet("mdns-auth.txt", 8);
  MessageReader reader;
  ASSERT_EQ(reader.open(p.data(), p.size()), ParseError::ok);
  EXPECT_TRUE(reader.header().is_response());
  EXPECT_EQ(reader.header().flags, 0x8400);
  std::vector<std::string> expected = {
      "AN _services._dns-sd._udp.local 12 shared ttl=4500 _arduino._tcp.local",
      "AN _arduino._tcp.local 12 shared ttl=4500 esp8266-ee1337._arduino._tcp.local",
      "AN esp8266-ee1337._arduino._tcp.local 33 flush ttl=4500 0 0 8266 esp8266-ee1337.local",
      "AN esp8266-ee1337._arduino._tcp.local 16 flush ttl=4500 "
      "[auth_upload=yes][board=generic][ssh_upload=no][tcp_check=no]",
      "AR esp8266-ee1337.local 1 flush ttl=120 127.0.0.1",
  };
  EXPECT_EQ(describe_records(p), expected);
}

TEST(MessageReader, DecodesTheRecordedProbeQuestion) {
  Bytes p = recorded_packet("mdns-noauth.txt", 1);
  MessageReader reader;
  ASSERT_EQ(reader.open(p.data(), p.size()), ParseError::ok);
  Question q;
  ASSERT_EQ(reader.read_question(q), ParseError::ok);
  EXPECT_EQ(dotted(q.name), "esp8266-ee1337.local");
  EXPECT_EQ(q.type, kTypeAny);
  EXPECT_TRUE(q.unicast_response);
  EXPECT_EQ(reader.read_question(q), ParseError::end_of_section);
  Record r;
  ASSERT_EQ(reader.read_record(r), ParseError::ok);
  EXPECT_EQ(r.section, Section::authority);
  EXPECT_FALSE(r.cache_flush);
  EXPECT_EQ(reader.read_record(r), ParseError::end_of_section);
}

TEST(MessageReader, FollowsChainedBackwardPointers) {
  // q1 "a" at 12, q2 = pointer to 12, q3 = pointer to q2's pointer (offset 19).
  Bytes body = label("a") + Bytes{0} + kTypeClassA + Bytes{0xC0, 12} + kTypeClassA + Bytes{0xC0, 19} + kTypeClassA;
  Bytes p = packet(3, 0, 0, 0, body);
  MessageReader reader;
  ASSERT_EQ(reader.open(p.data(), p.size()), ParseError::ok);
  Question q;
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(reader.read_question(q), ParseError::ok) << i;
    EXPECT_EQ(dotted(q.name), "a");
  }
}

// ---------------------------------------------------------------------------------------------
// One test per malformed packet.

TEST(MalformedPacket, TruncatedHeader) {
  Bytes p(11, 0);
  EXPECT_EQ(first_question_error(p), ParseError::truncated_header);
  EXPECT_EQ(first_question_error(Bytes{}), ParseError::truncated_header);
}

TEST(MalformedPacket, CountsLargerThanThePacket) {
  Bytes body = label("a") + Bytes{0} + kTypeClassA;
  EXPECT_EQ(first_question_error(packet(2, 0, 0, 0, body)), ParseError::counts_exceed_packet);
  EXPECT_EQ(first_question_error(packet(1, 0xFFFF, 0, 0, body)), ParseError::counts_exceed_packet);
  EXPECT_EQ(first_question_error(packet(1, 0, 0, 0, body)), ParseError::ok);
}

TEST(MalformedPacket, LabelTooLong) {
  Bytes body = Bytes{64} + Bytes(64, 'a') + Bytes{0} + kTypeClassA;
  EXPECT_EQ(first_question_error(packet(1, 0, 0, 0, body)), ParseError::label_too_long);
  // 0x40 and 0x80 (extended / reserved label types) are refused the same way.
  Bytes reserved = Bytes{0x80, 'a'} + Bytes{0} + kTypeClassA;
  EXPECT_EQ(first_question_error(packet(1, 0, 0, 0, reserved)), ParseError::label_too_long);
}

TEST(MalformedPacket, NameTooLong) {
  Bytes name;
  for (int i = 0; i < 4; ++i) name = name + label(std::string(63, 'a'));  // 256 bytes before the zero
  EXPECT_EQ(first_question_error(packet(1, 0, 0, 0, name + Bytes{0} + kTypeClassA)), ParseError::name_too_long);
  Bytes fits;
  for (int i = 0; i < 3; ++i) fits = fits + label(std::string(63, 'a'));
  fits = fits + label(std::string(61, 'b'));  // 255 bytes with the zero: the maximum
  EXPECT_EQ(first_question_error(packet(1, 0, 0, 0, fits + Bytes{0} + kTypeClassA)), ParseError::ok);
}

TEST(MalformedPacket, NameTooLongThroughPointers) {
  // Each question adds a 63-byte label in front of the previous name via a pointer.
  Bytes body = label(std::string(63, 'a')) + Bytes{0} + kTypeClassA;  // at 12, 69 bytes
  uint16_t previous = 12;
  for (int i = 0; i < 4; ++i) {
    uint16_t here = uint16_t(12 + body.size());
    body = body + label(std::string(63, 'b')) + Bytes{uint8_t(0xC0 | previous >> 8), uint8_t(previous)} + kTypeClassA;
    previous = here;
  }
  Bytes p = packet(5, 0, 0, 0, body);
  MessageReader reader;
  ASSERT_EQ(reader.open(p.data(), p.size()), ParseError::ok);
  Question q;
  for (int i = 0; i < 3; ++i) ASSERT_EQ(reader.read_question(q), ParseError::ok) << i;
  EXPECT_EQ(reader.read_question(q), ParseError::name_too_long);
}

TEST(MalformedPacket, CompressionPointerToItself) {
  Bytes body = Bytes{0xC0, 12} + kTypeClassA;
  EXPECT_EQ(first_question_error(packet(1, 0, 0, 0, body)), ParseError::pointer_loop);
}

TEST(MalformedPacket, CompressionPointerBackIntoItsOwnName) {
  Bytes body = label("a") + Bytes{0xC0, 12} + kTypeClassA;  // "a" then back to "a" forever
  EXPECT_EQ(first_question_error(packet(1, 0, 0, 0, body)), ParseError::pointer_loop);
}

TEST(MalformedPacket, CompressionPointerForward) {
  // Two pointers that would chase each other: the first one already points forward.
  Bytes body = Bytes{0xC0, 18} + kTypeClassA + Bytes{0xC0, 12} + kTypeClassA;
  EXPECT_EQ(first_question_error(packet(2, 0, 0, 0, body)), ParseError::pointer_forward);
}

TEST(MalformedPacket, CompressionPointerOutOfRange) {
  Bytes past_end = Bytes{0xC0, 0xFF} + kTypeClassA;
  EXPECT_EQ(first_question_error(packet(1, 0, 0, 0, past_end)), ParseError::pointer_out_of_range);
  Bytes into_header = Bytes{0xC0, 4} + kTypeClassA;
  EXPECT_EQ(first_question_error(packet(1, 0, 0, 0, into_header)), ParseError::pointer_out_of_range);
}

TEST(MalformedPacket, TruncatedName) {
  Bytes body = Bytes{5, 'a', 'b', 'c', 'd'};  // label of 5, only 4 bytes follow
  Bytes p = packet(1, 0, 0, 0, body);
  EXPECT_EQ(first_question_error(p), ParseError::truncated_name);
  Bytes half_pointer = packet(1, 0, 0, 0, Bytes{0, 0, 1, 0, 0xC0});  // a pointer cut after its first byte
  MessageReader reader;
  ASSERT_EQ(reader.open(half_pointer.data(), half_pointer.size()), ParseError::ok);
  DnsName name;
  size_t next = 0;
  EXPECT_EQ(reader.read_name(half_pointer.size() - 1, name, next), ParseError::truncated_name);
}

TEST(MalformedPacket, TruncatedQuestion) {
  Bytes p = packet(1, 0, 0, 0, label("ab") + Bytes{0, 0, 1});  // name, type, then half a class
  EXPECT_EQ(first_question_error(p), ParseError::truncated_question);
}

TEST(MalformedPacket, TruncatedRecord) {
  Bytes body = label("a") + Bytes{0} + Bytes{0, 1, 0, 1, 0, 0, 0, 120};  // no rdlength
  EXPECT_EQ(first_record_error(packet(0, 1, 0, 0, body)), ParseError::truncated_record);
}

TEST(MalformedPacket, RdlengthPastTheEnd) {
  Bytes body = label("a") + Bytes{0} + Bytes{0, 1, 0, 1, 0, 0, 0, 120, 0, 10, 1, 2, 3, 4};
  EXPECT_EQ(first_record_error(packet(0, 1, 0, 0, body)), ParseError::bad_rdlength);
}

TEST(MalformedPacket, RdataThatDoesNotMatchItsType) {
  // Three records: A with 3 bytes, PTR whose name ends before the rdata does, SRV of 5 bytes.
  Bytes a = label("a") + Bytes{0} + Bytes{0, 1, 0, 1, 0, 0, 0, 120, 0, 3, 1, 2, 3};
  Bytes ptr = Bytes{0xC0, 12} + Bytes{0, 12, 0, 1, 0, 0, 0, 120, 0, 4, 1, 'b', 0, 0};
  Bytes srv = Bytes{0xC0, 12} + Bytes{0, 33, 0, 1, 0, 0, 0, 120, 0, 5, 0, 0, 0, 0, 0};
  Bytes p = packet(0, 3, 0, 0, a + ptr + srv);
  MessageReader reader;
  ASSERT_EQ(reader.open(p.data(), p.size()), ParseError::ok);
  Record r;
  uint8_t address[4];
  DnsName target;
  SrvData srv_data;
  ASSERT_EQ(reader.read_record(r), ParseError::ok);
  EXPECT_EQ(reader.read_a(r, address), ParseError::bad_rdata);
  EXPECT_EQ(reader.read_ptr(r, target), ParseError::wrong_type);
  ASSERT_EQ(reader.read_record(r), ParseError::ok);
  EXPECT_EQ(reader.read_ptr(r, target), ParseError::bad_rdata);
  ASSERT_EQ(reader.read_record(r), ParseError::ok);
  EXPECT_EQ(reader.read_srv(r, srv_data), ParseError::bad_rdata);
  EXPECT_EQ(reader.read_record(r), ParseError::end_of_section);
}

TEST(MalformedPacket, TxtStringPastItsRdata) {
  const uint8_t rdata[] = {3, 'a', '=', 'b', 9, 'x'};
  TxtReader txt(rdata, sizeof(rdata));
  const uint8_t* s;
  size_t n;
  ASSERT_TRUE(txt.next(s, n));
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(s), n), "a=b");
  EXPECT_FALSE(txt.next(s, n));
  EXPECT_TRUE(txt.malformed());
}

TEST(TxtEntry, SplitsAtTheFirstEquals) {
  const std::string entry = "board=a=b";
  const uint8_t *key, *value;
  size_t key_len, value_len;
  bool has_value;
  split_txt_entry(reinterpret_cast<const uint8_t*>(entry.data()), entry.size(), key, key_len, value, value_len,
                  has_value);
  EXPECT_TRUE(has_value);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(key), key_len), "board");
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(value), value_len), "a=b");
  split_txt_entry(reinterpret_cast<const uint8_t*>("flag"), 4, key, key_len, value, value_len, has_value);
  EXPECT_FALSE(has_value);
  EXPECT_EQ(key_len, 4u);
}

// ---------------------------------------------------------------------------------------------
TEST(MessageWriter, CompressesRepeatedSuffixesToTheHandDerivedBytes) {
  uint8_t buf[64];
  MessageWriter w(buf, sizeof(buf), 0, kFlagResponse | kFlagAuthoritative);
  DnsName a, b;
  a.set_dotted("a.local");
  b.set_dotted("b.LOCAL");
  ASSERT_TRUE(w.add_question(a, kTypeA, kClassIn));
  ASSERT_TRUE(w.begin_record(Section::answer, b, kTypeA, kClassIn | kClassTopBit, 120));
  ASSERT_TRUE(w.put_bytes("\x01\x02\x03\x04", 4));
  ASSERT_TRUE(w.end_record());
  size_t n = w.finish();
  // RFC 1035 §4.1.4: "local" of the second name becomes a pointer to offset 14.
  Bytes expected = {0, 0, 0x84, 0, 0, 1, 0, 1, 0, 0, 0, 0,              // header
                    1, 'a', 5, 'l', 'o', 'c', 'a', 'l', 0, 0, 1, 0, 1,  // question
                    1, 'b', 0xC0, 14, 0, 1, 0x80, 1, 0, 0, 0, 120, 0, 4, 1, 2, 3, 4};
  EXPECT_EQ(Bytes(buf, buf + n), expected);
}

TEST(MessageWriter, WholeNameBecomesOnePointerAndParsesBack) {
  uint8_t buf[256];
  MessageWriter w(buf, sizeof(buf), 7, 0);
  DnsName instance, service;
  instance.set_dotted("dev._arduino._tcp.local");
  service.set_dotted("_arduino._tcp.local");
  w.add_question(service, kTypePtr, kClassIn);
  w.begin_record(Section::answer, service, kTypePtr, kClassIn, 4500);
  w.put_name(instance);
  w.end_record();
  size_t n = w.finish();
  ASSERT_GT(n, 0u);
  // question 12..37 (21 + 4), answer name = pointer (2), fixed 10, rdata "dev" + pointer = 6.
  EXPECT_EQ(n, 12u + 21 + 4 + 2 + 10 + 6);
  EXPECT_EQ(describe_records(Bytes(buf, buf + n)),
            std::vector<std::string>{"AN _arduino._tcp.local 12 shared ttl=4500 dev._arduino._tcp.local"});
}

TEST(MessageWriter, RepeatedLabelsInOneNameNeverPointIntoTheUnwrittenRest) {
  // "0.127..." must not be compressed against the "0" label written a moment ago: what follows
  // that label is not in the buffer yet. Stale bytes that spell the rest of the name (as a reused
  // buffer may hold) would turn such a mistake into a pointer loop.
  uint8_t buf[128] = {};
  const uint8_t stale[] = {3, '1', '2', '7', 7, 'i', 'n', '-', 'a', 'd', 'd', 'r', 4, 'a', 'r', 'p', 'a', 0};
  memcpy(buf + 16, stale, sizeof(stale));
  MessageWriter w(buf, sizeof(buf), 0, kFlagResponse);
  DnsName reverse, host;
  reverse.set_dotted("2.0.0.127.in-addr.arpa");
  host.set_dotted("h.local");
  w.begin_record(Section::answer, reverse, kTypePtr, kClassIn, 120);
  w.put_name(host);
  w.end_record();
  size_t n = w.finish();
  ASSERT_GT(n, 0u);
  EXPECT_EQ(n, 12u + 24 + 10 + 9) << "no compression is possible within the first name";
  EXPECT_EQ(describe_records(Bytes(buf, buf + n)),
            std::vector<std::string>{"AN 2.0.0.127.in-addr.arpa 12 shared ttl=120 h.local"});
}

TEST(MessageWriter, OverflowFailsTheWholeMessage) {
  uint8_t buf[20];
  MessageWriter w(buf, sizeof(buf), 0, 0);
  DnsName name;
  name.set_dotted("a-rather-long-name.local");
  EXPECT_FALSE(w.add_question(name, kTypeA, kClassIn));
  EXPECT_TRUE(w.failed());
  EXPECT_EQ(w.finish(), 0u);
}

TEST(MessageWriter, SectionsOutOfOrderFail) {
  uint8_t buf[128];
  MessageWriter w(buf, sizeof(buf), 0, 0);
  DnsName name;
  name.set_dotted("a.local");
  ASSERT_TRUE(w.begin_record(Section::additional, name, kTypeA, kClassIn, 1));
  EXPECT_FALSE(w.begin_record(Section::answer, name, kTypeA, kClassIn, 1)) << "record still open";
  EXPECT_EQ(w.finish(), 0u);
  MessageWriter w2(buf, sizeof(buf), 0, 0);
  w2.begin_record(Section::additional, name, kTypeA, kClassIn, 1);
  w2.end_record();
  EXPECT_FALSE(w2.add_question(name, kTypeA, kClassIn)) << "questions come first";
  EXPECT_EQ(w2.finish(), 0u);
}

}  // namespace
}  // namespace otakit::mdns
