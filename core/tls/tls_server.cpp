// TlsServer: the caller's buffer split for BearSSL (a full record in, the rest out), the chain and
// key handed to BearSSL's single-certificate policy, a check that the client speaks TLS at all,
// and the engine's state flags turned into a connection state and an error.

#include "core/tls/server_profile.h"
#include "core/tls/engine_io.h"
#include "core/tls/tls_server.h"

namespace otakit::tls {
namespace {

constexpr uint8_t kHandshakeRecord = 22;  // the type of a ClientHello's record (RFC 5246 §6.2.1)
constexpr uint8_t kSsl2HelloBit = 0x80;   // an SSL 2.0-format ClientHello starts with a length
constexpr int kAlertHandshakeFailure = 40;
constexpr int kAlertProtocolVersion = 70;

// "GET /", "POST /update", "OPTIONS *": an upper-case method token, then a space. A prefix of
// one (the first read may be short) counts as well.
bool looks_like_http(const uint8_t* data, size_t len) {
  size_t i = 0;
  while (i < len && i < 8 && data[i] >= 'A' && data[i] <= 'Z') i++;
  if (i == 0) return false;
  return i == len || data[i] == ' ';
}

}  // namespace

TlsServer::TlsServer(const TlsServerConfig& config, uint8_t* io_buffer, size_t io_buffer_size)
    : config_(config), buffer_(io_buffer), buffer_size_(io_buffer_size) {
  br_ssl_server_zero(&server_);
}

TlsError TlsServer::check_config(size_t entropy_len) const {
  const TlsServerIdentity& id = config_.identity;
  if (id.chain == nullptr || id.chain_length == 0 || (id.ec_key == nullptr) == (id.rsa_key == nullptr)) {
    return TlsError::missing_identity;
  }
  if (buffer_ == nullptr || server_fragment_for(buffer_size_, config_.half_duplex) == 0) {
    return TlsError::buffer_too_small;
  }
  if (entropy_len < kEntropySize) return TlsError::not_enough_entropy;
  return TlsError::ok;
}

bool TlsServer::start(const uint8_t* entropy, size_t entropy_len) {
  if (started_) return false;
  own_error_ = check_config(entropy_len);
  if (own_error_ != TlsError::ok) return false;
  configure_server_profile(&server_);
  set_identity();
  if (config_.session_cache != nullptr) br_ssl_server_set_cache(&server_, config_.session_cache);
  set_buffers();
  br_ssl_engine_inject_entropy(engine(), entropy, entropy_len);
  started_ = true;
  if (!br_ssl_server_reset(&server_)) return false;
  track_state();
  return state() == TlsState::handshaking;
}

// Input: exactly one full record, what a client without MFLN may send. Output: the rest, which
// BearSSL turns into its record size (the smaller of the two fragments that fit, so 16384 only
// with a full-size output).
void TlsServer::set_buffers() {
  if (config_.half_duplex) {
    br_ssl_engine_set_buffer(engine(), buffer_, buffer_size_, 0);
    return;
  }
  br_ssl_engine_set_buffers_bidi(engine(), buffer_, kServerInputSize, buffer_ + kServerInputSize,
                                 buffer_size_ - kServerInputSize);
}

// Signing only (BR_KEYTYPE_SIGN): the key signs the ECDHE parameters, which keeps the ECDHE
// suites of its type; no static ECDH and no RSA key exchange, which are not forward secret.
void TlsServer::set_identity() {
  const TlsServerIdentity& id = config_.identity;
  if (id.ec_key != nullptr) {
    // The issuer's key type matters only for static ECDH suites, which the profile has not.
    br_ssl_server_set_single_ec(&server_, id.chain, id.chain_length, id.ec_key, BR_KEYTYPE_SIGN, BR_KEYTYPE_EC,
                                br_ec_get_default(), br_ecdsa_sign_asn1_get_default());
  } else {
    br_ssl_server_set_single_rsa(&server_, id.chain, id.chain_length, id.rsa_key, BR_KEYTYPE_SIGN,
                                 br_rsa_private_get_default(), br_rsa_pkcs1_sign_get_default());
  }
}

void TlsServer::track_state() {
  unsigned flags = br_ssl_engine_current_state(engine());
  if (flags & (BR_SSL_SENDAPP | BR_SSL_RECVAPP)) established_ = true;
  // No flag at all: the engine can neither send nor receive (half duplex: a close_notify inside
  // a longer record holds the buffer BearSSL must answer in).
  if (flags == 0 && own_error_ == TlsError::ok) own_error_ = TlsError::handshake_failed;
}

size_t TlsServer::pending_output(const uint8_t** data) {
  *data = nullptr;
  return started_ && own_error_ == TlsError::ok ? engine_pending_records(engine(), data) : 0;
}

void TlsServer::output_sent(size_t n) {
  if (!started_ || n == 0) return;
  engine_records_sent(engine(), n);
  track_state();
}

size_t TlsServer::input_from_network(const uint8_t* data, size_t len) {
  if (!started_ || own_error_ != TlsError::ok) return 0;
  if (len > 0 && !check_first_bytes(data, len)) return len;
  size_t used = engine_take_records(engine(), data, len);
  track_state();
  return used;
}

// BearSSL would report a plain HTTP request as a bad version or length somewhere in its first
// record; the first byte already tells: a client's first record is a handshake record, or an
// SSL 2.0-format ClientHello (left to BearSSL).
bool TlsServer::check_first_bytes(const uint8_t* data, size_t len) {
  if (first_byte_seen_) return true;
  first_byte_seen_ = true;
  if (data[0] == kHandshakeRecord || (data[0] & kSsl2HelloBit) != 0) return true;
  own_error_ = TlsError::not_tls;
  plain_http_ = looks_like_http(data, len);
  return false;
}

void TlsServer::network_closed() {
  if (!started_ || own_error_ != TlsError::ok) return;
  if (!(br_ssl_engine_current_state(engine()) & BR_SSL_CLOSED)) own_error_ = TlsError::connection_closed;
}

size_t TlsServer::write(const uint8_t* data, size_t len) {
  if (state() != TlsState::ready) return 0;
  size_t n = engine_write(engine(), data, len);
  track_state();
  return n;
}

void TlsServer::flush() {
  if (!started_) return;
  br_ssl_engine_flush(engine(), 0);
  track_state();
}

size_t TlsServer::readable(const uint8_t** data) {
  *data = nullptr;
  return started_ ? engine_readable(engine(), data) : 0;
}

void TlsServer::consumed(size_t n) {
  if (!started_ || n == 0) return;
  engine_consumed(engine(), n);
  track_state();
}

void TlsServer::close() {
  if (!started_) return;
  br_ssl_engine_flush(engine(), 0);  // what was written goes out before the close_notify
  br_ssl_engine_close(engine());
  track_state();
}

TlsState TlsServer::state() const {
  if (own_error_ != TlsError::ok) return TlsState::failed;
  if (!started_) return TlsState::idle;
  return engine_state(&server_.eng, established_);
}

// BearSSL's server reports most disagreements as the alert it sent: handshake_failure when the
// client offers no suite (or curve) of the profile, protocol_version when no TLS 1.2.
TlsError TlsServer::error() const {
  if (own_error_ != TlsError::ok) return own_error_;
  if (!started_) return TlsError::ok;
  switch (sent_alert()) {
    case kAlertHandshakeFailure: return TlsError::no_common_cipher;
    case kAlertProtocolVersion: return TlsError::unsupported_version;
    default: return error_from_bearssl(br_ssl_engine_last_error(&server_.eng), TrustMode::anchors);
  }
}

int TlsServer::sent_alert() const {
  int code = bearssl_error();
  return code >= BR_ERR_SEND_FATAL_ALERT ? code - BR_ERR_SEND_FATAL_ALERT : 0;
}

int TlsServer::alert() const {
  int code = bearssl_error();
  return error_from_bearssl(code, TrustMode::anchors) == TlsError::alert_received ? code - BR_ERR_RECV_FATAL_ALERT : 0;
}

}  // namespace otakit::tls
