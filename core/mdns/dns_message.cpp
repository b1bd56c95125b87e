#include "core/mdns/dns_message.h"

#include <string.h>

#include "core/util/bytes.h"

namespace otakit::mdns {
namespace {

// The smallest question is a root name (1 byte) + type + class; the smallest record adds TTL and rdlength.
constexpr size_t kMinQuestionSize = 5;
constexpr size_t kMinRecordSize = 11;
constexpr uint8_t kPointerBits = 0xC0;

}  // namespace

const char* describe(ParseError error) {
  switch (error) {
    case ParseError::ok: return "ok";
    case ParseError::end_of_section: return "end of section";
    case ParseError::truncated_header: return "packet shorter than a DNS header";
    case ParseError::counts_exceed_packet: return "header counts exceed what the packet can hold";
    case ParseError::truncated_name: return "name runs past the end of the packet";
    case ParseError::label_too_long: return "label longer than 63 bytes";
    case ParseError::name_too_long: return "name longer than 255 bytes";
    case ParseError::pointer_out_of_range: return "compression pointer outside the packet";
    case ParseError::pointer_forward: return "compression pointer points forward";
    case ParseError::pointer_loop: return "compression pointer loop";
    case ParseError::truncated_question: return "question runs past the end of the packet";
    case ParseError::truncated_record: return "record runs past the end of the packet";
    case ParseError::bad_rdlength: return "rdata length runs past the end of the packet";
    case ParseError::bad_rdata: return "rdata does not match its record type";
    case ParseError::wrong_type: return "record has another type";
  }
  return "unknown parse error";
}

// ---------------------------------------------------------------------------------------------
// Reader

ParseError MessageReader::open(const uint8_t* data, size_t len) {
  data_ = data;
  len_ = len;
  pos_ = kHeaderSize;
  questions_left_ = 0;
  records_read_ = 0;
  header_ = Header{};
  if (len < kHeaderSize) return ParseError::truncated_header;
  header_.id = load_be16(data);
  header_.flags = load_be16(data + 2);
  header_.question_count = load_be16(data + 4);
  header_.answer_count = load_be16(data + 6);
  header_.authority_count = load_be16(data + 8);
  header_.additional_count = load_be16(data + 10);
  size_t records = size_t(header_.answer_count) + header_.authority_count + header_.additional_count;
  size_t needed = header_.question_count * kMinQuestionSize + records * kMinRecordSize;
  if (needed > len - kHeaderSize) {
    header_.question_count = header_.answer_count = 0;
    header_.authority_count = header_.additional_count = 0;
    return ParseError::counts_exceed_packet;
  }
  questions_left_ = header_.question_count;
  return ParseError::ok;
}

ParseError MessageReader::read_name(size_t offset, DnsName& out, size_t& next) const {
  uint8_t wire[kMaxNameLength];
  size_t wire_len = 0;
  size_t pos = offset;
  // Every jump must land strictly before the start of the run of labels it leaves, so the
  // walk always moves to smaller offsets: loops are impossible and the work is bounded.
  size_t run_start = offset;
  bool jumped = false;
  for (;;) {
    if (pos >= len_) return ParseError::truncated_name;
    uint8_t length = data_[pos];
    if ((length & kPointerBits) == kPointerBits) {
      if (pos + 1 >= len_) return ParseError::truncated_name;
      size_t target = size_t(length & 0x3F) << 8 | data_[pos + 1];
      if (!jumped) next = pos + 2;
      if (target < kHeaderSize || target >= len_) return ParseError::pointer_out_of_range;
      if (target > pos) return ParseError::pointer_forward;
      if (target >= run_start) return ParseError::pointer_loop;
      jumped = true;
      run_start = pos = target;
      continue;
    }
    if (length > kMaxLabelLength) return ParseError::label_too_long;
    if (length == 0) {
      wire[wire_len++] = 0;  // fits: every label below kept room for the final zero
      if (!jumped) next = pos + 1;
      out.assign_wire(wire, wire_len);
      return ParseError::ok;
    }
    if (pos + 1 + length > len_) return ParseError::truncated_name;
    if (wire_len + 1 + length + 1 > kMaxNameLength) return ParseError::name_too_long;
    memcpy(wire + wire_len, data_ + pos, 1 + size_t(length));
    wire_len += 1 + size_t(length);
    pos += 1 + size_t(length);
  }
}

ParseError MessageReader::read_question(Question& out) {
  if (questions_left_ == 0) return ParseError::end_of_section;
  size_t next = 0;
  ParseError error = read_name(pos_, out.name, next);
  if (error != ParseError::ok) return error;
  if (next + 4 > len_) return ParseError::truncated_question;
  out.type = load_be16(data_ + next);
  uint16_t qclass = load_be16(data_ + next + 2);
  out.qclass = uint16_t(qclass & ~kClassTopBit);
  out.unicast_response = (qclass & kClassTopBit) != 0;
  pos_ = next + 4;
  --questions_left_;
  return ParseError::ok;
}

ParseError MessageReader::read_record(Record& out) {
  while (questions_left_ > 0) {
    Question skipped;
    ParseError error = read_question(skipped);
    if (error != ParseError::ok) return error;
  }
  uint16_t answers = header_.answer_count;
  uint16_t authorities = header_.authority_count;
  size_t total = size_t(answers) + authorities + header_.additional_count;
  if (records_read_ >= total) return ParseError::end_of_section;
  size_t next = 0;
  ParseError error = read_name(pos_, out.name, next);
  if (error != ParseError::ok) return error;
  if (next + 10 > len_) return ParseError::truncated_record;
  out.type = load_be16(data_ + next);
  uint16_t rclass = load_be16(data_ + next + 2);
  out.rclass = uint16_t(rclass & ~kClassTopBit);
  out.cache_flush = (rclass & kClassTopBit) != 0;
  out.ttl = load_be32(data_ + next + 4);
  out.rdata_length = load_be16(data_ + next + 8);
  out.rdata_offset = next + 10;
  if (out.rdata_offset + out.rdata_length > len_) return ParseError::bad_rdlength;
  out.section = records_read_ < answers                 ? Section::answer
                : records_read_ < answers + authorities ? Section::authority
                                                        : Section::additional;
  pos_ = out.rdata_offset + out.rdata_length;
  ++records_read_;
  return ParseError::ok;
}

ParseError MessageReader::read_a(const Record& record, uint8_t address[4]) const {
  if (record.type != kTypeA) return ParseError::wrong_type;
  if (record.rdata_length != 4) return ParseError::bad_rdata;
  memcpy(address, data_ + record.rdata_offset, 4);
  return ParseError::ok;
}

ParseError MessageReader::read_ptr(const Record& record, DnsName& target) const {
  if (record.type != kTypePtr) return ParseError::wrong_type;
  size_t next = 0;
  ParseError error = read_name(record.rdata_offset, target, next);
  if (error != ParseError::ok) return error;
  return next == record.rdata_offset + record.rdata_length ? ParseError::ok : ParseError::bad_rdata;
}

ParseError MessageReader::read_srv(const Record& record, SrvData& out) const {
  if (record.type != kTypeSrv) return ParseError::wrong_type;
  if (record.rdata_length < 7) return ParseError::bad_rdata;
  const uint8_t* p = data_ + record.rdata_offset;
  out.priority = load_be16(p);
  out.weight = load_be16(p + 2);
  out.port = load_be16(p + 4);
  size_t next = 0;
  ParseError error = read_name(record.rdata_offset + 6, out.target, next);
  if (error != ParseError::ok) return error;
  return next == record.rdata_offset + record.rdata_length ? ParseError::ok : ParseError::bad_rdata;
}

bool TxtReader::next(const uint8_t*& text, size_t& text_len) {
  if (pos_ >= len_ || malformed_) return false;
  size_t n = data_[pos_];
  if (pos_ + 1 + n > len_) {
    malformed_ = true;
    return false;
  }
  text = data_ + pos_ + 1;
  text_len = n;
  pos_ += 1 + n;
  return true;
}

void split_txt_entry(const uint8_t* text, size_t len, const uint8_t*& key, size_t& key_len,
                     const uint8_t*& value, size_t& value_len, bool& has_value) {
  key = text;
  const void* eq = memchr(text, '=', len);
  has_value = eq != nullptr;
  key_len = has_value ? size_t(static_cast<const uint8_t*>(eq) - text) : len;
  value = has_value ? text + key_len + 1 : text + len;
  value_len = has_value ? len - key_len - 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Writer

MessageWriter::MessageWriter(uint8_t* buffer, size_t capacity, uint16_t id, uint16_t flags)
    : buf_(buffer), cap_(capacity) {
  if (capacity < kHeaderSize) {
    failed_ = true;
    return;
  }
  memset(buffer, 0, kHeaderSize);
  store_be16(buffer, id);
  store_be16(buffer + 2, flags);
}

bool MessageWriter::fail() {
  failed_ = true;
  return false;
}

bool MessageWriter::section_allows(Section section) {
  if (failed_ || rdlength_at_ != 0 || section < section_) return fail();
  section_ = section;
  return true;
}

bool MessageWriter::put_u8(uint8_t value) { return put_bytes(&value, 1); }

bool MessageWriter::put_u16(uint16_t value) {
  uint8_t bytes[2];
  store_be16(bytes, value);
  return put_bytes(bytes, 2);
}

bool MessageWriter::put_bytes(const void* data, size_t len) {
  if (failed_ || len > cap_ - len_) return fail();
  memcpy(buf_ + len_, data, len);
  len_ += len;
  return true;
}

bool MessageWriter::buffer_name_equals(size_t offset, const uint8_t* wire) const {
  // Only names this writer produced are walked here; their pointers always point backwards.
  size_t pos = offset;
  for (;;) {
    uint8_t length = buf_[pos];
    if ((length & kPointerBits) == kPointerBits) {
      pos = size_t(length & 0x3F) << 8 | buf_[pos + 1];
      continue;
    }
    if (length != *wire) return false;
    if (length == 0) return true;
    if (!bytes_equal_nocase(buf_ + pos + 1, wire + 1, length)) return false;
    pos += 1 + size_t(length);
    wire += 1 + size_t(length);
  }
}

void MessageWriter::remember_suffix(size_t offset) {
  if (offset < 0x4000 && suffix_count_ < kMaxRemembered) suffixes_[suffix_count_++] = uint16_t(offset);
}

bool MessageWriter::write_name(const DnsName& name, bool compress) {
  const uint8_t* wire = name.wire();
  // Offsets of this name's labels become compression targets only once the name is complete:
  // until then the bytes after them are not written yet.
  uint16_t written[kMaxNameLength / 2];  // offsets past 0x3FFF are never pointer targets anyway
  size_t written_count = 0;
  bool ok = true;
  size_t pos = 0;
  for (; wire[pos] != 0; pos += 1 + wire[pos]) {
    size_t target = 0;
    for (size_t i = 0; compress && target == 0 && i < suffix_count_; ++i) {
      if (buffer_name_equals(suffixes_[i], wire + pos)) target = suffixes_[i];
    }
    if (target != 0) {
      ok = put_u16(uint16_t(0xC000 | target));
      break;
    }
    written[written_count++] = uint16_t(len_ < 0x4000 ? len_ : 0x4000);
    if (!put_bytes(wire + pos, 1 + size_t(wire[pos]))) return false;
  }
  if (ok && wire[pos] == 0) ok = put_u8(0);
  if (ok && compress) {
    for (size_t i = 0; i < written_count; ++i) remember_suffix(written[i]);
  }
  return ok;
}

bool MessageWriter::put_name(const DnsName& name) {
  if (rdlength_at_ == 0) return fail();
  return write_name(name, true);
}

bool MessageWriter::put_name_uncompressed(const DnsName& name) {
  if (rdlength_at_ == 0) return fail();
  return write_name(name, false);
}

bool MessageWriter::add_question(const DnsName& name, uint16_t type, uint16_t qclass) {
  if (!section_allows(Section::question)) return false;
  if (!write_name(name, true) || !put_u16(type) || !put_u16(qclass)) return false;
  ++counts_[size_t(Section::question)];
  return true;
}

bool MessageWriter::begin_record(Section section, const DnsName& name, uint16_t type, uint16_t rclass,
                                 uint32_t ttl) {
  if (section == Section::question || !section_allows(section)) return fail();
  uint8_t ttl_bytes[4];
  store_be32(ttl_bytes, ttl);
  if (!write_name(name, true) || !put_u16(type) || !put_u16(rclass) || !put_bytes(ttl_bytes, 4)) return false;
  size_t at = len_;
  if (!put_u16(0)) return false;
  rdlength_at_ = at;
  ++counts_[size_t(section)];
  return true;
}

bool MessageWriter::end_record() {
  if (failed_ || rdlength_at_ == 0) return fail();
  size_t rdlength = len_ - rdlength_at_ - 2;
  if (rdlength > 0xFFFF) return fail();
  store_be16(buf_ + rdlength_at_, uint16_t(rdlength));
  rdlength_at_ = 0;
  return true;
}

size_t MessageWriter::finish() {
  if (failed_ || rdlength_at_ != 0) return 0;
  for (size_t i = 0; i < 4; ++i) store_be16(buf_ + 4 + 2 * i, counts_[i]);
  return len_;
}

}  // namespace otakit::mdns
