// mDNS/DNS-SD responder for one service instance, as ArduinoOTA advertises `_arduino._tcp`:
// probes its names, announces, answers queries and says goodbye. Sans-IO: packets and time in,
// packets out; the driver owns the socket and the clock (RFC 6762, RFC 6763).
//
// Records (TTLs and cache-flush bits as a real ESP8266 with LEAmDNS sends them, see
// vectors/espota/mdns-*.txt):
//   H.local                        A    120   flush   the device address
//   d.c.b.a.in-addr.arpa           PTR  120   flush   -> H.local
//   _services._dns-sd._udp.local   PTR  4500  shared  -> _arduino._tcp.local
//   _arduino._tcp.local            PTR  4500  shared  -> H._arduino._tcp.local
//   H._arduino._tcp.local          SRV  4500  flush   0 0 port H.local
//   H._arduino._tcp.local          TXT  4500  flush   the configured entries, in the given order
//   plus NSEC records for H.local (only A) and the instance (only SRV, TXT), sent to say that
//   other types (AAAA, ...) do not exist, as RFC 6762 §6.1 asks.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "core/mdns/dns_message.h"

namespace otakit::mdns {

struct TxtEntry {
  const char* key;    // non-empty, no '='
  const char* value;  // may be empty
};

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
  bad_hostname,  // empty, longer than 63 bytes, or contains '.'
  bad_service,   // service or protocol label empty or too long
  bad_txt_entry, // empty key, '=' in the key, or key=value longer than 255 bytes
  txt_too_long,  // all entries together exceed kMaxTxtBytes
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
  static constexpr size_t kMaxTxtBytes = 400;
  static constexpr uint32_t kProbeIntervalMs = 250;
  static constexpr uint32_t kProbeCount = 3;
  static constexpr uint32_t kAnnounceCount = 3;  // at 0 s, 1 s, 3 s (intervals double, §8.3)
  // A buffer this large holds any packet the responder builds.
  static constexpr size_t kMaxPacket = 1460;

  ConfigError configure(const ServiceDescription& description);

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

 private:
  enum RecordId : uint8_t {
    host_a,
    host_reverse,
    host_nsec,
    services_ptr,
    service_ptr,
    instance_srv,
    instance_txt,
    instance_nsec,
    kRecordCount
  };
  enum class TtlMode : uint8_t { normal, goodbye, legacy };

  bool build_names();
  uint16_t records_for(const Question& question) const;
  uint16_t additionals_for(uint16_t answers) const;
  bool write_record(MessageWriter& writer, RecordId id, Section section, TtlMode mode, bool flush_allowed) const;
  bool matches_our_record(const MessageReader& reader, const Record& record, RecordId& id) const;
  bool conflicts_with_us(const MessageReader& reader, const Record& record) const;
  int compare_probe(const MessageReader& reader, const Record& record) const;
  size_t build_probe(uint8_t* out, size_t capacity) const;
  size_t build_announcement(uint8_t* out, size_t capacity, TtlMode mode) const;
  Reply answer_query(MessageReader& reader, const uint8_t* data, size_t len, uint16_t source_port, uint32_t now_ms,
                     uint8_t* out, size_t capacity);
  void restart_probing(uint32_t now_ms, uint32_t delay_ms);
  void rename_after_conflict(uint32_t now_ms);
  uint32_t ttl_of(RecordId id) const;

  uint8_t ipv4_[4] = {0, 0, 0, 0};
  uint16_t port_ = 0;
  char base_hostname_[kMaxLabelLength + 1] = {};
  char hostname_[kMaxLabelLength + 1] = {};
  char service_[kMaxLabelLength + 1] = {};
  char protocol_[kMaxLabelLength + 1] = {};
  uint8_t txt_[kMaxTxtBytes] = {};
  size_t txt_len_ = 0;
  DnsName host_name_;
  DnsName reverse_name_;
  DnsName services_name_;
  DnsName service_name_;
  DnsName instance_name_;

  ResponderState state_ = ResponderState::idle;
  uint32_t due_ms_ = 0;
  uint32_t probes_sent_ = 0;
  uint32_t announcements_sent_ = 0;
  uint32_t conflicts_ = 0;
  uint32_t last_multicast_ms_[kRecordCount] = {};
  bool multicast_once_[kRecordCount] = {};
};

}  // namespace otakit::mdns
