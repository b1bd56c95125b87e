// ServerHello (RFC 5246 §7.4.1.3) in the first record: version, random, session id, suite,
// compression, then the extensions, each type, length, body. Anything unexpected ends the scan
// (done, nothing echoed): BearSSL itself checks the message and reports the real error.
#include "core/tls/server_hello_scanner.h"

namespace otakit::tls {
namespace {

constexpr uint8_t kHandshakeRecord = 22;
constexpr uint8_t kServerHello = 2;
constexpr uint16_t kMaxFragmentLengthExtension = 1;

bool is_record_type(uint8_t c) { return c >= 20 && c <= 23; }  // change_cipher_spec .. application_data

}  // namespace

void ServerHelloScanner::reset() {
  state_ = State::record_type;
  need_ = 1;
  value_ = 0;
  record_left_ = 0;
  extensions_left_ = 0;
  extension_type_ = 0;
  not_tls_ = false;
  read_ = false;
  mfln_echoed_ = false;
}

void ServerHelloScanner::feed(const uint8_t* data, size_t len) {
  for (size_t i = 0; i < len && state_ != State::done; i++) take(data[i]);
}

void ServerHelloScanner::expect(State next, uint32_t bytes) {
  state_ = next;
  need_ = bytes;
  value_ = 0;
  if (bytes == 0) finish_field();
}

void ServerHelloScanner::take(uint8_t c) {
  if (state_ > State::record_length) {
    if (record_left_ == 0) {  // the ServerHello goes on in another record: not worth following
      state_ = State::done;
      return;
    }
    record_left_--;
  }
  value_ = value_ << 8 | c;
  if (--need_ == 0) finish_field();
}

void ServerHelloScanner::finish_field() {
  switch (state_) {
    case State::record_type:
      not_tls_ = !is_record_type(uint8_t(value_));
      if (value_ != kHandshakeRecord) return expect(State::done, 0);
      return expect(State::record_version, 2);
    case State::record_version:
      if ((value_ >> 8) != 3) {
        not_tls_ = true;
        return expect(State::done, 0);
      }
      return expect(State::record_length, 2);
    case State::record_length:
      record_left_ = value_;
      return expect(State::handshake_type, 1);
    case State::handshake_type:
      if (value_ != kServerHello) return expect(State::done, 0);
      return expect(State::handshake_length, 3);
    case State::handshake_length: return expect(State::version_random, 2 + 32);
    case State::version_random: return expect(State::session_id_length, 1);
    case State::session_id_length: return expect(State::session_id, value_);
    case State::session_id: return expect(State::suite_compression, 2 + 1);
    case State::suite_compression:
      if (record_left_ == 0) {  // no extensions at all
        read_ = true;
        return expect(State::done, 0);
      }
      return expect(State::extensions_length, 2);
    case State::extensions_length:
      extensions_left_ = value_;
      return next_extension();
    case State::extension_type:
      extension_type_ = uint16_t(value_);
      return expect(State::extension_length, 2);
    case State::extension_length:
      if (extension_type_ == kMaxFragmentLengthExtension) mfln_echoed_ = true;
      if (value_ + 4 > extensions_left_) return expect(State::done, 0);
      extensions_left_ -= value_ + 4;
      return expect(State::extension_body, value_);
    case State::extension_body: return next_extension();
    case State::done: return;
  }
}

void ServerHelloScanner::next_extension() {
  if (extensions_left_ >= 4) return expect(State::extension_type, 2);
  read_ = extensions_left_ == 0;
  expect(State::done, 0);
}

}  // namespace otakit::tls
