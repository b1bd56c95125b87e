// DNS-SD browser for one service type (`_arduino._tcp.local` by default): builds the queries and
// turns responses into discovered service records (instance, host, address, port, TXT).
// Sans-IO and allocation-free: the caller provides the table the records are kept in.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "core/mdns/dns_message.h"

namespace otakit::mdns {

struct DiscoveredService {
  static constexpr size_t kMaxTxtBytes = 400;

  DnsName instance;  // e.g. esp8266-ee1337._arduino._tcp.local
  DnsName target;    // SRV target host, e.g. esp8266-ee1337.local
  uint16_t port = 0;
  uint8_t ipv4[4] = {0, 0, 0, 0};
  uint8_t txt[kMaxTxtBytes] = {};
  size_t txt_length = 0;
  bool has_ptr = false;
  bool has_srv = false;
  bool has_txt = false;
  bool has_address = false;
  bool removed = false;  // a goodbye (TTL 0) arrived for the PTR or SRV record
  uint32_t ptr_ttl = 0;
  uint32_t ptr_received_ms = 0;

  // Enough to connect: port and address known, not said goodbye.
  bool complete() const { return has_srv && has_address && !removed; }
  // Looks a key up in the TXT record (keys compare case-insensitively, RFC 6763 §6.4).
  bool txt_value(const char* key, const uint8_t*& value, size_t& value_len) const;
};

class Browser {
 public:
  // `slots` is the caller's table; services beyond `capacity` are counted in overflowed().
  Browser(DiscoveredService* slots, size_t capacity, const char* service = "_arduino", const char* protocol = "_tcp");

  bool valid() const { return valid_; }
  const DnsName& service_name() const { return service_name_; }

  // A multicast query (QM): the PTR question, SRV/TXT/A questions for services still missing
  // data, and the PTR records already known as known answers (RFC 6762 §7.1), as far as they fit.
  size_t build_query(uint32_t now_ms, uint8_t* out, size_t capacity) const;

  // Feeds one received datagram; queries and non-mDNS responses are ignored. Records before a
  // parse error are kept (each record is applied on its own), the error is returned.
  ParseError on_packet(const uint8_t* data, size_t len, uint16_t source_port, uint32_t now_ms);

  size_t count() const { return count_; }
  const DiscoveredService& at(size_t index) const { return slots_[index]; }
  size_t overflowed() const { return overflowed_; }

 private:
  DiscoveredService* find(const DnsName& instance, bool create);
  bool is_instance_of_service(const DnsName& name) const;
  void apply_service_record(const MessageReader& reader, const Record& record, uint32_t now_ms);
  void apply_address_record(const MessageReader& reader, const Record& record);

  DiscoveredService* slots_;
  size_t capacity_;
  size_t count_ = 0;
  size_t overflowed_ = 0;
  DnsName service_name_;
  bool valid_ = false;
};

}  // namespace otakit::mdns
