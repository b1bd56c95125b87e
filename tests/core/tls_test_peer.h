// The TlsClient under test and an OpenSSL 3 server (or a raw TCP peer) on the two ends of a
// loopback TCP connection, driven from one thread: each step moves whatever is ready both ways,
// and poll() waits, bounded, when nothing is. Every run has a time limit; nothing sleeps.
#pragma once
#include <openssl/ssl.h>

#include <functional>
#include <string>
#include <vector>

#include "core/tls/tls_client.h"
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

class LoopbackSession {
 public:
  // server null: the peer is raw TCP (server_send() sends the bytes as they are).
  LoopbackSession(TlsClient& client, const ServerContext* server);
  ~LoopbackSession();
  LoopbackSession(const LoopbackSession&) = delete;
  LoopbackSession& operator=(const LoopbackSession&) = delete;

  // Moves bytes until done() holds or limit_ms pass; returns done().
  bool run_until(const std::function<bool()>& done, int limit_ms = 5000);
  // Until the client is ready and OpenSSL has finished its side, or either failed.
  bool handshake();

  void client_send(const std::string& plaintext) { client_out_ += plaintext; }
  void server_send(const std::string& bytes) { server_out_ += bytes; }
  void server_shutdown() { shutdown_wanted_ = true; }  // close_notify once everything is sent
  void server_close_tcp() { close_wanted_ = true; }    // TCP close once everything is sent
  // Applied once to the client's first record (the ClientHello) before it goes on the wire.
  std::function<void(std::string&)> rewrite_client_hello;

  const std::string& client_received() const { return client_in_; }
  const std::string& server_received() const { return server_in_; }
  bool server_ready() const { return server_ready_; }
  bool server_failed() const { return server_failed_; }
  bool server_saw_close_notify() const { return server_saw_close_notify_; }
  // The largest record payload the server sent, read from the record headers on the wire.
  size_t largest_server_record() const;

 private:
  bool step_client();
  bool step_server();
  bool step_raw_server();
  bool server_write();
  void wait(int timeout_ms);

  TlsClient& client_;
  SSL* ssl_ = nullptr;
  int client_fd_ = -1;
  int server_fd_ = -1;

  std::string client_out_, client_wire_out_, client_wire_in_, client_in_;
  bool client_hello_rewritten_ = false;
  bool client_eof_ = false, client_eof_delivered_ = false;

  std::string server_out_, server_in_;
  bool server_ready_ = false, server_failed_ = false, server_saw_close_notify_ = false;
  bool shutdown_wanted_ = false, shutdown_sent_ = false, close_wanted_ = false;
  std::string server_wire_;  // every byte the client's socket received
};

// Removes the max_fragment_length extension from a ClientHello record, fixing the lengths: the
// server then answers as one that does not support MFLN.
void strip_max_fragment_length(std::string& record);

}  // namespace otakit::tls::testing
