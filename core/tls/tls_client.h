// A sans-IO TLS 1.2 client on BearSSL's engine, for the HTTPS pull client: the caller moves
// record bytes between it and a TCP connection, and plaintext between it and the application.
// No socket, no clock, no random source and no heap: the buffer, the time and the entropy are
// the caller's.
#pragma once
#include <bearssl_ssl.h>
#include <bearssl_x509.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tls/pinned_certificate.h"
#include "core/tls/server_hello_scanner.h"
#include "core/tls/tls_buffer.h"
#include "core/tls/tls_error.h"
#include "core/tls/tls_state.h"

namespace otakit::tls {

struct TlsClientConfig {
  // Sent as SNI; in anchors mode also the name the certificate must be issued for (a DNS name:
  // BearSSL matches SAN dNSName entries, not IP addresses).
  const char* server_name = nullptr;
  TrustMode mode = TrustMode::anchors;
  // anchors: the CAs (the host builds them from a PEM file: platform/posix/trust_anchors.h).
  // They are used in place, so they must outlive the client.
  const br_x509_trust_anchor* anchors = nullptr;
  size_t anchor_count = 0;
  uint8_t public_key_sha256[kPublicKeyPinSize] = {};  // public_key_pin
  uint8_t certificate_sha1[kFingerprintSize] = {};    // sha1_fingerprint
  // One buffer for both directions: about half the RAM (tls_half_duplex_buffer_size), but the
  // client cannot send while received records wait to be read. Enough for HTTP.
  bool half_duplex = false;
};

class TlsClient {
 public:
  // io_buffer (io_buffer_size bytes) holds the records and must outlive the client. Its size
  // decides the maximum fragment length the client asks for (max_fragment_for()).
  TlsClient(const TlsClientConfig& config, uint8_t* io_buffer, size_t io_buffer_size);
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  // Begins the handshake; the ClientHello is then in pending_output(). unix_time_s is the time
  // certificate dates are checked at (anchors mode; 0 = unknown, which anchors mode refuses).
  // entropy: at least kEntropySize unpredictable bytes, never reused for another connection.
  bool start(uint64_t unix_time_s, const uint8_t* entropy, size_t entropy_len);

  // Network side. Bytes to send on TCP (0 when none), and how many of them TCP took.
  size_t pending_output(const uint8_t** data);
  void output_sent(size_t n);
  // Bytes TCP received; returns how many the client took. It takes fewer when decrypted data
  // waits in readable(), or output in pending_output() (half duplex): move those, then offer
  // the rest again.
  size_t input_from_network(const uint8_t* data, size_t len);
  // TCP is closed (EOF or reset). Without the server's close_notify that is a failure
  // (connection_closed); data decrypted before it stays readable. After a failure the
  // client sends nothing more: close the TCP connection.
  void network_closed();

  // Application side. write() copies what fits into the next record (0 unless ready);
  // flush() closes the record so that pending_output() has it.
  size_t write(const uint8_t* data, size_t len);
  void flush();
  // Decrypted bytes (0 when none) and how many of them the application used.
  size_t readable(const uint8_t** data);
  void consumed(size_t n);
  // Sends close_notify; state() becomes closed when the server's close_notify has arrived.
  void close();

  TlsState state() const;
  TlsError error() const;
  int bearssl_error() const { return started_ ? br_ssl_engine_last_error(&client_.eng) : 0; }
  // The alert number when error() is alert_received (RFC 5246 §7.2: 40 handshake_failure,
  // 42 bad_certificate, 70 protocol_version, 112 unrecognized_name, ...), else 0.
  int alert() const;

  // Figures for a bench (after start()): the fragment length the client uses and asked for, whether the
  // server accepted the request (false when none was sent: full-size buffer), the suite.
  // A server that does not accept it fails the handshake with fragment_too_large as soon as
  // its ServerHello arrives: it may send records of 16 KB, which the buffer cannot take.
  size_t max_fragment_length() const { return size_t(1) << client_.eng.log_max_frag_len; }
  bool mfln_requested() const { return client_.eng.log_max_frag_len < 14; }
  bool mfln_accepted() const { return mfln_requested() && hello_.max_fragment_length_echoed(); }
  uint16_t cipher_suite() const { return client_.eng.session.cipher_suite; }
  // RAM of one connection: this object and its buffer.
  size_t ram_used() const { return sizeof(TlsClient) + buffer_size_; }

 private:
  TlsError check_config(uint64_t unix_time_s, size_t entropy_len) const;
  void set_buffers();
  void set_trust(uint64_t unix_time_s);
  bool check_server_hello(const uint8_t* data, size_t len);
  void track_state();
  br_ssl_engine_context* engine() { return &client_.eng; }

  TlsClientConfig config_;
  uint8_t* buffer_;
  size_t buffer_size_;

  br_ssl_client_context client_;
  // Only one of them checks the server's certificate, as the mode says.
  union Validator {
    br_x509_minimal_context chain;
    PinnedCertificate pinned;
  } validator_;
  ServerHelloScanner hello_;

  bool started_ = false;
  bool established_ = false;  // the handshake completed once
  TlsError own_error_ = TlsError::ok;  // found by this class, not by BearSSL
};

}  // namespace otakit::tls
