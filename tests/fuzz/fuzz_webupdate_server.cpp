// The web updater driven by whatever clients send, split anywhere, over both connection slots,
// with accepts, peer closes and time. It traps on: a sink call out of order (a write after an
// abort or end, an end without a begin, a begin while one runs), a stage not followed at once by
// the success reply and the reboot, a reply that is not well formed (status line, one head per
// send, a body of exactly its Content-Length), bytes or a close for a connection that is not
// open, a started without a begin, a success without its started and stage, an overflowed queue,
// or on_data using nothing.
// Input: one byte of configuration, then steps (an op byte and its operands, see the switch).
// Canned fragments (op 2) let the fuzzer reach uploads without guessing whole heads.
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/webupdate/web_update_server.h"

using namespace otakit;
using namespace otakit::webupdate;

namespace {

struct Input {
  const uint8_t* data;
  size_t size;
  size_t pos = 0;
  uint8_t byte() { return pos < size ? data[pos++] : 0; }
  bool done() const { return pos >= size; }
};

class CheckingSink final : public UpdateSink {
 public:
  bool fail_begin = false;
  bool fail_end = false;

  bool begin(uint32_t size, UpdateCommand, const char* md5_hex) override {
    if (running_ || size == 0) __builtin_trap();
    // The md5 field as sent (the Updater judges it), but never longer than the 32 digits allowed.
    if (md5_hex != nullptr && strlen(md5_hex) > 32) __builtin_trap();
    if (fail_begin) return refuse("ERROR[4]: Not Enough Space");
    running_ = true;
    ++begun_;
    announced_ = size;
    written_ = 0;
    return true;
  }
  uint32_t write(const uint8_t*, uint32_t len) override {
    if (!running_ || len == 0) __builtin_trap();
    if (len > announced_ - written_) {  // as the Updater: too much data fails and drops the update
      running_ = false;
      refuse("ERROR[18]: More data than the announced size");
      return 0;
    }
    written_ += len;
    return len;
  }
  bool end() override { __builtin_trap(); }  // an upload's size is known only at its end
  bool end_at_received() override {
    if (!running_) __builtin_trap();
    running_ = false;
    if (fail_end || written_ == 0) return refuse("ERROR[10]: Magic byte is not 0xE9");
    ++staged_;
    return true;
  }
  void abort() override { running_ = false; }
  const char* error_message() const override { return error_; }

  bool running() const { return running_; }
  uint32_t written() const { return written_; }
  int begun() const { return begun_; }
  int staged() const { return staged_; }

 private:
  bool refuse(const char* text) {
    error_ = text;
    return false;
  }
  bool running_ = false;
  uint32_t announced_ = 0;
  uint32_t written_ = 0;
  int begun_ = 0;
  int staged_ = 0;
  const char* error_ = "";
};

struct Status final : StatusSource {
  DeviceStatus status;
  DeviceStatus device_status() override { return status; }
};

// What one connection has received: the body still owed by the last head.
struct Stream {
  bool open = false;
  uint32_t body_left = 0;
};

bool starts_with(const uint8_t* data, size_t len, const char* prefix) {
  size_t n = strlen(prefix);
  return len >= n && memcmp(data, prefix, n) == 0;
}

// A reply head: "HTTP/1.x ddd ", one blank line at its very end, a Content-Length unless 100.
void check_head(Stream* stream, const uint8_t* data, size_t len) {
  if (!starts_with(data, len, "HTTP/1.1 ") && !starts_with(data, len, "HTTP/1.0 ")) __builtin_trap();
  if (len < 17 || data[9] < '1' || data[9] > '5' || data[12] != ' ') __builtin_trap();
  for (int i = 10; i < 12; ++i)
    if (data[i] < '0' || data[i] > '9') __builtin_trap();
  for (size_t i = 0; i + 4 <= len; ++i)
    if (memcmp(data + i, "\r\n\r\n", 4) == 0 && i + 4 != len) __builtin_trap();
  if (memcmp(data + len - 4, "\r\n\r\n", 4) != 0) __builtin_trap();
  stream->body_left = 0;
  if (data[9] == '1') return;
  const char* field = "\r\nContent-Length: ";
  const size_t n = strlen(field);
  for (size_t i = 0; i + n < len; ++i) {
    if (memcmp(data + i, field, n) != 0) continue;
    uint32_t length = 0;
    for (size_t j = i + n; j < len && data[j] >= '0' && data[j] <= '9'; ++j) length = length * 10 + (data[j] - '0');
    stream->body_left = length;
    return;
  }
  __builtin_trap();
}

struct Driver {
  CheckingSink sink;
  Status status;
  WebUpdateServer server;
  Stream streams[WebUpdateServer::kConnections];
  // Events are drained after the call, when the sink may have moved on: they are checked against
  // its counts, not its state.
  int started = 0;
  int succeeded = 0;
  bool started_open = false;
  bool staged_seen = false;   // a successful finished, waiting for its reboot
  bool closed_after = false;  // and the close of its connection, which must come first

  explicit Driver(const ServerConfig& config) : server(config, sink, status) {}

  void drain() {
    ServerEvent e;
    while (server.poll(&e)) {
      if (e.action == ServerAction::send || e.action == ServerAction::close) {
        if (e.connection >= WebUpdateServer::kConnections || !streams[e.connection].open) __builtin_trap();
      }
      Stream& s = streams[e.connection % WebUpdateServer::kConnections];
      switch (e.action) {
        case ServerAction::send:
          if (e.data == nullptr || e.len == 0) __builtin_trap();
          // A HEAD answer owes no body, so a new head may follow one that announced a length.
          if (s.body_left > 0 && !starts_with(e.data, e.len, "HTTP/1.")) {
            if (e.len != s.body_left) __builtin_trap();
            s.body_left = 0;
          } else {
            check_head(&s, e.data, e.len);
          }
          break;
        case ServerAction::close:
          s = Stream{};
          closed_after = staged_seen;
          break;
        case ServerAction::started:
          if (started_open || ++started > sink.begun()) __builtin_trap();
          started_open = true;
          break;
        case ServerAction::finished:
          if (e.text == nullptr || e.text[0] == '\0') __builtin_trap();
          if (e.success && (!started_open || ++succeeded > sink.staged())) __builtin_trap();
          if (e.success) {
            staged_seen = true;
            closed_after = false;
          }
          started_open = false;
          break;
        case ServerAction::progress:  // drained after the call, when the sink may have ended
          if (e.done == 0 || e.done > sink.written()) __builtin_trap();
          break;
        case ServerAction::reboot:
          if (!staged_seen || !closed_after) __builtin_trap();
          staged_seen = false;
          break;
        case ServerAction::log:
          if (e.text == nullptr) __builtin_trap();
          break;
      }
    }
    if (server.queue_overflowed()) __builtin_trap();
    if (sink.running() && !server.uploading()) __builtin_trap();
  }

  // As a socket driver: hand over the rest after each answer until the server took everything
  // or closed the connection.
  void deliver(uint8_t slot, const uint8_t* data, size_t len, uint32_t now) {
    size_t used = 0;
    while (used < len && streams[slot].open) {
      const int staged_before = sink.staged();
      const size_t n = server.on_data(slot, data + used, len - used, now);
      if (n == 0 || n > len - used) __builtin_trap();
      used += n;
      drain();
      // The image is staged only with its answer: success reply, close and reboot, all at once.
      if (sink.staged() != staged_before && (staged_seen || streams[slot].open)) __builtin_trap();
    }
  }
};

constexpr const char* kFragments[] = {
    "POST /update HTTP/1.1\r\nHost: d\r\nContent-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: %u\r\n\r\n",
    "POST /update HTTP/1.1\r\nHost: d\r\nContent-Type: multipart/form-data; boundary=XyZ\r\n"
    "Transfer-Encoding: chunked\r\n\r\n",
    "POST /update HTTP/1.1\r\nHost: d\r\nAuthorization: Basic YWRtaW46c2VjcmV0\r\nExpect: 100-continue\r\n"
    "Content-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: %u\r\n\r\n",
    "--XyZ\r\nContent-Disposition: form-data; name=\"firmware\"; filename=\"f.bin\"\r\n\r\n",
    "--XyZ\r\nContent-Disposition: form-data; name=\"filesystem\"; filename=\"s.bin\"\r\n\r\n",
    "--XyZ\r\nContent-Disposition: form-data; name=\"md5\"\r\n\r\n0123456789abcdef0123456789abcdef\r\n",
    "\r\n--XyZ--\r\n",
    "\r\n--XyZ\r\n",
    "%x\r\n",
    "\r\n",
    "0\r\n\r\n",
    "GET /update HTTP/1.1\r\nHost: d\r\n\r\n",
    "HEAD /update?status HTTP/1.1\r\nHost: d\r\n\r\n",
    "OPTIONS /update HTTP/1.1\r\nHost: d\r\n\r\n",
    "GET /update HTTP/1.1\r\nHost: d\r\nAuthorization: Basic YWRtaW46c2VjcmV0\r\nContent-Length: %u\r\n\r\n",
    "Authorization: Basic YWRtaW46c2VjcmV0\r\n",
};
constexpr size_t kFragmentCount = sizeof(kFragments) / sizeof(kFragments[0]);

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in{data, size};
  const uint8_t flags = in.byte();
  ServerConfig config;
  if (flags & 1) {
    config.user = "admin";
    config.password = "secret";
  }
  config.idle_timeout_ms = 2000;
  config.head_timeout_ms = 3000;
  config.receive_timeout_ms = 4000;
  Driver driver(config);
  driver.status.status.free_space = (flags & 2) ? 300 : 1u << 20;
  driver.status.status.filesystem_size = (flags & 2) ? 200 : 1u << 16;
  driver.sink.fail_begin = (flags & 4) != 0;
  driver.sink.fail_end = (flags & 8) != 0;
  WebUpdateServer& server = driver.server;
  uint32_t now = uint32_t(flags >> 4) << 28;  // near the wrap of the 32-bit clock too
  uint8_t bytes[300];
  for (int step = 0; step < 400 && !in.done(); ++step) {
    const uint8_t op = in.byte();
    const uint8_t slot = (op >> 3) & 1;
    switch (op & 7) {
      case 0:
      case 1: {
        const size_t len = size_t(in.byte()) + 1;
        for (size_t i = 0; i < len; ++i) bytes[i] = in.byte();
        driver.deliver(slot, bytes, len, now);
        break;
      }
      case 2: {
        const uint32_t high = in.byte();  // two statements: the order of the reads matters
        const uint32_t number = high << 4 | (in.byte() & 15u);
        const int len = snprintf(reinterpret_cast<char*>(bytes), sizeof(bytes), kFragments[in.byte() % kFragmentCount],
                                 number);
        driver.deliver(slot, bytes, size_t(len), now);
        break;
      }
      case 3: {
        const uint8_t got = server.on_accept(now);
        driver.drain();
        if (got != WebUpdateServer::kNoSlot) {
          if (got >= WebUpdateServer::kConnections || driver.streams[got].open) __builtin_trap();
          driver.streams[got].open = true;
        }
        break;
      }
      case 4:
        if (!driver.streams[slot].open) break;  // a driver reports closes only of open sockets
        server.on_closed(slot, now);
        driver.streams[slot] = Stream{};
        driver.drain();
        break;
      case 5:
        now += uint32_t(in.byte()) * 64;
        server.on_tick(now);
        driver.drain();
        break;
      case 6: {
        uint32_t at = now;
        if (server.next_deadline(&at)) now = at;
        server.on_tick(now);
        driver.drain();
        break;
      }
      case 7:
        if (op & 0x80) {
          server.abandon();
          ServerEvent e;
          if (server.poll(&e) || driver.sink.running() || server.uploading()) __builtin_trap();
          for (Stream& s : driver.streams) s = Stream{};
          driver.started_open = driver.staged_seen = false;
          driver.started = driver.sink.begun();
          driver.succeeded = driver.sink.staged();
        } else {
          now += uint32_t(in.byte()) << 8;  // time passes without a tick
        }
        break;
    }
  }
  return 0;
}
