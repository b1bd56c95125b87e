// TlsClient: the caller's buffer split for BearSSL, the trust mode's certificate check, and the
// engine's state flags turned into a connection state and an error the user can act on.
#include <string.h>

#include "core/tls/client_profile.h"
#include "core/tls/engine_io.h"
#include "core/tls/tls_client.h"

namespace otakit::tls {
namespace {

constexpr uint32_t kUnixEpochDays = 719528;  // 1970-01-01 counted from 0000-01-01, as BearSSL counts
constexpr uint32_t kSecondsPerDay = 86400;
constexpr size_t kMaxServerName = 255;

size_t copy_into(unsigned char* to, size_t room, const uint8_t* from, size_t len) {
  size_t n = len < room ? len : room;
  memcpy(to, from, n);
  return n;
}

}  // namespace

TlsClient::TlsClient(const TlsClientConfig& config, uint8_t* io_buffer, size_t io_buffer_size)
    : config_(config), buffer_(io_buffer), buffer_size_(io_buffer_size) {
  br_ssl_client_zero(&client_);
}

TlsError TlsClient::check_config(uint64_t unix_time_s, size_t entropy_len) const {
  const char* name = config_.server_name;
  if (name == nullptr || name[0] == '\0' || strlen(name) > kMaxServerName) return TlsError::missing_server_name;
  if (max_fragment_for(buffer_size_, config_.half_duplex) == 0) return TlsError::buffer_too_small;
  if (entropy_len < kEntropySize) return TlsError::not_enough_entropy;
  if (config_.mode == TrustMode::anchors) {
    if (config_.anchors == nullptr || config_.anchor_count == 0) return TlsError::no_trust_anchors;
    if (unix_time_s == 0) return TlsError::time_unknown;
  }
  return TlsError::ok;
}

bool TlsClient::start(uint64_t unix_time_s, const uint8_t* entropy, size_t entropy_len) {
  if (started_) return false;
  own_error_ = check_config(unix_time_s, entropy_len);
  if (own_error_ != TlsError::ok) return false;
  configure_client_profile(&client_);
  set_buffers();
  set_trust(unix_time_s);
  hello_.reset();
  br_ssl_engine_inject_entropy(engine(), entropy, entropy_len);
  started_ = true;
  if (!br_ssl_client_reset(&client_, config_.server_name, 0)) return false;
  track_state();
  return state() == TlsState::handshaking;
}

// BearSSL derives the fragment length it asks for from the input and output sizes, so each gets
// exactly the record size of the largest fragment that fits; what remains goes to input.
void TlsClient::set_buffers() {
  if (config_.half_duplex) {
    br_ssl_engine_set_buffer(engine(), buffer_, buffer_size_, 0);
    return;
  }
  size_t output = max_fragment_for(buffer_size_, false) + kOutputOverhead;
  br_ssl_engine_set_buffers_bidi(engine(), buffer_ + output, buffer_size_ - output, buffer_, output);
}

void TlsClient::set_trust(uint64_t unix_time_s) {
  if (config_.mode == TrustMode::anchors) {
    configure_chain_validation(&validator_.chain, config_.anchors, config_.anchor_count);
    br_x509_minimal_set_time(&validator_.chain, uint32_t(unix_time_s / kSecondsPerDay) + kUnixEpochDays,
                             uint32_t(unix_time_s % kSecondsPerDay));
    br_ssl_engine_set_x509(engine(), &validator_.chain.vtable);
  } else if (config_.mode == TrustMode::public_key_pin) {
    validator_.pinned.init(PinKind::public_key_sha256, config_.public_key_sha256);
    br_ssl_engine_set_x509(engine(), &validator_.pinned.vtable);
  } else {
    validator_.pinned.init(PinKind::certificate_sha1, config_.certificate_sha1);
    br_ssl_engine_set_x509(engine(), &validator_.pinned.vtable);
  }
}

void TlsClient::track_state() {
  unsigned flags = br_ssl_engine_current_state(engine());
  if (flags & (BR_SSL_SENDAPP | BR_SSL_RECVAPP)) established_ = true;
  // No flag at all: the engine can neither send nor receive. A malformed record gets it there
  // (half duplex: a close_notify inside a longer record holds the buffer BearSSL must answer in).
  if (flags == 0 && own_error_ == TlsError::ok) own_error_ = TlsError::handshake_failed;
}

size_t TlsClient::pending_output(const uint8_t** data) {
  *data = nullptr;
  return started_ && own_error_ == TlsError::ok ? engine_pending_records(engine(), data) : 0;
}

void TlsClient::output_sent(size_t n) {
  if (!started_ || n == 0) return;
  engine_records_sent(engine(), n);
  track_state();
}

size_t TlsClient::input_from_network(const uint8_t* data, size_t len) {
  if (!started_ || own_error_ != TlsError::ok) return 0;
  size_t used = 0;
  while (used < len) {
    size_t room = 0;
    unsigned char* buf = br_ssl_engine_recvrec_buf(engine(), &room);
    if (buf == nullptr) break;
    size_t n = copy_into(buf, room, data + used, len - used);
    if (!check_server_hello(data + used, n)) return used + n;
    br_ssl_engine_recvrec_ack(engine(), n);
    used += n;
    track_state();
  }
  return used;
}

// Two failures BearSSL would report later or less clearly: a server that speaks no TLS (BearSSL
// sees a version or length error), and one that did not accept MFLN. BearSSL streams the plaintext
// handshake records, so such a server completes the handshake and only the first encrypted record
// larger than the buffer fails, somewhere in the download; RFC 6066 lets it send 16 KB records.
bool TlsClient::check_server_hello(const uint8_t* data, size_t len) {
  if (hello_.done()) return true;
  hello_.feed(data, len);
  if (hello_.not_tls()) {
    own_error_ = TlsError::not_tls;
  } else if (hello_.read_server_hello() && mfln_requested() && !hello_.max_fragment_length_echoed()) {
    own_error_ = TlsError::fragment_too_large;
  }
  return own_error_ == TlsError::ok;
}

void TlsClient::network_closed() {
  if (!started_ || own_error_ != TlsError::ok) return;
  if (!(br_ssl_engine_current_state(engine()) & BR_SSL_CLOSED)) own_error_ = TlsError::connection_closed;
}

size_t TlsClient::write(const uint8_t* data, size_t len) {
  if (state() != TlsState::ready) return 0;
  size_t n = engine_write(engine(), data, len);
  track_state();
  return n;
}

void TlsClient::flush() {
  if (!started_) return;
  br_ssl_engine_flush(engine(), 0);
  track_state();
}

size_t TlsClient::readable(const uint8_t** data) {
  *data = nullptr;
  return started_ ? engine_readable(engine(), data) : 0;
}

void TlsClient::consumed(size_t n) {
  if (!started_ || n == 0) return;
  engine_consumed(engine(), n);
  track_state();
}

void TlsClient::close() {
  if (!started_) return;
  br_ssl_engine_close(engine());
  track_state();
}

TlsState TlsClient::state() const {
  if (own_error_ != TlsError::ok) return TlsState::failed;
  if (!started_) return TlsState::idle;
  return engine_state(&client_.eng, established_);
}

TlsError TlsClient::error() const {
  if (own_error_ != TlsError::ok) return own_error_;
  return started_ ? error_from_bearssl(br_ssl_engine_last_error(&client_.eng), config_.mode) : TlsError::ok;
}

int TlsClient::alert() const {
  int code = bearssl_error();
  return error_from_bearssl(code, config_.mode) == TlsError::alert_received ? code - BR_ERR_RECV_FATAL_ALERT : 0;
}

}  // namespace otakit::tls
