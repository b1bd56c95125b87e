// The device state machine driven by an arbitrary mix of datagrams from four hosts, TCP events,
// Updater answers and time: it must never overflow its queue, write more than it announced, end
// one update twice, or hold an update open outside the connecting and receiving states.
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

// An Updater whose answers come from the input, and which traps on any call out of order.
class CheckingSink final : public otakit::UpdateSink {
 public:
  explicit CheckingSink(Input& in) : in_(in) {}

  bool begin(uint32_t size, otakit::UpdateCommand, const char*) override {
    if (running_) __builtin_trap();  // one update at a time
    running_ = (in_.byte() & 7) != 0;
    announced_ = size;
    written_ = 0;
    message_ = "ERROR[4]: Not Enough Space";
    return running_;
  }
  uint32_t write(const uint8_t*, uint32_t len) override {
    if (!running_) __builtin_trap();
    written_ += len;
    if (written_ > announced_) __builtin_trap();
    if ((in_.byte() & 15) != 0) return len;
    running_ = false;
    message_ = "ERROR[1]: Flash Write Failed";
    return 0;
  }
  bool end() override {
    if (!running_ || written_ != announced_) __builtin_trap();
    running_ = false;
    message_ = "ERROR[7]: MD5 verification failed";
    return (in_.byte() & 3) != 0;
  }
  bool end_at_received() override { __builtin_trap(); }  // espota always announces its size
  void abort() override { running_ = false; }
  const char* error_message() const override { return message_; }

  bool running() const { return running_; }

 private:
  Input& in_;
  bool running_ = false;
  uint32_t announced_ = 0;
  uint32_t written_ = 0;
  const char* message_ = "";
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in{data, size};
  DeviceConfig config;
  config.password_hash = (size > 0 && data[0] & 1) ? "21232f297a57a5a743894a0e4a801fc3" : nullptr;
  config.random = {&in, &fill_random};
  CheckingSink sink(in);
  DeviceSession device(config, sink);
  uint32_t now = 0;
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
    }
    DeviceState state = device.state();
    bool open = state == DeviceState::connecting || state == DeviceState::receiving;
    if (device.queue_overflowed() || sink.running() != open) __builtin_trap();
  }
  return 0;
}
