// The pull client driven by whatever a server sends, in any split, mixed with connection events
// and time: it must never overflow its queue, write past the size it began the Updater with, end
// an update that is not whole, hold an update open once finished, finish twice per pull, or
// report progress past what the Updater took. A resume store is attached: a later start() may
// reopen the update from its record, which must then name a durable offset the sink reported,
// with that offset's digest; a pull that ends ok must leave no record behind.
// Input: one byte of configuration, then steps (op byte, and for data a length byte and bytes).
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/pull/pull_session.h"

using namespace otakit;
using namespace otakit::pull;

namespace {

struct Input {
  const uint8_t* data;
  size_t size;
  size_t pos = 0;
  uint8_t byte() { return pos < size ? data[pos++] : 0; }
  bool done() const { return pos >= size; }
};

// An Updater that traps on any call out of order.
class CheckingSink final : public UpdateSink {
 public:
  bool begin(uint32_t size, UpdateCommand, const char* md5_hex) override {
    if (running_ || size == 0) __builtin_trap();
    if (md5_hex != nullptr && strlen(md5_hex) != 32) __builtin_trap();
    running_ = true;
    announced_ = size;
    written_ = 0;
    return true;
  }
  uint32_t write(const uint8_t*, uint32_t len) override {
    if (!running_ || len == 0 || len > announced_ - written_) __builtin_trap();
    written_ += len;
    return len;
  }
  bool end() override {
    if (!running_ || written_ != announced_) __builtin_trap();
    running_ = false;
    return true;
  }
  bool end_at_received() override {
    if (!running_ || written_ == 0) __builtin_trap();
    running_ = false;
    return true;
  }
  void abort() override { running_ = false; }
  bool resume(uint32_t size, UpdateCommand, const char* md5_hex, uint32_t offset, const uint8_t* prefix) override {
    if (running_ || size == 0 || offset == 0 || offset % 4096 != 0 || offset >= size || prefix == nullptr)
      __builtin_trap();
    if (md5_hex != nullptr && strlen(md5_hex) != 32) __builtin_trap();
    uint8_t expected[32];
    digest_for(offset, expected);
    if (memcmp(prefix, expected, sizeof(expected)) != 0) __builtin_trap();
    running_ = true;
    announced_ = size;
    written_ = offset;
    return true;
  }
  uint32_t durable_offset() const override { return running_ ? written_ & ~4095u : 0; }
  bool durable_sha256(uint8_t* out) const override {
    if (durable_offset() == 0) return false;
    digest_for(durable_offset(), out);
    return true;
  }
  static void digest_for(uint32_t offset, uint8_t* out) {
    for (int i = 0; i < 32; ++i) out[i] = uint8_t((offset >> 12) + i);
  }
  const char* error_message() const override { return "ERROR[7]: MD5 verification failed"; }

  bool running() const { return running_; }
  uint32_t written() const { return written_; }

 private:
  bool running_ = false;
  uint32_t announced_ = 0;
  uint32_t written_ = 0;
};

// The record in RAM, encoded and checked as the flash store does it. (Not core's FuzzStore:
// core has no type info under -fno-rtti, which UBSan's vptr check needs.)
class FuzzStore final : public ResumeStore {
 public:
  bool load(ResumeRecord* out) override {
    uint32_t sequence = 0;
    return held_ && decode_resume_record(bytes_, out, &sequence) == ResumeSlot::record;
  }
  bool save(const ResumeRecord& record) override {
    if (!resume_record_plausible(record)) __builtin_trap();  // the session saves only what can be resumed
    encode_resume_record(record, 1, bytes_);
    held_ = true;
    return true;
  }
  bool clear() override {
    held_ = false;
    return true;
  }
  bool holds_record() const { return held_; }

 private:
  uint8_t bytes_[kResumeRecordSize] = {};
  bool held_ = false;
};

struct Tally {
  int finished = 0;
  int started = 0;
};

void check_events(PullSession& session, const CheckingSink& sink, FuzzStore& store, Tally* tally) {
  PullEvent e;
  while (session.poll(&e)) {
    if (tally->finished > 0) __builtin_trap();  // nothing after finished
    switch (e.action) {
      case PullAction::finished:
        ++tally->finished;
        if (e.result == PullResult::failed && e.error == 0) __builtin_trap();
        if (e.result == PullResult::ok && store.holds_record()) __builtin_trap();
        if (e.error_text == nullptr || e.message == nullptr) __builtin_trap();
        break;
      case PullAction::started:
        if (++tally->started > 1) __builtin_trap();
        break;
      case PullAction::progress:
        if (e.done > sink.written() || (e.total != 0 && e.done > e.total)) __builtin_trap();
        break;
      case PullAction::connect:
        if (e.host == nullptr || e.host[0] == '\0' || e.port == 0) __builtin_trap();
        break;
      case PullAction::send:
        if (e.data == nullptr || e.len == 0) __builtin_trap();
        break;
      case PullAction::close:
      case PullAction::log:
        break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in{data, size};
  uint8_t flags = in.byte();
  PullConfig config;
  config.url = (flags & 0x80) ? "https://u:p@[fe80::1]:8443/fw.bin?x=1" : "http://updates.example/fw.bin";
  config.device.free_space = 1u << 16;
  config.device.chip_size = 1u << 20;
  config.mode = http::UpdateMode((flags & 3) % 3);
  config.fs_size = (flags & 4) ? 1u << 15 : 0;
  config.redirects = RedirectPolicy((flags >> 3) % 3);
  config.redirect_limit = 3;
  config.max_resumes = (flags & 0x20) ? 2 : 0;
  config.md5 = (flags & 0x40) ? "0123456789abcdef0123456789abcdef" : nullptr;
  config.overall_timeout_ms = 100000;
  FuzzStore store;
  config.resume_store = &store;
  CheckingSink sink;
  PullSession session(config, sink);
  uint32_t now = 0;
  Tally tally;
  session.start(now);
  uint8_t bytes[256];
  for (int step = 0; step < 600 && !in.done(); ++step) {
    uint8_t op = in.byte();
    switch (op % 8) {
      case 3: session.on_connected(now); break;
      case 4: session.on_connect_failed(now); break;
      case 5: session.on_closed(now); break;
      case 6:
        now += uint32_t(in.byte()) * 250;
        session.on_tick(now);
        break;
      case 7:
        if (op & 0x80) {
          session.abandon();
          if (sink.running()) __builtin_trap();
        }
        if (session.start(now)) tally = Tally{};
        break;
      default: {
        size_t len = size_t(in.byte()) + 1;
        for (size_t i = 0; i < len; ++i) bytes[i] = in.byte();
        session.on_data(bytes, len, now);
        break;
      }
    }
    check_events(session, sink, store, &tally);
    PullState state = session.state();
    bool may_hold_update = state == PullState::reading_body || state == PullState::resume_waiting ||
                           state == PullState::connecting || state == PullState::reading_head;
    if (session.queue_overflowed() || (sink.running() && !may_hold_update)) __builtin_trap();
    if ((state == PullState::done) != (tally.finished == 1)) __builtin_trap();
  }
  return 0;
}
