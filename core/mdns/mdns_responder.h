// mDNS/DNS-SD responder for one host and a few service instances on it, as an ESP8266 sketch
// advertises `_arduino._tcp` (ArduinoOTA) and, with MDNS.addService("http", "tcp", 80), `_http._tcp`
// beside it: probes its names, announces, answers queries and says goodbye. Sans-IO: packets and
// time in, packets out; the driver owns the socket and the clock (RFC 6762, RFC 6763).
//
// Records (TTLs and cache-flush bits as a real ESP8266 with LEAmDNS sends them, see
// vectors/espota/mdns-*.txt), for host H and each configured service S (e.g. _arduino._tcp):
//   H.local                        A    120   flush   the device address
//   d.c.b.a.in-addr.arpa           PTR  120   flush   -> H.local
//   _services._dns-sd._udp.local   PTR  4500  shared  -> S.local           (one per service)
//   S.local                        PTR  4500  shared  -> H.S.local
//   H.S.local                      SRV  4500  flush   0 0 port H.local
//   H.S.local                      TXT  4500  flush   the service's entries, in the given order
//   plus NSEC records for H.local (only A) and each instance (only SRV, TXT), sent to say that
//   other types (AAAA, ...) do not exist, as RFC 6762 §6.1 asks.
// Every instance is named after the host (H.S.local), as LEAmDNS names them; a conflict on any of
// the names renames the host and so every instance with it. One service gives exactly the packets
// the single-service responder always sent.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "core/mdns/dns_message.h"

namespace otakit::mdns {

struct TxtEntry {
  const char* key;    // non-empty, no '='
  const char* value;  // may be empty
};

// One DNS-SD service of the host: its type (`service`.`protocol`, e.g. _http._tcp), port and TXT.
struct ServiceEntry {
  const char* service = "_arduino";
  const char* protocol = "_tcp";
  uint16_t port = 0;
  const TxtEntry* txt = nullptr;
  size_t txt_count = 0;
};

// The host and the services it offers (1 to Responder::kMaxServices, each type at most once).
// The responder copies what it needs: the strings and arrays may go away after configure().
struct HostDescription {
  const char* hostname = nullptr;  // one label, e.g. "esp8266-ee1337"; also every instance's name
  uint8_t ipv4[4] = {0, 0, 0, 0};
  const ServiceEntry* services = nullptr;
  size_t service_count = 0;
};

// A host with one service (the ArduinoOTA advertisement): the same as a HostDescription with one
// ServiceEntry.
struct ServiceDescription {
  const char* hostname = nullptr;  // one label, e.g. "esp8266-ee1337"; also the instance name
  uint8_t ipv4[4] = {0, 0, 0, 0};
  uint16_t port = 0;
  const char* service = "_arduino";
  const char* protocol = "_tcp";
  const TxtEntry* txt = nullptr;
  size_t txt_count = 0;
};

enum class ConfigError : uint8_t {
  ok,
  bad_hostname,       // empty, longer than 63 bytes, or contains '.'
  bad_service,        // service or protocol label empty or too long
  bad_txt_entry,      // empty key, '=' in the key, or key=value longer than 255 bytes
  txt_too_long,       // all entries of all services together exceed kMaxTxtBytes
  bad_service_count,  // no service, or more than kMaxServices
  duplicate_service,  // the same service type twice (its instances would have the same name)
  too_large,          // the probe or the announcement of all records would not fit one packet
};

const char* describe(ConfigError error);

enum class ResponderState : uint8_t { idle, probing, announcing, running, stopped };

// Where a reply goes: the mDNS group, or back to the querier's address and source port
// (a QU question that may be answered by unicast, or a legacy query from a port other than 5353).
struct Reply {
  size_t length = 0;  // 0: nothing to send
  bool unicast = false;
};

class Responder {
 public:
  static constexpr uint32_t kHostTtl = 120;
  static constexpr uint32_t kServiceTtl = 4500;
  static constexpr uint32_t kLegacyTtl = 10;  // RFC 6762 §6.7 cap for legacy unicast answers
  static constexpr size_t kMaxServices = 4;
  static constexpr size_t kMaxTxtBytes = 400;  // every service's TXT rdata together
  static constexpr uint32_t kProbeIntervalMs = 250;
  static constexpr uint32_t kProbeCount = 3;
  static constexpr uint32_t kAnnounceCount = 3;  // at 0 s, 1 s, 3 s (intervals double, §8.3)
  // A buffer this large holds any packet the responder builds.
  static constexpr size_t kMaxPacket = 1460;

  ConfigError configure(const HostDescription& description);
  ConfigError configure(const ServiceDescription& description);  // one service

  // Begins probing after `first_probe_delay_ms` (RFC 6762 §8.1 wants a random 0-250 ms).
  void start(uint32_t now_ms, uint32_t first_probe_delay_ms);

  // The next time on_timer() has something to send; only meaningful while timer_pending().
  bool timer_pending() const { return state_ == ResponderState::probing || state_ == ResponderState::announcing; }
  uint32_t timer_due_ms() const { return due_ms_; }

  // Builds the probe or announcement that is due at now_ms (one packet per call; multicast it).
  size_t on_timer(uint32_t now_ms, uint8_t* out, size_t capacity);

  // Feeds one received datagram. Answers queries once probing is over, detects conflicts and
  // lost probe tie-breaks (then the responder renames itself "<host>-N" and probes again).
  Reply on_packet(const uint8_t* data, size_t len, uint16_t source_port, uint32_t now_ms, uint8_t* out,
                  size_t capacity);

  // The goodbye packet (every record with TTL 0) to multicast before going away; the responder
  // stops. Returns 0 if nothing was announced yet.
  size_t goodbye(uint8_t* out, size_t capacity);

  ResponderState state() const { return state_; }
  const char* hostname() const { return hostname_; }  // changes after a conflict
  uint32_t conflict_count() const { return conflicts_; }
  size_t service_count() const { return service_count_; }
  // Service `index` (in configuration order): its type (e.g. _http._tcp.local), its instance
  // (hostname() + type) and port. Index must be below service_count().
  const DnsName& service_type(size_t index) const { return services_[index].type_name; }
  const DnsName& service_instance(size_t index) const { return services_[index].instance_name; }
  uint16_t service_port(size_t index) const { return services_[index].port; }

 private:
  // Record ids: the host's three, then five per service (service i's at kHostRecords + 5 i + kind).
  enum HostRecord : uint8_t { host_a, host_reverse, host_nsec, kHostRecords };
  enum ServiceRecord : uint8_t { enumeration_ptr, service_ptr, instance_srv, instance_txt, instance_nsec,
                                 kServiceRecords };
  static constexpr size_t kRecordCount = kHostRecords + kServiceRecords * kMaxServices;
  using RecordId = uint8_t;
  using RecordSet = uint32_t;  // bit per RecordId
  static_assert(kRecordCount <= 32, "a RecordSet holds one bit per record");
  enum class TtlMode : uint8_t { normal, goodbye, legacy };

  struct Service {
    DnsName type_name;      // e.g. _arduino._tcp.local
    DnsName instance_name;  // hostname_ + type_name
    uint16_t port = 0;
    uint16_t txt_offset = 0;  // the TXT rdata is txt_[txt_offset, txt_offset + txt_length)
    uint16_t txt_length = 0;
  };

  static RecordId service_record(size_t service, ServiceRecord kind) {
    return RecordId(kHostRecords + kServiceRecords * service + kind);
  }
  static bool is_service_record(RecordId id) { return id >= kHostRecords; }
  static size_t service_of(RecordId id) { return (id - kHostRecords) / kServiceRecords; }
  static ServiceRecord kind_of(RecordId id) { return ServiceRecord((id - kHostRecords) % kServiceRecords); }
  static RecordSet bit(RecordId id) { return RecordSet(1u) << id; }
  size_t record_count() const { return kHostRecords + kServiceRecords * service_count_; }

  bool build_names();
  bool packets_fit() const;
  RecordSet records_for(const Question& question) const;
  RecordSet additionals_for(RecordSet answers) const;
  bool write_record(MessageWriter& writer, RecordId id, Section section, TtlMode mode, bool flush_allowed) const;
  bool matches_our_record(const MessageReader& reader, const Record& record, RecordId& id) const;
  bool conflicts_with_us(const MessageReader& reader, const Record& record) const;
  int compare_probe(const MessageReader& reader, const Record& record) const;
  size_t build_probe(uint8_t* out, size_t capacity) const;
  size_t build_announcement(uint8_t* out, size_t capacity, TtlMode mode) const;
  size_t build_answer(const MessageReader& query, const uint8_t* data, size_t len, bool legacy, RecordSet answers,
                      RecordSet additionals, uint8_t* out, size_t capacity) const;
  Reply answer_query(MessageReader& reader, const uint8_t* data, size_t len, uint16_t source_port, uint32_t now_ms,
                     uint8_t* out, size_t capacity);
  void restart_probing(uint32_t now_ms, uint32_t delay_ms);
  void rename_after_conflict(uint32_t now_ms);
  uint32_t ttl_of(RecordId id) const;
  // The service whose instance is `name`, or service_count_ if none.
  size_t service_named(const DnsName& name) const;

  uint8_t ipv4_[4] = {0, 0, 0, 0};
  char base_hostname_[kMaxLabelLength + 1] = {};
  char hostname_[kMaxLabelLength + 1] = {};
  uint8_t txt_[kMaxTxtBytes] = {};
  Service services_[kMaxServices];
  size_t service_count_ = 0;
  DnsName host_name_;
  DnsName reverse_name_;
  DnsName services_name_;  // _services._dns-sd._udp.local

  ResponderState state_ = ResponderState::idle;
  uint32_t due_ms_ = 0;
  uint32_t probes_sent_ = 0;
  uint32_t announcements_sent_ = 0;
  uint32_t conflicts_ = 0;
  uint32_t last_multicast_ms_[kRecordCount] = {};
  bool multicast_once_[kRecordCount] = {};
};

}  // namespace otakit::mdns
