// A sans-IO TLS 1.2 server on BearSSL's engine, for the HTTPS upload page (the ESP8266 core's
// ESP8266HTTPUpdateServerSecure on BearSSL::WiFiServerSecure): the caller moves record bytes
// between it and an accepted TCP connection, and plaintext between it and the HTTP server. No
// socket, no random source and no heap: the buffer, the entropy, the certificate chain and the
// private key are the caller's. Method names and states are TlsClient's.
#pragma once
#include <bearssl_ssl.h>
#include <bearssl_x509.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tls/tls_buffer.h"
#include "core/tls/tls_error.h"
#include "core/tls/tls_state.h"

namespace otakit::tls {

// What the server presents: its certificate chain (DER, the server's own certificate first, then
// the intermediates that lead to the client's CA) and the private key of the first certificate,
// EC (P-256, P-384, P-521) or RSA. Used in place: the bytes must outlive every server using them
// (platform/posix/server_identity.h loads them from PEM files).
struct TlsServerIdentity {
  const br_x509_certificate* chain = nullptr;
  size_t chain_length = 0;
  const br_ec_private_key* ec_key = nullptr;    // exactly one of the two
  const br_rsa_private_key* rsa_key = nullptr;
};

struct TlsServerConfig {
  TlsServerIdentity identity;
  // One buffer for both directions (kTlsServerBufferHalfDuplex): half the RAM of the default,
  // but the server cannot send while a received record waits to be read. Enough for HTTP.
  bool half_duplex = false;
  // Optional session cache (e.g. a br_ssl_session_cache_lru, 100 bytes an entry) shared by the
  // connections of one server: a client that comes back, as a browser does with its second
  // connection, resumes without a new key exchange and signature. Used in place.
  const br_ssl_session_cache_class** session_cache = nullptr;
};

class TlsServer {
 public:
  // io_buffer (io_buffer_size bytes) holds the records and must outlive the server: at least
  // kTlsServerBufferSmall full duplex (the default kTlsServerBufferFull sends 16 KB records),
  // kTlsServerBufferHalfDuplex half duplex; see server_fragment_for().
  TlsServer(const TlsServerConfig& config, uint8_t* io_buffer, size_t io_buffer_size);
  TlsServer(const TlsServer&) = delete;
  TlsServer& operator=(const TlsServer&) = delete;

  // Waits for the ClientHello. entropy: at least kEntropySize unpredictable bytes, never reused
  // for another connection. False when the setup is wrong (error() says why).
  bool start(const uint8_t* entropy, size_t entropy_len);

  // Network side. Bytes to send on TCP (0 when none), and how many of them TCP took.
  size_t pending_output(const uint8_t** data);
  void output_sent(size_t n);
  // Bytes TCP received; returns how many the server took. It takes fewer when decrypted data
  // waits in readable(), or output in pending_output() (half duplex): move those, then offer
  // the rest again. Bytes that do not start a TLS handshake fail at once with not_tls.
  size_t input_from_network(const uint8_t* data, size_t len);
  // TCP is closed (EOF or reset). Without the client's close_notify that is connection_closed;
  // data decrypted before it stays readable. After a failure, send what pending_output() still
  // has (an alert) and close the TCP connection.
  void network_closed();

  // Application side. write() copies what fits into the next record (0 unless ready);
  // flush() closes the record so that pending_output() has it.
  size_t write(const uint8_t* data, size_t len);
  void flush();
  // Decrypted bytes (0 when none) and how many of them the application used.
  size_t readable(const uint8_t** data);
  void consumed(size_t n);
  // Sends close_notify (after what was written); state() becomes closed when the client's
  // close_notify has arrived. A client's close_notify is answered by BearSSL itself.
  void close();

  TlsState state() const;
  TlsError error() const;
  int bearssl_error() const { return started_ ? br_ssl_engine_last_error(&server_.eng) : 0; }
  // The alert number when error() is alert_received (describe_client_alert()), else 0.
  int alert() const;
  // The fatal alert the server sent when it gave up (40 handshake_failure: nothing in common
  // with the client; 70 protocol_version), else 0.
  int sent_alert() const;
  // The client's first bytes were a plain-text HTTP request ("GET /update HTTP/1.1"): the
  // driver may answer it in plain text with a hint to use https://.
  bool plain_http() const { return plain_http_; }

  // Figures for a bench and the log (after the handshake): the suite and version agreed, and the
  // fragment length of the server's records (smaller when the client asked for MFLN).
  uint16_t cipher_suite() const { return server_.eng.session.cipher_suite; }
  uint16_t version() const { return server_.eng.session.version; }
  size_t max_fragment_length() const { return server_.eng.max_frag_len; }
  // RAM of one connection: this object and its buffer.
  size_t ram_used() const { return sizeof(TlsServer) + buffer_size_; }

 private:
  TlsError check_config(size_t entropy_len) const;
  void set_buffers();
  void set_identity();
  bool check_first_bytes(const uint8_t* data, size_t len);
  void track_state();
  br_ssl_engine_context* engine() { return &server_.eng; }

  TlsServerConfig config_;
  uint8_t* buffer_;
  size_t buffer_size_;
  br_ssl_server_context server_;
  bool started_ = false;
  bool established_ = false;   // the handshake completed once
  bool first_byte_seen_ = false;
  bool plain_http_ = false;
  TlsError own_error_ = TlsError::ok;  // found by this class, not by BearSSL
};

}  // namespace otakit::tls
