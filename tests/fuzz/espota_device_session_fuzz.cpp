// The device state machine driven by an arbitrary mix of datagrams from four hosts, TCP events,
// Updater answers and time: it must never overflow its queue, write more than it announced, or
// end one update twice.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/espota/device_session.h"

using namespace otakit::espota;

namespace {

struct Input {
  const uint8_t* data;
  size_t size;
  size_t pos = 0;
  uint8_t byte() { return pos < size ? data[pos++] : 0; }
  bool done() const { return pos >= size; }
};

bool fill_random(void* ctx, uint8_t* out, size_t len) {
  Input* in = static_cast<Input*>(ctx);
  for (size_t i = 0; i < len; ++i) out[i] = in->byte();
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in{data, size};
  DeviceConfig config;
  config.password_hash = (size > 0 && data[0] & 1) ? "21232f297a57a5a743894a0e4a801fc3" : nullptr;
  config.random = {&in, &fill_random};
  DeviceSession device(config);
  uint32_t now = 0;
  uint32_t announced = 0;
  uint32_t written = 0;
  bool running = false;
  uint8_t scratch[256];
  for (int step = 0; step < 400 && !in.done(); ++step) {
    uint8_t op = in.byte();
    otakit::proto::PeerAddress from;
    from.ip_length = 4;
    from.ip[3] = op & 3;
    from.port = 1000 + (op & 3);
    size_t len = in.byte();
    for (size_t i = 0; i < len; ++i) scratch[i] = in.byte();
    switch ((op >> 2) % 7) {
      case 0: device.on_datagram(from, scratch, len, now); break;
      case 1: device.on_tcp_data(scratch, len, now); break;
      case 2: device.on_tcp_connected(now); break;
      case 3: device.on_tcp_connect_failed(now); break;
      case 4: device.on_tcp_closed(now); break;
      default: now += static_cast<uint32_t>(len) * 97; device.on_tick(now); break;
    }
    DeviceEvent e;
    while (device.poll(&e)) {
      switch (e.action) {
        case DeviceAction::begin_update:
          if (running) __builtin_trap();  // one update at a time
          running = (in.byte() & 7) != 0;
          announced = e.size;
          written = 0;
          device.on_update_begun(running, "ERROR[4]: Not Enough Space", now);
          break;
        case DeviceAction::write_update: {
          if (!running) __builtin_trap();
          written += static_cast<uint32_t>(e.len);
          if (written > announced) __builtin_trap();
          bool ok = (in.byte() & 15) != 0;
          device.on_update_written(ok ? static_cast<uint32_t>(e.len) : 0, "ERROR[1]: Flash Write Failed", now);
          break;
        }
        case DeviceAction::end_update:
          if (!running || written != announced) __builtin_trap();
          device.on_update_ended((in.byte() & 3) != 0, "ERROR[7]: MD5 verification failed", now);
          break;
        case DeviceAction::finished:
          running = false;
          break;
        default:
          break;
      }
    }
    if (device.queue_overflowed()) __builtin_trap();
  }
  return 0;
}
