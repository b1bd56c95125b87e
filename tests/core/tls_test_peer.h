// The sans-IO TLS end under test (TlsClient or TlsServer) and an OpenSSL 3 peer (or a raw TCP
// peer) on the two ends of a loopback TCP connection, driven from one thread: each step moves
// whatever is ready both ways, and poll() waits, bounded, when nothing is. Every run has a time
// limit; nothing sleeps.
#pragma once
#include <openssl/ssl.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/tls/tls_client.h"
#include "core/tls/tls_server.h"
#include "tests/core/tls_test_pki.h"

namespace otakit::tls::testing {

// An SSL_CTX serving `identity`, sending `chain` after it (e.g. the CA, as many servers do).
class ServerContext {
 public:
  explicit ServerContext(const Identity& identity, const std::vector<const Identity*>& chain = {});
  ~ServerContext() { SSL_CTX_free(ctx_); }
  ServerContext(const ServerContext&) = delete;
  ServerContext& operator=(const ServerContext&) = delete;
  SSL_CTX* get() const { return ctx_; }

 private:
  SSL_CTX* ctx_;
};

// An OpenSSL 3 client's SSL_CTX, as curl sets one up: TLS 1.2 and 1.3 offered, the server's
// certificate checked against `trusted` for the host name (no check when trusted is null).
struct ClientSpec {
  const Identity* trusted = nullptr;
  std::string host = "localhost";
  std::string ciphers;  // TLS 1.2 suites in OpenSSL's names; empty: OpenSSL's default list
  int min_version = TLS1_2_VERSION;
  int max_version = 0;  // 0: the highest OpenSSL has (TLS 1.3)
  uint8_t max_fragment_length = 0;  // TLSEXT_max_fragment_length_512 ... _4096; 0: none asked
};

class ClientContext {
 public:
  explicit ClientContext(const ClientSpec& spec);
  ~ClientContext() { SSL_CTX_free(ctx_); }
  ClientContext(const ClientContext&) = delete;
  ClientContext& operator=(const ClientContext&) = delete;
  SSL_CTX* get() const { return ctx_; }
  const ClientSpec& spec() const { return spec_; }

 private:
  ClientSpec spec_;
  SSL_CTX* ctx_;
};

// TlsClient and TlsServer share these method names; the session drives either through this.
class SansIoEnd {
 public:
  virtual ~SansIoEnd() = default;
  virtual size_t pending_output(const uint8_t** data) = 0;
  virtual void output_sent(size_t n) = 0;
  virtual size_t input_from_network(const uint8_t* data, size_t len) = 0;
  virtual void network_closed() = 0;
  virtual size_t write(const uint8_t* data, size_t len) = 0;
  virtual void flush() = 0;
  virtual size_t readable(const uint8_t** data) = 0;
  virtual void consumed(size_t n) = 0;
  virtual TlsState state() const = 0;
};

template <class Tls>
class SansIoAdapter final : public SansIoEnd {
 public:
  explicit SansIoAdapter(Tls& tls) : tls_(tls) {}
  size_t pending_output(const uint8_t** data) override { return tls_.pending_output(data); }
  void output_sent(size_t n) override { tls_.output_sent(n); }
  size_t input_from_network(const uint8_t* data, size_t len) override { return tls_.input_from_network(data, len); }
  void network_closed() override { tls_.network_closed(); }
  size_t write(const uint8_t* data, size_t len) override { return tls_.write(data, len); }
  void flush() override { tls_.flush(); }
  size_t readable(const uint8_t** data) override { return tls_.readable(data); }
  void consumed(size_t n) override { tls_.consumed(n); }
  TlsState state() const override { return tls_.state(); }

 private:
  Tls& tls_;
};

// "ours" is the sans-IO end, "peer" the OpenSSL SSL object (server or client) or raw TCP.
class TlsLoopback {
 public:
  // peer null: raw TCP (peer_send() sends the bytes as they are).
  TlsLoopback(std::unique_ptr<SansIoEnd> ours, SSL_CTX* peer, bool peer_is_server);
  ~TlsLoopback();
  TlsLoopback(const TlsLoopback&) = delete;
  TlsLoopback& operator=(const TlsLoopback&) = delete;

  // Moves bytes until done() holds or limit_ms pass; returns done().
  bool run_until(const std::function<bool()>& done, int limit_ms = 5000);
  // Until ours is ready and OpenSSL has finished its side, or either failed.
  bool handshake_both();

  void ours_send(const std::string& plaintext) { ours_out_ += plaintext; }
  void peer_send(const std::string& bytes) { peer_out_ += bytes; }
  void peer_shutdown() { shutdown_wanted_ = true; }  // close_notify once everything is sent
  void peer_close_tcp() { close_wanted_ = true; }    // TCP close once everything is sent
  // Applied once to ours' first record (a ClientHello) before it goes on the wire.
  std::function<void(std::string&)> rewrite_first_record;

  const std::string& ours_received() const { return ours_in_; }
  const std::string& peer_received() const { return peer_in_; }
  bool peer_ready() const { return peer_ready_; }
  bool peer_failed() const { return peer_failed_; }
  bool peer_saw_close_notify() const { return peer_saw_close_notify_; }
  bool peer_saw_tcp_close() const { return peer_saw_tcp_close_; }
  // The largest record payload each side sent, read from the record headers on the wire.
  size_t largest_peer_record() const { return largest_record(peer_wire_); }
  size_t largest_ours_record() const { return largest_record(ours_wire_); }
  SSL* peer_ssl() const { return ssl_; }

 private:
  static size_t largest_record(const std::string& wire);
  bool step_ours();
  bool step_peer();
  bool step_raw_peer();
  bool peer_write();
  void wait(int timeout_ms);

  std::unique_ptr<SansIoEnd> ours_;
  SSL* ssl_ = nullptr;
  int ours_fd_ = -1;
  int peer_fd_ = -1;

  std::string ours_out_, ours_wire_out_, ours_wire_in_, ours_in_;
  bool first_record_rewritten_ = false;
  bool ours_eof_ = false, ours_eof_delivered_ = false;

  std::string peer_out_, peer_in_;
  bool peer_ready_ = false, peer_failed_ = false, peer_saw_close_notify_ = false, peer_saw_tcp_close_ = false;
  bool shutdown_wanted_ = false, shutdown_sent_ = false, close_wanted_ = false;
  std::string peer_wire_;  // every byte ours' socket received
  std::string ours_wire_;  // every byte ours sent
};

// The client tests: TlsClient against an OpenSSL server.
class LoopbackSession : public TlsLoopback {
 public:
  // server null: the peer is raw TCP (server_send() sends the bytes as they are).
  LoopbackSession(TlsClient& client, const ServerContext* server)
      : TlsLoopback(std::make_unique<SansIoAdapter<TlsClient>>(client), server ? server->get() : nullptr, true) {}
  bool handshake() { return handshake_both(); }
  void client_send(const std::string& plaintext) { ours_send(plaintext); }
  void server_send(const std::string& bytes) { peer_send(bytes); }
  void server_shutdown() { peer_shutdown(); }
  void server_close_tcp() { peer_close_tcp(); }
  std::function<void(std::string&)>& rewrite_client_hello = rewrite_first_record;
  const std::string& client_received() const { return ours_received(); }
  const std::string& server_received() const { return peer_received(); }
  bool server_ready() const { return peer_ready(); }
  bool server_failed() const { return peer_failed(); }
  bool server_saw_close_notify() const { return peer_saw_close_notify(); }
  size_t largest_server_record() const { return largest_peer_record(); }
};

// The server tests: TlsServer against an OpenSSL client (or raw TCP bytes).
class ServerSession : public TlsLoopback {
 public:
  // client null: the peer is raw TCP (client_send() sends the bytes as they are).
  ServerSession(TlsServer& server, const ClientContext* client);
  bool handshake() { return handshake_both(); }
  void server_send(const std::string& plaintext) { ours_send(plaintext); }
  void client_send(const std::string& bytes) { peer_send(bytes); }
  void client_shutdown() { peer_shutdown(); }
  void client_close_tcp() { peer_close_tcp(); }
  const std::string& server_received() const { return ours_received(); }
  const std::string& client_received() const { return peer_received(); }
  bool client_ready() const { return peer_ready(); }
  bool client_failed() const { return peer_failed(); }
  bool client_saw_close_notify() const { return peer_saw_close_notify(); }
  size_t largest_client_record() const { return largest_peer_record(); }
  size_t largest_server_record() const { return largest_ours_record(); }
  SSL* client_ssl() const { return peer_ssl(); }
  // The suite the OpenSSL client agreed, in OpenSSL's name ("ECDHE-ECDSA-CHACHA20-POLY1305").
  std::string client_cipher() const;
};

// Removes the max_fragment_length extension from a ClientHello record, fixing the lengths: the
// server then answers as one that does not support MFLN.
void strip_max_fragment_length(std::string& record);

}  // namespace otakit::tls::testing
