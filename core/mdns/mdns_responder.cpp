#include "core/mdns/mdns_responder.h"

#include <string.h>

#include "core/proto/time.h"
#include "core/util/text.h"

namespace otakit::mdns {
namespace {

// Copies a single DNS label given as text; 0 if it is empty, too long or holds a dot.
size_t copy_label(char* out, const char* text) {
  if (text == nullptr) return 0;
  size_t len = strlen(text);
  if (len == 0 || len > kMaxLabelLength || memchr(text, '.', len) != nullptr) return 0;
  memcpy(out, text, len + 1);
  return len;
}

bool append_labels(DnsName& name, const char* const* labels, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    if (!name.append_label(labels[i])) return false;
  }
  return true;
}

// Signed byte-wise comparison of two byte strings, shorter-is-smaller (RFC 6762 §8.2).
int compare_bytes(const uint8_t* a, size_t a_len, const uint8_t* b, size_t b_len) {
  size_t n = a_len < b_len ? a_len : b_len;
  int c = memcmp(a, b, n);
  if (c != 0) return c < 0 ? -1 : 1;
  return a_len == b_len ? 0 : (a_len < b_len ? -1 : 1);
}

}  // namespace

const char* describe(ConfigError error) {
  switch (error) {
    case ConfigError::ok: return "ok";
    case ConfigError::bad_hostname: return "hostname must be one DNS label of 1-63 bytes without dots";
    case ConfigError::bad_service: return "service and protocol must be labels of 1-63 bytes";
    case ConfigError::bad_txt_entry: return "TXT entry needs a non-empty key without '=' and at most 255 bytes";
    case ConfigError::txt_too_long: return "TXT entries exceed the responder's TXT buffer";
    case ConfigError::bad_service_count: return "a host advertises 1 to 4 services";
    case ConfigError::duplicate_service: return "each service type may be advertised once";
    case ConfigError::too_large: return "the names and TXT entries together do not fit one mDNS packet";
  }
  return "unknown configuration error";
}

ConfigError Responder::configure(const ServiceDescription& description) {
  ServiceEntry service;
  service.service = description.service;
  service.protocol = description.protocol;
  service.port = description.port;
  service.txt = description.txt;
  service.txt_count = description.txt_count;
  HostDescription host;
  host.hostname = description.hostname;
  memcpy(host.ipv4, description.ipv4, 4);
  host.services = &service;
  host.service_count = 1;
  return configure(host);
}

ConfigError Responder::configure(const HostDescription& description) {
  state_ = ResponderState::idle;
  service_count_ = 0;  // until the whole description is accepted, there is nothing to advertise
  if (copy_label(base_hostname_, description.hostname) == 0) return ConfigError::bad_hostname;
  if (description.services == nullptr || description.service_count == 0 || description.service_count > kMaxServices)
    return ConfigError::bad_service_count;
  size_t len = 0;
  for (size_t i = 0; i < description.service_count; ++i) {
    const ServiceEntry& entry = description.services[i];
    Service& service = services_[i];
    char label[kMaxLabelLength + 1];
    service.type_name.clear();
    if (copy_label(label, entry.service) == 0 || !service.type_name.append_label(label) ||
        copy_label(label, entry.protocol) == 0 || !service.type_name.append_label(label) ||
        !service.type_name.append_label("local"))
      return ConfigError::bad_service;
    for (size_t j = 0; j < i; ++j) {
      if (services_[j].type_name.equals(service.type_name)) return ConfigError::duplicate_service;
    }
    if (entry.txt_count > 0 && entry.txt == nullptr) return ConfigError::bad_txt_entry;
    const size_t txt_start = len;
    for (size_t k = 0; k < entry.txt_count; ++k) {
      const TxtEntry& txt = entry.txt[k];
      size_t key_len = txt.key ? strlen(txt.key) : 0;
      size_t value_len = txt.value ? strlen(txt.value) : 0;
      if (key_len == 0 || memchr(txt.key, '=', key_len) != nullptr || key_len + 1 + value_len > 255)
        return ConfigError::bad_txt_entry;
      if (len + 1 + key_len + 1 + value_len > kMaxTxtBytes) return ConfigError::txt_too_long;
      txt_[len++] = uint8_t(key_len + 1 + value_len);
      memcpy(txt_ + len, txt.key, key_len);
      txt_[len + key_len] = '=';
      if (value_len) memcpy(txt_ + len + key_len + 1, txt.value, value_len);
      len += key_len + 1 + value_len;
    }
    if (len == txt_start) {  // RFC 6763 §6.1: an empty TXT record is one empty string
      if (len + 1 > kMaxTxtBytes) return ConfigError::txt_too_long;
      txt_[len++] = 0;
    }
    service.txt_offset = uint16_t(txt_start);
    service.txt_length = uint16_t(len - txt_start);
    service.port = entry.port;
  }
  memcpy(ipv4_, description.ipv4, 4);
  memcpy(hostname_, base_hostname_, sizeof(hostname_));
  conflicts_ = 0;
  service_count_ = description.service_count;
  ConfigError result = !build_names() ? ConfigError::bad_hostname : !packets_fit() ? ConfigError::too_large
                                                                                    : ConfigError::ok;
  if (result != ConfigError::ok) service_count_ = 0;
  return result;
}

bool Responder::build_names() {
  const char* const services[] = {"_services", "_dns-sd", "_udp", "local"};
  const char* const host[] = {hostname_, "local"};
  host_name_.clear();
  services_name_.clear();
  reverse_name_.clear();
  if (!append_labels(host_name_, host, 2) || !append_labels(services_name_, services, 4)) return false;
  for (size_t i = 0; i < service_count_; ++i) {
    DnsName& instance = services_[i].instance_name;
    instance.clear();
    if (!instance.append_label(hostname_) || !instance.append_name(services_[i].type_name)) return false;
  }
  for (int i = 3; i >= 0; --i) {
    char octet[4];
    TextBuilder(octet, sizeof(octet)).add_u32(ipv4_[i]);
    reverse_name_.append_label(octet);
  }
  return reverse_name_.append_label("in-addr") && reverse_name_.append_label("arpa");
}

bool Responder::packets_fit() const {
  // After a conflict the host label may grow by "-N" (at most 11 bytes, uint32 N) wherever it is
  // written in full: once for the host name and once in each instance name.
  const size_t margin = 11 * (1 + service_count_);
  uint8_t packet[kMaxPacket];
  return build_probe(packet, kMaxPacket - margin) != 0 &&
         build_announcement(packet, kMaxPacket - margin, TtlMode::normal) != 0;
}

size_t Responder::service_named(const DnsName& name) const {
  size_t i = 0;
  while (i < service_count_ && !services_[i].instance_name.equals(name)) ++i;
  return i;
}

uint32_t Responder::ttl_of(RecordId id) const { return is_service_record(id) ? kServiceTtl : kHostTtl; }

bool Responder::write_record(MessageWriter& w, RecordId id, Section section, TtlMode mode, bool flush_allowed) const {
  uint32_t ttl = ttl_of(id);
  if (mode == TtlMode::goodbye) ttl = 0;
  if (mode == TtlMode::legacy && ttl > kLegacyTtl) ttl = kLegacyTtl;
  bool shared = is_service_record(id) && (kind_of(id) == enumeration_ptr || kind_of(id) == service_ptr);
  // Cache-flush marks records this host owns alone; legacy resolvers must not see the bit (§6.7, §10.2).
  uint16_t rclass = uint16_t(kClassIn | (!shared && flush_allowed && mode != TtlMode::legacy ? kClassTopBit : 0));
  bool ok = false;
  if (!is_service_record(id)) {
    switch (HostRecord(id)) {
      case host_a:
        ok = w.begin_record(section, host_name_, kTypeA, rclass, ttl) && w.put_bytes(ipv4_, 4);
        break;
      case host_reverse:
        ok = w.begin_record(section, reverse_name_, kTypePtr, rclass, ttl) && w.put_name(host_name_);
        break;
      case host_nsec:  // next name = own name, window 0, one bitmap byte: A (type 1)
        ok = w.begin_record(section, host_name_, kTypeNsec, rclass, ttl) && w.put_name_uncompressed(host_name_) &&
             w.put_bytes("\x00\x01\x40", 3);
        break;
      case kHostRecords:
        break;
    }
    return ok && w.end_record();
  }
  const Service& s = services_[service_of(id)];
  switch (kind_of(id)) {
    case enumeration_ptr:
      ok = w.begin_record(section, services_name_, kTypePtr, rclass, ttl) && w.put_name(s.type_name);
      break;
    case service_ptr:
      ok = w.begin_record(section, s.type_name, kTypePtr, rclass, ttl) && w.put_name(s.instance_name);
      break;
    case instance_srv:
      ok = w.begin_record(section, s.instance_name, kTypeSrv, rclass, ttl) && w.put_u16(0) && w.put_u16(0) &&
           w.put_u16(s.port) && w.put_name(host_name_);
      break;
    case instance_txt:
      ok = w.begin_record(section, s.instance_name, kTypeTxt, rclass, ttl) &&
           w.put_bytes(txt_ + s.txt_offset, s.txt_length);
      break;
    case instance_nsec:  // window 0, five bitmap bytes: TXT (16) and SRV (33)
      ok = w.begin_record(section, s.instance_name, kTypeNsec, rclass, ttl) &&
           w.put_name_uncompressed(s.instance_name) && w.put_bytes("\x00\x05\x00\x00\x80\x00\x40", 7);
      break;
    case kServiceRecords:
      break;
  }
  return ok && w.end_record();
}

size_t Responder::build_probe(uint8_t* out, size_t capacity) const {
  // One probe for all names (§8.1): ANY questions asking for unicast replies, and the records
  // we intend to own in the authority section for simultaneous-probe tie-breaking.
  MessageWriter w(out, capacity, 0, 0);
  w.add_question(host_name_, kTypeAny, kClassIn | kClassTopBit);
  for (size_t i = 0; i < service_count_; ++i) w.add_question(services_[i].instance_name, kTypeAny, kClassIn | kClassTopBit);
  write_record(w, host_a, Section::authority, TtlMode::normal, false);
  for (size_t i = 0; i < service_count_; ++i) {
    write_record(w, service_record(i, instance_srv), Section::authority, TtlMode::normal, false);
    write_record(w, service_record(i, instance_txt), Section::authority, TtlMode::normal, false);
  }
  return w.finish();
}

size_t Responder::build_announcement(uint8_t* out, size_t capacity, TtlMode mode) const {
  MessageWriter w(out, capacity, 0, kFlagResponse | kFlagAuthoritative);
  write_record(w, host_a, Section::answer, mode, true);
  write_record(w, host_reverse, Section::answer, mode, true);
  const ServiceRecord announced[] = {enumeration_ptr, service_ptr, instance_srv, instance_txt};
  for (size_t i = 0; i < service_count_; ++i) {
    for (ServiceRecord kind : announced) write_record(w, service_record(i, kind), Section::answer, mode, true);
  }
  return w.finish();
}

void Responder::start(uint32_t now_ms, uint32_t first_probe_delay_ms) {
  if (service_count_ == 0) return;  // not configured, or the configuration was refused
  memcpy(hostname_, base_hostname_, sizeof(hostname_));
  conflicts_ = 0;
  build_names();
  restart_probing(now_ms, first_probe_delay_ms);
}

void Responder::restart_probing(uint32_t now_ms, uint32_t delay_ms) {
  state_ = ResponderState::probing;
  probes_sent_ = 0;
  announcements_sent_ = 0;
  due_ms_ = now_ms + delay_ms;
  memset(multicast_once_, 0, sizeof(multicast_once_));
}

void Responder::rename_after_conflict(uint32_t now_ms) {
  ++conflicts_;
  char suffix[12];
  TextBuilder suffix_text(suffix, sizeof(suffix));
  suffix_text.add_char('-').add_u32(conflicts_ + 1);
  size_t base_len = strlen(base_hostname_);
  if (base_len + suffix_text.size() > kMaxLabelLength) base_len = kMaxLabelLength - suffix_text.size();
  TextBuilder(hostname_, sizeof(hostname_)).add(base_hostname_, base_len).add(suffix);
  build_names();
  // §8.1 wants a host with 15 conflicts within ten seconds to wait 5 s between probe runs;
  // counting every conflict since start() is stricter and needs no extra clock state.
  restart_probing(now_ms, conflicts_ > 15 ? 5000 : 0);
}

size_t Responder::on_timer(uint32_t now_ms, uint8_t* out, size_t capacity) {
  if (!timer_pending() || !proto::time_reached(now_ms, due_ms_)) return 0;
  if (state_ == ResponderState::probing) {
    if (probes_sent_ < kProbeCount) {
      ++probes_sent_;
      due_ms_ = now_ms + kProbeIntervalMs;
      return build_probe(out, capacity);
    }
    state_ = ResponderState::announcing;  // no conflict within 250 ms of the last probe
  }
  size_t len = build_announcement(out, capacity, TtlMode::normal);
  for (RecordId id = 0; id < record_count(); ++id) {
    if (id == host_nsec || (is_service_record(id) && kind_of(id) == instance_nsec)) continue;
    multicast_once_[id] = true;
    last_multicast_ms_[id] = now_ms;
  }
  ++announcements_sent_;
  if (announcements_sent_ >= kAnnounceCount) {
    state_ = ResponderState::running;
  } else {
    due_ms_ = now_ms + (1000u << (announcements_sent_ - 1));
  }
  return len;
}

size_t Responder::goodbye(uint8_t* out, size_t capacity) {
  bool announced = state_ == ResponderState::announcing || state_ == ResponderState::running;
  size_t len = announced ? build_announcement(out, capacity, TtlMode::goodbye) : 0;
  state_ = ResponderState::stopped;
  return len;
}

Responder::RecordSet Responder::records_for(const Question& q) const {
  bool any = q.type == kTypeAny;
  bool ptr = any || q.type == kTypePtr;
  RecordSet set = 0;
  if (q.name.equals(services_name_)) {  // DNS-SD service type enumeration (RFC 6763 §9)
    for (size_t i = 0; i < service_count_; ++i) set |= bit(service_record(i, enumeration_ptr));
    return ptr ? set : 0;
  }
  for (size_t i = 0; i < service_count_; ++i) {
    if (q.name.equals(services_[i].type_name)) return ptr ? bit(service_record(i, service_ptr)) : 0;
  }
  if (q.name.equals(reverse_name_)) return ptr ? bit(host_reverse) : 0;
  size_t i = service_named(q.name);
  if (i < service_count_) {
    if (any) return bit(service_record(i, instance_srv)) | bit(service_record(i, instance_txt));
    if (q.type == kTypeSrv) return bit(service_record(i, instance_srv));
    if (q.type == kTypeTxt) return bit(service_record(i, instance_txt));
    return bit(service_record(i, instance_nsec));  // we own the name but not this type: say so (§6.1)
  }
  if (q.name.equals(host_name_)) return (any || q.type == kTypeA) ? bit(host_a) : bit(host_nsec);
  return 0;
}

Responder::RecordSet Responder::additionals_for(RecordSet answers) const {
  // RFC 6763 §12: a PTR answer carries SRV, TXT and address; an SRV answer carries the address.
  RecordSet extra = 0;
  for (size_t i = 0; i < service_count_; ++i) {
    RecordSet srv = bit(service_record(i, instance_srv));
    if (answers & bit(service_record(i, service_ptr))) extra |= srv | bit(service_record(i, instance_txt)) | bit(host_a);
    if (answers & srv) extra |= bit(host_a);
  }
  if ((answers | extra) & bit(host_a)) extra |= bit(host_nsec);
  return extra & ~answers;
}

bool Responder::matches_our_record(const MessageReader& reader, const Record& record, RecordId& id) const {
  if (record.rclass != kClassIn) return false;
  if (record.type == kTypeA && record.name.equals(host_name_)) {
    uint8_t address[4];
    id = host_a;
    return reader.read_a(record, address) == ParseError::ok && memcmp(address, ipv4_, 4) == 0;
  }
  if (record.type == kTypePtr) {
    DnsName target;
    if (reader.read_ptr(record, target) != ParseError::ok) return false;
    bool enumeration = record.name.equals(services_name_);
    for (size_t i = 0; i < service_count_; ++i) {
      const Service& s = services_[i];
      if (enumeration && target.equals(s.type_name)) {
        id = service_record(i, enumeration_ptr);
        return true;
      }
      if (!enumeration && record.name.equals(s.type_name) && target.equals(s.instance_name)) {
        id = service_record(i, service_ptr);
        return true;
      }
    }
    id = host_reverse;
    return record.name.equals(reverse_name_) && target.equals(host_name_);
  }
  size_t i = service_named(record.name);
  if (i == service_count_) return false;
  const Service& s = services_[i];
  if (record.type == kTypeSrv) {
    SrvData srv;
    id = service_record(i, instance_srv);
    return reader.read_srv(record, srv) == ParseError::ok && srv.priority == 0 && srv.weight == 0 &&
           srv.port == s.port && srv.target.equals(host_name_);
  }
  if (record.type == kTypeTxt) {
    id = service_record(i, instance_txt);
    return record.rdata_length == s.txt_length && memcmp(reader.rdata(record), txt_ + s.txt_offset, s.txt_length) == 0;
  }
  return false;
}

bool Responder::conflicts_with_us(const MessageReader& reader, const Record& record) const {
  // Another responder claims one of our unique records with other data. Goodbyes (TTL 0) and
  // types we do not own are no claim; our own looped-back packets carry identical data.
  if (record.rclass != kClassIn || record.ttl == 0) return false;
  bool ours = (record.type == kTypeA && record.name.equals(host_name_)) ||
              ((record.type == kTypeSrv || record.type == kTypeTxt) && service_named(record.name) < service_count_);
  RecordId id;
  return ours && !matches_our_record(reader, record, id);
}

int Responder::compare_probe(const MessageReader& reader, const Record& record) const {
  // Simultaneous-probe tie-break (§8.2), reduced to the record that decides it in practice:
  // our A record for the host name, our SRV record for an instance name. >0: the other host wins.
  if (record.section != Section::authority) return 0;
  if (record.name.equals(host_name_)) {
    if (record.rclass != kClassIn) return record.rclass > kClassIn ? 1 : -1;
    if (record.type != kTypeA) return record.type > kTypeA ? 1 : -1;
    return compare_bytes(reader.rdata(record), record.rdata_length, ipv4_, 4);
  }
  size_t i = service_named(record.name);
  if (i < service_count_ && record.type == kTypeSrv && record.rclass == kClassIn) {
    SrvData srv;
    if (reader.read_srv(record, srv) != ParseError::ok) return 0;
    uint8_t theirs[6 + kMaxNameLength];
    uint8_t ours[6 + kMaxNameLength];
    const uint16_t their_fields[3] = {srv.priority, srv.weight, srv.port};
    const uint16_t our_fields[3] = {0, 0, services_[i].port};
    for (size_t k = 0; k < 3; ++k) {
      theirs[2 * k] = uint8_t(their_fields[k] >> 8);
      theirs[2 * k + 1] = uint8_t(their_fields[k]);
      ours[2 * k] = uint8_t(our_fields[k] >> 8);
      ours[2 * k + 1] = uint8_t(our_fields[k]);
    }
    memcpy(theirs + 6, srv.target.wire(), srv.target.wire_length());
    memcpy(ours + 6, host_name_.wire(), host_name_.wire_length());
    return compare_bytes(theirs, 6 + srv.target.wire_length(), ours, 6 + host_name_.wire_length());
  }
  return 0;
}

Reply Responder::on_packet(const uint8_t* data, size_t len, uint16_t source_port, uint32_t now_ms, uint8_t* out,
                           size_t capacity) {
  if (state_ == ResponderState::idle || state_ == ResponderState::stopped) return {};
  MessageReader reader;
  if (reader.open(data, len) != ParseError::ok) return {};
  const Header& header = reader.header();
  if (header.opcode() != 0 || header.rcode() != 0) return {};  // §18.3, §18.11: ignore such messages
  Record record;
  if (header.is_response()) {
    if (source_port != kMdnsPort) return {};  // §11: responses from other ports are not mDNS
    while (reader.read_record(record) == ParseError::ok) {
      if (conflicts_with_us(reader, record)) {
        rename_after_conflict(now_ms);
        return {};
      }
    }
    return {};
  }
  if (state_ == ResponderState::probing) {
    while (reader.read_record(record) == ParseError::ok) {
      int order = compare_probe(reader, record);
      if (order > 0) {  // lost the tie-break: wait a second and probe again (§8.2)
        restart_probing(now_ms, 1000);
        return {};
      }
      if (order < 0) return {};
    }
    return {};
  }
  return answer_query(reader, data, len, source_port, now_ms, out, capacity);
}

Reply Responder::answer_query(MessageReader& reader, const uint8_t* data, size_t len, uint16_t source_port,
                              uint32_t now_ms, uint8_t* out, size_t capacity) {
  RecordSet answers = 0;
  bool all_unicast = true;
  Question question;
  ParseError error;
  while ((error = reader.read_question(question)) == ParseError::ok) {
    if (question.qclass != kClassIn && question.qclass != kClassAny) continue;
    RecordSet records = records_for(question);
    answers |= records;
    if (records != 0 && !question.unicast_response) all_unicast = false;
  }
  if (error != ParseError::end_of_section || answers == 0) return {};

  // Known-answer suppression (§7.1): skip what the querier holds with at least half its TTL left.
  Record record;
  while ((error = reader.read_record(record)) == ParseError::ok) {
    RecordId id;
    if (record.section == Section::answer && matches_our_record(reader, record, id) && record.ttl >= ttl_of(id) / 2)
      answers &= ~bit(id);
  }
  if (error != ParseError::end_of_section || answers == 0) return {};

  bool legacy = source_port != kMdnsPort;
  bool probe = reader.header().authority_count > 0;
  bool unicast = legacy;
  // A probe is always defended by multicast: every host on the link must see the name is taken,
  // and a unicast reply to port 5353 reaches only one of the sockets sharing it on the prober's host.
  if (!legacy && !probe && all_unicast) {
    // §5.4: answer QU by unicast only if the records were multicast within a quarter TTL.
    unicast = true;
    for (RecordId id = 0; id < record_count(); ++id) {
      bool recent = multicast_once_[id] && now_ms - last_multicast_ms_[id] < ttl_of(id) * 250;
      if ((answers & bit(id)) && !recent) unicast = false;
    }
  }
  if (!unicast) {
    // §6: multicast a record at most once per second (every 250 ms when defending against a probe).
    uint32_t min_gap_ms = probe ? 250 : 1000;
    for (RecordId id = 0; id < record_count(); ++id) {
      if ((answers & bit(id)) && multicast_once_[id] && now_ms - last_multicast_ms_[id] < min_gap_ms)
        answers &= ~bit(id);
    }
    if (answers == 0) return {};
  }
  RecordSet additionals = additionals_for(answers);
  size_t length = build_answer(reader, data, len, legacy, answers, additionals, out, capacity);
  if (length == 0 && additionals != 0) {  // additionals are a courtesy: send the answers alone
    additionals = 0;
    length = build_answer(reader, data, len, legacy, answers, additionals, out, capacity);
  }
  if (length == 0) return {};
  if (!unicast) {
    for (RecordId id = 0; id < record_count(); ++id) {
      if ((answers | additionals) & bit(id)) {
        multicast_once_[id] = true;
        last_multicast_ms_[id] = now_ms;
      }
    }
  }
  return {length, unicast};
}

size_t Responder::build_answer(const MessageReader& query, const uint8_t* data, size_t len, bool legacy,
                               RecordSet answers, RecordSet additionals, uint8_t* out, size_t capacity) const {
  MessageWriter w(out, capacity, legacy ? query.header().id : 0, kFlagResponse | kFlagAuthoritative);
  if (legacy) {  // §6.7: a legacy resolver needs its ID and its questions repeated
    MessageReader again;
    Question question;
    again.open(data, len);
    while (again.read_question(question) == ParseError::ok)
      w.add_question(question.name, question.type, question.qclass);
  }
  TtlMode mode = legacy ? TtlMode::legacy : TtlMode::normal;
  for (RecordId id = 0; id < record_count(); ++id) {
    if (answers & bit(id)) write_record(w, id, Section::answer, mode, true);
  }
  for (RecordId id = 0; id < record_count(); ++id) {
    if (additionals & bit(id)) write_record(w, id, Section::additional, mode, true);
  }
  return w.finish();
}

}  // namespace otakit::mdns
