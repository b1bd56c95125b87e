#include "core/mdns/mdns_browser.h"

#include <string.h>

namespace otakit::mdns {

bool DiscoveredService::txt_value(const char* key, const uint8_t*& value, size_t& value_len) const {
  size_t wanted = strlen(key);
  TxtReader reader(txt, txt_length);
  const uint8_t* entry;
  size_t entry_len;
  while (reader.next(entry, entry_len)) {
    const uint8_t* entry_key;
    size_t key_len;
    bool has_value;
    split_txt_entry(entry, entry_len, entry_key, key_len, value, value_len, has_value);
    if (key_len == wanted && bytes_equal_nocase(entry_key, reinterpret_cast<const uint8_t*>(key), wanted)) return true;
  }
  value = nullptr;
  value_len = 0;
  return false;
}

Browser::Browser(DiscoveredService* slots, size_t capacity, const char* service, const char* protocol)
    : slots_(slots), capacity_(capacity) {
  valid_ = service_name_.append_label(service) && service_name_.append_label(protocol) &&
           service_name_.append_label("local");
}

size_t Browser::build_query(uint32_t now_ms, uint8_t* out, size_t capacity) const {
  MessageWriter w(out, capacity, 0, 0);
  w.add_question(service_name_, kTypePtr, kClassIn);
  // Each entry is added only if its uncompressed size still fits, so a long table shortens the
  // query instead of failing it.
  auto fits = [&](size_t bytes) { return w.size() + bytes <= capacity; };
  for (size_t i = 0; i < count_; ++i) {
    const DiscoveredService& s = slots_[i];
    if (s.removed) continue;
    if (!s.has_srv && fits(s.instance.wire_length() + 4)) w.add_question(s.instance, kTypeSrv, kClassIn);
    if (!s.has_txt && fits(s.instance.wire_length() + 4)) w.add_question(s.instance, kTypeTxt, kClassIn);
    if (s.has_srv && !s.has_address && fits(s.target.wire_length() + 4)) w.add_question(s.target, kTypeA, kClassIn);
  }
  for (size_t i = 0; i < count_; ++i) {
    const DiscoveredService& s = slots_[i];
    if (!s.has_ptr || s.removed) continue;
    uint32_t elapsed_s = (now_ms - s.ptr_received_ms) / 1000;
    if (elapsed_s >= s.ptr_ttl) continue;
    uint32_t remaining = s.ptr_ttl - elapsed_s;
    if (remaining * 2 < s.ptr_ttl) continue;  // §7.1: only answers with half their TTL left
    if (!fits(service_name_.wire_length() + 10 + s.instance.wire_length())) break;
    w.begin_record(Section::answer, service_name_, kTypePtr, kClassIn, remaining);
    w.put_name(s.instance);
    w.end_record();
  }
  return w.finish();
}

bool Browser::is_instance_of_service(const DnsName& name) const {
  return name.label_count() == service_name_.label_count() + 1 && name.ends_with(service_name_);
}

DiscoveredService* Browser::find(const DnsName& instance, bool create) {
  for (size_t i = 0; i < count_; ++i) {
    if (slots_[i].instance.equals(instance)) return &slots_[i];
  }
  if (!create) return nullptr;
  if (count_ == capacity_) {
    ++overflowed_;
    return nullptr;
  }
  DiscoveredService& slot = slots_[count_++];
  slot = DiscoveredService{};
  slot.instance = instance;
  return &slot;
}

void Browser::apply_service_record(const MessageReader& reader, const Record& record, uint32_t now_ms) {
  if (record.rclass != kClassIn) return;
  bool alive = record.ttl != 0;
  if (record.type == kTypePtr && record.name.equals(service_name_)) {
    DnsName instance;
    if (reader.read_ptr(record, instance) != ParseError::ok || !is_instance_of_service(instance)) return;
    DiscoveredService* s = find(instance, alive);
    if (s == nullptr) return;
    s->has_ptr = alive;
    s->removed = !alive;
    s->ptr_ttl = record.ttl;
    s->ptr_received_ms = now_ms;
    return;
  }
  if ((record.type != kTypeSrv && record.type != kTypeTxt) || !is_instance_of_service(record.name)) return;
  DiscoveredService* s = find(record.name, alive);
  if (s == nullptr) return;
  if (record.type == kTypeSrv) {
    SrvData srv;
    if (reader.read_srv(record, srv) != ParseError::ok) return;
    if (!srv.target.equals(s->target)) s->has_address = false;
    s->target = srv.target;
    s->port = srv.port;
    s->has_srv = alive;
    s->removed = !alive;
    return;
  }
  // TXT: keep whole strings only, as many as fit.
  TxtReader txt(reader.rdata(record), record.rdata_length);
  const uint8_t* text;
  size_t text_len;
  size_t kept = 0;
  const uint8_t* start = reader.rdata(record);
  while (txt.next(text, text_len) && size_t(text + text_len - start) <= DiscoveredService::kMaxTxtBytes)
    kept = size_t(text + text_len - start);
  memcpy(s->txt, start, kept);
  s->txt_length = kept;
  s->has_txt = alive;
}

void Browser::apply_address_record(const MessageReader& reader, const Record& record) {
  uint8_t address[4];
  if (record.rclass != kClassIn || reader.read_a(record, address) != ParseError::ok) return;
  for (size_t i = 0; i < count_; ++i) {
    DiscoveredService& s = slots_[i];
    if (!s.has_srv || !s.target.equals(record.name)) continue;
    memcpy(s.ipv4, address, 4);
    s.has_address = record.ttl != 0;
  }
}

ParseError Browser::on_packet(const uint8_t* data, size_t len, uint16_t source_port, uint32_t now_ms) {
  if (source_port != kMdnsPort) return ParseError::ok;  // RFC 6762 §11: not a multicast DNS response
  MessageReader reader;
  ParseError error = reader.open(data, len);
  if (error != ParseError::ok) return error;
  const Header& header = reader.header();
  if (!header.is_response() || header.opcode() != 0 || header.rcode() != 0) return ParseError::ok;
  // Two passes: address records may come before the SRV records that name their host.
  Record record;
  while ((error = reader.read_record(record)) == ParseError::ok) apply_service_record(reader, record, now_ms);
  if (error != ParseError::end_of_section) return error;
  reader.open(data, len);
  while (reader.read_record(record) == ParseError::ok) {
    if (record.type == kTypeA) apply_address_record(reader, record);
  }
  return ParseError::ok;
}

}  // namespace otakit::mdns
