// The responder's input path: any datagram, in the probing or the running state, from port 5353
// or a legacy port, with one service (_arduino._tcp) or two (_http._tcp beside it). Whatever it
// sends back must be a well-formed packet that fits its buffer.
#include <stddef.h>
#include <stdint.h>

#include "core/mdns/mdns_responder.h"

namespace {

using namespace otakit::mdns;

void check_well_formed(const uint8_t* packet, size_t len) {
  MessageReader reader;
  if (reader.open(packet, len) != ParseError::ok) __builtin_trap();
  Question q;
  ParseError error;
  while ((error = reader.read_question(q)) == ParseError::ok) {
  }
  if (error != ParseError::end_of_section) __builtin_trap();
  Record r;
  while ((error = reader.read_record(r)) == ParseError::ok) {
    DnsName target;
    SrvData srv;
    if (r.type == kTypePtr && reader.read_ptr(r, target) != ParseError::ok) __builtin_trap();
    if (r.type == kTypeSrv && reader.read_srv(r, srv) != ParseError::ok) __builtin_trap();
  }
  if (error != ParseError::end_of_section) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // First byte: bit 0 = still probing, bit 1 = legacy source port, bit 2 = two services; the
  // rest is the datagram.
  bool probing = data[0] & 1;
  uint16_t port = (data[0] & 2) ? 40000 : kMdnsPort;
  static const TxtEntry txt[] = {{"auth_upload", "yes"}, {"board", "generic"}, {"ssh_upload", "no"},
                                 {"tcp_check", "no"}};
  static const TxtEntry http_txt[] = {{"path", "/update"}};
  const ServiceEntry services[] = {{"_arduino", "_tcp", 8266, txt, 4}, {"_http", "_tcp", 8080, http_txt, 1}};
  HostDescription description;
  description.hostname = "esp8266-ee1337";
  description.ipv4[0] = 127;
  description.ipv4[3] = 1;
  description.services = services;
  description.service_count = (data[0] & 4) ? 2 : 1;
  static Responder responder;
  if (responder.configure(description) != ConfigError::ok) __builtin_trap();
  responder.start(0, 0);
  static uint8_t out[Responder::kMaxPacket];
  uint32_t now = 0;
  for (int i = 0; i < 10 && responder.timer_pending() && !(probing && i == 1); ++i) {
    now = responder.timer_due_ms();
    size_t len = responder.on_timer(now, out, sizeof(out));
    if (len == 0) __builtin_trap();
    check_well_formed(out, len);
  }
  Reply reply = responder.on_packet(data + 1, size - 1, port, now + 5000, out, sizeof(out));
  if (reply.length > sizeof(out)) __builtin_trap();
  if (reply.length > 0) check_well_formed(out, reply.length);
  if (responder.timer_pending()) {  // a conflict restarted probing: the renamed probe must be sound
    size_t len = responder.on_timer(responder.timer_due_ms(), out, sizeof(out));
    check_well_formed(out, len);
  }
  return 0;
}
