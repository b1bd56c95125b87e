// mDNS packets come from anyone on the link: the reader, its rdata accessors and the browser must
// stay in bounds and terminate on any bytes, and every name they accept must survive a rewrite.
#include <stddef.h>
#include <stdint.h>

#include "core/mdns/dns_message.h"
#include "core/mdns/mdns_browser.h"

namespace {

using namespace otakit::mdns;

// A name read from the packet, written by the builder and read back, must come out equal.
void check_rewrite(const DnsName& name) {
  static uint8_t buf[kHeaderSize + 2 * kMaxNameLength + 16];
  MessageWriter writer(buf, sizeof(buf), 0, 0);
  if (!writer.add_question(name, kTypeA, kClassIn) || !writer.add_question(name, kTypeA, kClassIn)) __builtin_trap();
  size_t len = writer.finish();
  MessageReader reader;
  Question q;
  if (reader.open(buf, len) != ParseError::ok) __builtin_trap();
  for (int i = 0; i < 2; ++i) {
    if (reader.read_question(q) != ParseError::ok || !q.name.equals(name)) __builtin_trap();
  }
}

void walk(const uint8_t* data, size_t size) {
  MessageReader reader;
  if (reader.open(data, size) != ParseError::ok) return;
  Question q;
  ParseError error;
  while ((error = reader.read_question(q)) == ParseError::ok) check_rewrite(q.name);
  if (error != ParseError::end_of_section) return;
  Record r;
  while (reader.read_record(r) == ParseError::ok) {
    if (r.rdata_offset + r.rdata_length > size) __builtin_trap();
    check_rewrite(r.name);
    uint8_t address[4];
    DnsName target;
    SrvData srv;
    reader.read_a(r, address);
    if (reader.read_ptr(r, target) == ParseError::ok) check_rewrite(target);
    if (reader.read_srv(r, srv) == ParseError::ok) check_rewrite(srv.target);
    TxtReader txt(reader.rdata(r), r.rdata_length);
    const uint8_t* text;
    size_t text_len;
    while (txt.next(text, text_len)) {
      if (text < data || text + text_len > data + size) __builtin_trap();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  walk(data, size);
  static DiscoveredService slots[4];
  Browser browser(slots, 4);
  browser.on_packet(data, size, kMdnsPort, 1000);
  uint8_t query[1460];
  if (browser.build_query(2000, query, sizeof(query)) == 0) __builtin_trap();  // a PTR question always fits
  return 0;
}
