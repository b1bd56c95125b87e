// Helpers for the mDNS tests: the recorded LEAmDNS packets, readable decodes of our own packets,
// queries built from a list of questions, and a responder driven through its timers.
#pragma once
#include <cstdint>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <vector>

#include "core/mdns/dns_message.h"
#include "core/mdns/mdns_responder.h"

namespace otakit::mdns::test {

using Bytes = std::vector<uint8_t>;

// Packet number `index` (1-based, as "#N" in the RAW section) of vectors/espota/<file>.
inline Bytes recorded_packet(const std::string& file, int index) {
  std::ifstream in(std::string(OTAKIT_VECTORS_DIR) + "/espota/" + file);
  std::string line;
  bool raw = false;
  bool inside = false;
  Bytes out;
  const std::string marker = "#" + std::to_string(index) + " ";
  while (std::getline(in, line)) {
    if (line.rfind("RAW:", 0) == 0) raw = true;
    if (!raw) continue;
    if (line.rfind("#", 0) == 0) {
      if (inside) break;
      inside = line.rfind(marker, 0) == 0;
      continue;
    }
    if (!inside) continue;
    // "      0000  00 00 84 00 ...  |....|": 16 hex bytes at most, between the offset and the '|'.
    std::istringstream words(line.substr(0, line.find('|')));
    std::string offset, word;
    words >> offset;
    if (offset.size() != 4 || offset.find_first_not_of("0123456789abcdef") != std::string::npos) break;
    while (words >> word) out.push_back(uint8_t(std::stoul(word, nullptr, 16)));
  }
  return out;
}

inline std::string dotted(const DnsName& name) {
  char text[4 * kMaxNameLength + 1];
  name.to_dotted(text, sizeof(text));
  return text;
}

// One decoded record: "SECTION name TYPE class ttl rdata" with rdata in readable form.
inline std::string describe_record(const MessageReader& reader, const Record& r) {
  static const char* const sections[] = {"QD", "AN", "NS", "AR"};
  std::ostringstream out;
  out << sections[int(r.section)] << ' ' << dotted(r.name) << ' ' << r.type << (r.cache_flush ? " flush" : " shared")
      << " ttl=" << r.ttl << ' ';
  if (r.type == kTypeA) {
    uint8_t a[4] = {};
    reader.read_a(r, a);
    out << int(a[0]) << '.' << int(a[1]) << '.' << int(a[2]) << '.' << int(a[3]);
  } else if (r.type == kTypePtr) {
    DnsName target;
    reader.read_ptr(r, target);
    out << dotted(target);
  } else if (r.type == kTypeSrv) {
    SrvData srv;
    reader.read_srv(r, srv);
    out << srv.priority << ' ' << srv.weight << ' ' << srv.port << ' ' << dotted(srv.target);
  } else if (r.type == kTypeTxt) {
    TxtReader txt(reader.rdata(r), r.rdata_length);
    const uint8_t* s;
    size_t n;
    while (txt.next(s, n)) out << '[' << std::string(reinterpret_cast<const char*>(s), n) << ']';
  } else if (r.type == kTypeNsec) {
    DnsName next_name;
    size_t bitmap = r.rdata_offset;
    reader.read_name(r.rdata_offset, next_name, bitmap);
    out << dotted(next_name) << " bitmap=";
    for (size_t i = bitmap; i < r.rdata_offset + r.rdata_length; ++i)
      out << std::hex << int(reader.rdata(r)[i - r.rdata_offset]) << std::dec << ',';
  } else {
    for (size_t i = 0; i < r.rdata_length; ++i) out << std::hex << int(reader.rdata(r)[i]) << std::dec << ',';
  }
  return out.str();
}

// Every record of a packet, decoded; a parse error ends the list with "ERROR <text>".
inline std::vector<std::string> describe_records(const Bytes& packet) {
  std::vector<std::string> lines;
  MessageReader reader;
  ParseError error = reader.open(packet.data(), packet.size());
  Record record;
  while (error == ParseError::ok && (error = reader.read_record(record)) == ParseError::ok)
    lines.push_back(describe_record(reader, record));
  if (error != ParseError::end_of_section) lines.push_back(std::string("ERROR ") + describe(error));
  return lines;
}

// A question of query(): name, type, and whether it asks for a unicast reply (QU).
struct Question_ {
  const char* name;
  uint16_t type;
  bool unicast;
};

// A PTR record the querier already holds (known-answer list, RFC 6762 §7.1).
struct KnownAnswer {
  const char* name;
  const char* target;
  uint32_t ttl;
};

inline Bytes query(std::initializer_list<Question_> questions, std::initializer_list<KnownAnswer> known = {},
            uint16_t id = 0) {
  uint8_t buf[1500];
  MessageWriter w(buf, sizeof(buf), id, 0);
  for (const Question_& q : questions) {
    DnsName name;
    name.set_dotted(q.name);
    w.add_question(name, q.type, uint16_t(kClassIn | (q.unicast ? kClassTopBit : 0)));
  }
  for (const KnownAnswer& k : known) {
    DnsName name, target;
    name.set_dotted(k.name);
    target.set_dotted(k.target);
    w.begin_record(Section::answer, name, kTypePtr, kClassIn, k.ttl);
    w.put_name(target);
    w.end_record();
  }
  size_t n = w.finish();
  return Bytes(buf, buf + n);
}

struct Sent {
  uint32_t at_ms;
  Bytes packet;
};

// Drives the timer from `now` until the responder runs; returns every packet with its time.
inline std::vector<Sent> run_until_running(Responder& r, uint32_t now) {
  std::vector<Sent> sent;
  uint8_t buf[Responder::kMaxPacket];
  for (int guard = 0; guard < 20 && r.timer_pending(); ++guard) {
    now = r.timer_due_ms();
    size_t n = r.on_timer(now, buf, sizeof(buf));
    sent.push_back({now, Bytes(buf, buf + n)});
  }
  return sent;
}

struct Answer {
  Reply reply;
  Bytes packet;
};

// Feeds `in` from `port` at `now`; the reply is built into `capacity` bytes.
inline Answer feed(Responder& r, const Bytes& in, uint32_t now, uint16_t port = kMdnsPort,
                   size_t capacity = Responder::kMaxPacket) {
  uint8_t buf[Responder::kMaxPacket];
  Reply reply = r.on_packet(in.data(), in.size(), port, now, buf, capacity);
  return {reply, Bytes(buf, buf + reply.length)};
}

}  // namespace otakit::mdns::test
