// Reads the server's first record as it arrives, to learn what BearSSL does not keep: whether
// the ServerHello echoed the max_fragment_length extension, i.e. whether the server will keep its
// records short (RFC 6066 §4). The first byte also tells TLS from a server speaking something else.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace otakit::tls {

// Plain data: reset() before the first feed().
class ServerHelloScanner {
 public:
  void reset();
  // The server's bytes in order, in pieces of any size, from the first one on.
  void feed(const uint8_t* data, size_t len);

  bool not_tls() const { return not_tls_; }  // the first bytes are no TLS record header
  bool done() const { return state_ == State::done; }  // nothing more to learn
  // The whole ServerHello was read from the first record (not when that record is an alert,
  // or the message is malformed or continues in a second record).
  bool read_server_hello() const { return read_; }
  bool max_fragment_length_echoed() const { return read_ && mfln_echoed_; }

 private:
  // Each state reads a big-endian number of `need_` bytes, or skips `need_` bytes.
  enum class State : uint8_t {
    record_type, record_version, record_length, handshake_type, handshake_length, version_random,
    session_id_length, session_id, suite_compression, extensions_length, extension_type, extension_length,
    extension_body, done
  };

  void take(uint8_t c);
  void finish_field();
  void expect(State next, uint32_t bytes);
  void next_extension();

  State state_;
  uint32_t need_;
  uint32_t value_;
  uint32_t record_left_;      // bytes of the first record not seen yet
  uint32_t extensions_left_;  // bytes of the extensions block not seen yet
  uint16_t extension_type_;
  bool not_tls_;
  bool read_;
  bool mfln_echoed_;
};

}  // namespace otakit::tls
