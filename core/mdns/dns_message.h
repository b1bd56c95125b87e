// DNS message codec for multicast DNS (RFC 1035 wire format with the RFC 6762 class bits):
// a bounded, allocation-free reader of untrusted packets and a builder with name compression.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "core/mdns/dns_name.h"

namespace otakit::mdns {

constexpr uint16_t kMdnsPort = 5353;
constexpr uint8_t kMdnsGroupV4[4] = {224, 0, 0, 251};

constexpr uint16_t kTypeA = 1;
constexpr uint16_t kTypePtr = 12;
constexpr uint16_t kTypeTxt = 16;
constexpr uint16_t kTypeAaaa = 28;
constexpr uint16_t kTypeSrv = 33;
constexpr uint16_t kTypeNsec = 47;
constexpr uint16_t kTypeAny = 255;

constexpr uint16_t kClassIn = 1;
constexpr uint16_t kClassAny = 255;
// The top bit of a class: "unicast response wanted" (QU) in a question, "cache flush" in a record.
constexpr uint16_t kClassTopBit = 0x8000;

constexpr uint16_t kFlagResponse = 0x8000;       // QR
constexpr uint16_t kFlagAuthoritative = 0x0400;  // AA
constexpr uint16_t kFlagTruncated = 0x0200;      // TC

constexpr size_t kHeaderSize = 12;

enum class ParseError : uint8_t {
  ok,
  end_of_section,        // not an error: no more questions / records
  truncated_header,      // fewer than 12 bytes
  counts_exceed_packet,  // the header announces more entries than the packet could hold
  truncated_name,        // a name runs past the end of the packet
  label_too_long,        // a label length byte above 63 (0x40 and 0x80 label types are not used)
  name_too_long,         // the expanded name exceeds 255 bytes
  pointer_out_of_range,  // a compression pointer to the header or past the end
  pointer_forward,       // a compression pointer to a later offset (RFC 1035: prior occurrence only)
  pointer_loop,          // a compression pointer back into the name it belongs to
  truncated_question,
  truncated_record,      // the fixed record fields run past the end
  bad_rdlength,          // rdata runs past the end of the packet
  bad_rdata,             // rdata does not match its type (A not 4 bytes, name not filling rdata, ...)
  wrong_type,            // an rdata accessor was called on a record of another type
};

const char* describe(ParseError error);

struct Header {
  uint16_t id = 0;
  uint16_t flags = 0;
  uint16_t question_count = 0;
  uint16_t answer_count = 0;
  uint16_t authority_count = 0;
  uint16_t additional_count = 0;

  bool is_response() const { return (flags & kFlagResponse) != 0; }
  uint8_t opcode() const { return uint8_t((flags >> 11) & 0xF); }
  uint8_t rcode() const { return uint8_t(flags & 0xF); }
};

struct Question {
  DnsName name;
  uint16_t type = 0;
  uint16_t qclass = 0;            // without the QU bit
  bool unicast_response = false;  // the QU bit
};

enum class Section : uint8_t { question, answer, authority, additional };

struct Record {
  Section section = Section::answer;
  DnsName name;
  uint16_t type = 0;
  uint16_t rclass = 0;       // without the cache-flush bit
  bool cache_flush = false;  // the top class bit
  uint32_t ttl = 0;
  size_t rdata_offset = 0;  // into the packet given to MessageReader::open
  uint16_t rdata_length = 0;
};

struct SrvData {
  uint16_t priority = 0;
  uint16_t weight = 0;
  uint16_t port = 0;
  DnsName target;
};

// Reads a packet front to back: open(), then read_question() until end_of_section, then
// read_record() until end_of_section. Any other result is a hard error: stop reading.
// The reader keeps a pointer to the packet; it must outlive the reader.
class MessageReader {
 public:
  ParseError open(const uint8_t* data, size_t len);
  const Header& header() const { return header_; }

  ParseError read_question(Question& out);
  // Skips questions that were not read yet. out.section tells which section the record is in.
  ParseError read_record(Record& out);

  // Typed rdata; each checks that the rdata is exactly what the type needs.
  ParseError read_a(const Record& record, uint8_t address[4]) const;
  ParseError read_ptr(const Record& record, DnsName& target) const;
  ParseError read_srv(const Record& record, SrvData& out) const;
  const uint8_t* rdata(const Record& record) const { return data_ + record.rdata_offset; }

  // Expands the (possibly compressed) name at `offset`; `next` receives the offset after it.
  ParseError read_name(size_t offset, DnsName& out, size_t& next) const;

 private:
  const uint8_t* data_ = nullptr;
  size_t len_ = 0;
  size_t pos_ = 0;
  Header header_;
  uint16_t questions_left_ = 0;
  uint16_t records_read_ = 0;
};

// Iterates the character-strings of TXT rdata ("key=value" entries in DNS-SD).
class TxtReader {
 public:
  TxtReader(const uint8_t* rdata, size_t len) : data_(rdata), len_(len) {}
  // False at the end or when a string runs past the rdata (then malformed() is true).
  bool next(const uint8_t*& text, size_t& text_len);
  bool malformed() const { return malformed_; }

 private:
  const uint8_t* data_;
  size_t len_;
  size_t pos_ = 0;
  bool malformed_ = false;
};

// Splits a DNS-SD TXT entry at its first '='; an entry without '=' is a key with no value.
void split_txt_entry(const uint8_t* text, size_t len, const uint8_t*& key, size_t& key_len,
                     const uint8_t*& value, size_t& value_len, bool& has_value);

// Builds one message into a caller buffer. Sections must be filled in order (questions,
// answers, authority, additional). Any overflow or misuse makes the writer fail: every later
// call returns false and finish() returns 0, so a caller checks once at the end.
class MessageWriter {
 public:
  MessageWriter(uint8_t* buffer, size_t capacity, uint16_t id, uint16_t flags);

  bool add_question(const DnsName& name, uint16_t type, uint16_t qclass);

  // Starts a record; append its rdata with put_*; end_record() fills in the rdata length.
  bool begin_record(Section section, const DnsName& name, uint16_t type, uint16_t rclass, uint32_t ttl);
  bool put_u8(uint8_t value);
  bool put_u16(uint16_t value);
  bool put_bytes(const void* data, size_t len);
  bool put_name(const DnsName& name);  // compressed against names written before
  bool put_name_uncompressed(const DnsName& name);
  bool end_record();

  // Counts written into the header; 0 when the writer failed.
  size_t finish();
  bool failed() const { return failed_; }
  size_t size() const { return len_; }

 private:
  bool fail();
  bool section_allows(Section section);
  bool write_name(const DnsName& name, bool compress);
  bool buffer_name_equals(size_t offset, const uint8_t* wire) const;
  void remember_suffix(size_t offset);

  static constexpr size_t kMaxRemembered = 48;

  uint8_t* buf_;
  size_t cap_;
  size_t len_ = kHeaderSize;
  uint16_t counts_[4] = {0, 0, 0, 0};  // indexed by Section
  Section section_ = Section::question;
  size_t rdlength_at_ = 0;  // nonzero while a record is open
  uint16_t suffixes_[kMaxRemembered] = {};
  size_t suffix_count_ = 0;
  bool failed_ = false;
};

}  // namespace otakit::mdns
