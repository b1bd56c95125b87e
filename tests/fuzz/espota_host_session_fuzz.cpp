// The host state machine against an arbitrary device: datagrams, connections, acks, failed
// writes, closes and time in any order. It must finish at most once, send each image byte once
// and in order, send nothing after a failed write, and never overflow its queue.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/espota/host_session.h"

using namespace otakit::espota;

namespace {

bool fill_random(void*, uint8_t* out, size_t len) {
  memset(out, 0x5A, len);
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  HostConfig config;
  config.listen_port = 40000;
  config.size = 1 + data[0] * 97u;
  memcpy(config.md5, "da01546d8044c9e517147aa7a6e6b8f5", 33);
  config.device.ip_length = 4;
  config.device.port = 8266;
  config.random = {nullptr, &fill_random};
  config.stop_and_wait = data[1] & 1;
  config.stream_block = 1 + data[1] * 13u;
  HostSession host(config);
  uint32_t now = 0;
  host.start(now);
  uint32_t next_offset = 0;
  uint32_t in_flight = 0;
  bool send_failed = false;
  int finished = 0;
  size_t pos = 2;
  for (int step = 0; step < 400 && pos < size; ++step) {
    uint8_t op = data[pos++];
    size_t len = pos < size ? data[pos++] : 0;
    if (len > size - pos) len = size - pos;
    const uint8_t* bytes = data + pos;
    pos += len;
    switch (op % 7) {
      case 0: host.on_datagram(config.device, bytes, len, now); break;
      case 1: host.on_tcp_connected(config.device, now); break;
      case 2: host.on_tcp_data(bytes, len, now); break;
      case 3:
        if (in_flight) host.on_data_sent(in_flight, now);
        in_flight = 0;
        break;
      case 4: host.on_tcp_closed(now); break;
      case 5:
        if (in_flight) host.on_tcp_send_failed(now);
        send_failed = send_failed || in_flight;
        in_flight = 0;
        break;
      default: now += static_cast<uint32_t>(len) * 251; host.on_tick(now); break;
    }
    HostEvent e;
    while (host.poll(&e)) {
      if (e.action == HostAction::send_data) {
        if (e.offset != next_offset || e.len == 0 || e.offset + e.len > config.size || in_flight || send_failed)
          __builtin_trap();
        next_offset += static_cast<uint32_t>(e.len);
        in_flight = static_cast<uint32_t>(e.len);
      }
      if (e.action == HostAction::progress && (e.acked > e.size || e.sent > e.size)) __builtin_trap();
      if (e.action == HostAction::finished && ++finished > 1) __builtin_trap();
    }
    if (host.queue_overflowed()) __builtin_trap();
  }
  return 0;
}
