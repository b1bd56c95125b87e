// Constants and small value types of the espota push protocol (ArduinoOTA <-> espota.py), shared
// by the device and the host state machines. Wire strings are byte-exact with the original.
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <string.h>

namespace otakit::espota {

constexpr uint16_t kDefaultDevicePort = 8266;
constexpr uint32_t kChunkSize = 1460;  // espota.py's f.read(1460): one Ethernet TCP segment
constexpr size_t kMd5HexLength = 32;
constexpr size_t kNonceRandomBytes = 16;  // 128 bits from the driver's CSPRNG, sent as 32 hex digits
// No valid invitation or auth reply is longer than this; anything longer is dropped unread.
constexpr size_t kMaxRequestDatagram = 96;

enum class Command : uint16_t { flash = 0, filesystem = 100, auth = 200 };

// Device -> host UDP replies and TCP results (ArduinoOTA.cpp; no NUL, no newline unless shown).
inline constexpr char kReplyOk[] = "OK";
inline constexpr char kReplyAuthPrefix[] = "AUTH ";
inline constexpr char kReplyAuthFailed[] = "Authentication Failed";
inline constexpr char kReplyErrorPrefix[] = "ERR: ";
inline constexpr char kResultOk[] = "OK";

// An IPv4 or IPv6 address plus port, as plain bytes (the core has no socket types).
struct PeerAddress {
  uint8_t ip[16] = {};
  uint8_t ip_length = 0;  // 4 or 16; 0 = unset
  uint16_t port = 0;
};

inline bool same_host(const PeerAddress& a, const PeerAddress& b) {
  return a.ip_length == b.ip_length && memcmp(a.ip, b.ip, a.ip_length) == 0;
}
inline bool same_peer(const PeerAddress& a, const PeerAddress& b) {
  return same_host(a, b) && a.port == b.port;
}

// How much a diagnostic matters, for the driver's log (the core never writes logs itself).
enum class LogLevel : uint8_t { trace, debug, info, warn, error };

// Time is milliseconds from any origin, supplied by the driver; comparisons survive the
// 49-day wrap of a 32-bit millisecond counter (as on the ESP8266's millis()).
inline bool time_reached(uint32_t now_ms, uint32_t deadline_ms) {
  return static_cast<int32_t>(now_ms - deadline_ms) >= 0;
}

// The driver's cryptographically secure random generator. Returns false if it has no entropy.
struct RandomSource {
  void* ctx = nullptr;
  bool (*fill)(void* ctx, uint8_t* out, size_t len) = nullptr;
};

// A bounded FIFO of events for the sans-IO sessions; N covers the most events one input can cause.
template <typename Event, size_t N>
class EventQueue {
 public:
  void push(const Event& event) {
    if (count_ == N) {
      overflowed_ = true;  // a session bug; tests assert it never happens
      return;
    }
    items_[(head_ + count_) % N] = event;
    ++count_;
  }
  bool pop(Event* out) {
    if (count_ == 0) return false;
    *out = items_[head_];
    head_ = (head_ + 1) % N;
    --count_;
    return true;
  }
  size_t size() const { return count_; }
  bool overflowed() const { return overflowed_; }

 private:
  Event items_[N];
  size_t head_ = 0;
  size_t count_ = 0;
  bool overflowed_ = false;
};

}  // namespace otakit::espota
