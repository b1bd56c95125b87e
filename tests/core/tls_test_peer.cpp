// LoopbackSession: a non-blocking socket pair from a listening socket on 127.0.0.1, the client
// side moved through TlsClient, the server side through OpenSSL's SSL object on its socket.
#include "tests/core/tls_test_peer.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <stdexcept>

namespace otakit::tls::testing {
namespace {

void set_nonblocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Connects two sockets through a listener on 127.0.0.1, port chosen by the kernel.
void connect_pair(int* client, int* server) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listener < 0 || bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listener, 1) != 0 || getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("loopback listener failed");
  }
  *client = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(*client, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw std::runtime_error("connect failed");
  *server = accept(listener, nullptr, nullptr);
  close(listener);
  if (*server < 0) throw std::runtime_error("accept failed");
  set_nonblocking(*client);
  set_nonblocking(*server);
}

void append(std::string& to, const uint8_t* data, size_t len) { to.append(reinterpret_cast<const char*>(data), len); }

}  // namespace

ServerContext::ServerContext(const Identity& identity, const std::vector<const Identity*>& chain)
    : ctx_(SSL_CTX_new(TLS_server_method())) {
  check(ctx_ != nullptr, "SSL_CTX_new");
  check(SSL_CTX_use_certificate(ctx_, identity.cert.get()) == 1, "SSL_CTX_use_certificate");
  check(SSL_CTX_use_PrivateKey(ctx_, identity.key.get()) == 1, "SSL_CTX_use_PrivateKey");
  for (const Identity* extra : chain) {
    check(SSL_CTX_add1_chain_cert(ctx_, extra->cert.get()) == 1, "SSL_CTX_add1_chain_cert");
  }
  SSL_CTX_set_mode(ctx_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
}

LoopbackSession::LoopbackSession(TlsClient& client, const ServerContext* server) : client_(client) {
  connect_pair(&client_fd_, &server_fd_);
  if (server != nullptr) {
    ssl_ = SSL_new(server->get());
    SSL_set_fd(ssl_, server_fd_);
    SSL_set_accept_state(ssl_);
  }
}

LoopbackSession::~LoopbackSession() {
  SSL_free(ssl_);
  if (client_fd_ >= 0) close(client_fd_);
  if (server_fd_ >= 0) close(server_fd_);
}

bool LoopbackSession::run_until(const std::function<bool()>& done, int limit_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(limit_ms);
  while (!done()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    bool moved = step_client();
    moved = (ssl_ ? step_server() : step_raw_server()) || moved;
    if (!moved) wait(int(std::min<long>(left.count(), 50)));
  }
  return true;
}

bool LoopbackSession::handshake() {
  return run_until([&] {
    TlsState state = client_.state();
    return (state == TlsState::ready && server_ready_) || state == TlsState::failed || state == TlsState::closed ||
           server_failed_;
  }) && client_.state() == TlsState::ready && server_ready_;
}

bool LoopbackSession::step_client() {
  bool moved = false;
  if (!client_out_.empty()) {
    size_t n = client_.write(reinterpret_cast<const uint8_t*>(client_out_.data()), client_out_.size());
    if (n > 0) {
      client_out_.erase(0, n);
      client_.flush();
      moved = true;
    }
  }
  const uint8_t* data;
  if (size_t n = client_.pending_output(&data); n > 0) {
    std::string record(reinterpret_cast<const char*>(data), n);
    if (!client_hello_rewritten_ && rewrite_client_hello) rewrite_client_hello(record);
    client_hello_rewritten_ = true;
    client_wire_out_ += record;
    client_.output_sent(n);
    moved = true;
  }
  if (!client_wire_out_.empty() && client_fd_ >= 0) {
    ssize_t sent = send(client_fd_, client_wire_out_.data(), client_wire_out_.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      client_wire_out_.erase(0, size_t(sent));
      moved = true;
    }
  }
  if (!client_eof_) {
    uint8_t buf[4096];
    ssize_t got = recv(client_fd_, buf, sizeof buf, 0);
    if (got > 0) {
      append(client_wire_in_, buf, size_t(got));
      append(server_wire_, buf, size_t(got));
      moved = true;
    } else if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
      client_eof_ = true;
    }
  }
  if (!client_wire_in_.empty()) {
    size_t used = client_.input_from_network(reinterpret_cast<const uint8_t*>(client_wire_in_.data()),
                                             client_wire_in_.size());
    client_wire_in_.erase(0, used);
    moved = moved || used > 0;
  }
  if (client_eof_ && client_wire_in_.empty() && !client_eof_delivered_) {
    client_.network_closed();
    client_eof_delivered_ = true;
    moved = true;
  }
  while (size_t n = client_.readable(&data)) {
    append(client_in_, data, n);
    client_.consumed(n);
    moved = true;
  }
  return moved;
}

bool LoopbackSession::step_server() {
  if (server_failed_ || server_fd_ < 0) return false;
  bool moved = false;
  ERR_clear_error();
  if (!server_ready_) {
    int r = SSL_do_handshake(ssl_);
    if (r == 1) {
      server_ready_ = true;
      moved = true;
    } else if (int e = SSL_get_error(ssl_, r); e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
      server_failed_ = true;
      return true;
    }
  }
  if (!server_ready_) return moved;
  char buf[4096];
  for (;;) {
    int r = SSL_read(ssl_, buf, sizeof buf);
    if (r <= 0) {
      if (SSL_get_error(ssl_, r) == SSL_ERROR_ZERO_RETURN && !server_saw_close_notify_) {
        server_saw_close_notify_ = true;
        moved = true;
      }
      break;
    }
    server_in_.append(buf, size_t(r));
    moved = true;
  }
  return server_write() || moved;
}

bool LoopbackSession::server_write() {
  bool moved = false;
  while (!server_out_.empty()) {
    int r = SSL_write(ssl_, server_out_.data(), int(server_out_.size()));
    if (r <= 0) break;
    server_out_.erase(0, size_t(r));
    moved = true;
  }
  if (!server_out_.empty()) return moved;
  if (shutdown_wanted_ && !shutdown_sent_) {
    SSL_shutdown(ssl_);
    shutdown_sent_ = true;
    moved = true;
  }
  if (close_wanted_) {
    close(server_fd_);
    server_fd_ = -1;
    moved = true;
  }
  return moved;
}

bool LoopbackSession::step_raw_server() {
  if (server_fd_ < 0) return false;
  bool moved = false;
  if (!server_out_.empty()) {
    ssize_t sent = send(server_fd_, server_out_.data(), server_out_.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      server_out_.erase(0, size_t(sent));
      moved = true;
    }
  }
  char buf[4096];
  ssize_t got = recv(server_fd_, buf, sizeof buf, 0);
  if (got > 0) {
    server_in_.append(buf, size_t(got));
    moved = true;
  }
  if (server_out_.empty() && close_wanted_) {
    close(server_fd_);
    server_fd_ = -1;
    moved = true;
  }
  return moved;
}

void LoopbackSession::wait(int timeout_ms) {
  pollfd fds[2];
  nfds_t count = 0;
  if (!client_eof_) fds[count++] = pollfd{client_fd_, short(POLLIN | (client_wire_out_.empty() ? 0 : POLLOUT)), 0};
  if (server_fd_ >= 0) fds[count++] = pollfd{server_fd_, POLLIN, 0};
  poll(fds, count, timeout_ms);
}

size_t LoopbackSession::largest_server_record() const {
  size_t largest = 0;
  for (size_t at = 0; at + 5 <= server_wire_.size();) {
    size_t len = size_t(uint8_t(server_wire_[at + 3])) << 8 | uint8_t(server_wire_[at + 4]);
    largest = std::max(largest, len);
    at += 5 + len;
  }
  return largest;
}

// ClientHello: record header (5), handshake header (4), version (2), random (32), session id,
// cipher suites, compression methods, extensions (RFC 5246 §7.4.1.2).
void strip_max_fragment_length(std::string& record) {
  auto u8 = [&](size_t at) { return size_t(uint8_t(record.at(at))); };
  auto u16 = [&](size_t at) { return u8(at) << 8 | u8(at + 1); };
  auto put16 = [&](size_t at, size_t v) {
    record[at] = char(v >> 8);
    record[at + 1] = char(v);
  };
  size_t at = 5 + 4 + 2 + 32;
  at += 1 + u8(at);   // session id
  at += 2 + u16(at);  // cipher suites
  at += 1 + u8(at);   // compression methods
  size_t extensions_at = at;
  size_t end = at + 2 + u16(at);
  for (at += 2; at + 4 <= end; at += 4 + u16(at + 2)) {
    if (u16(at) != 1) continue;  // max_fragment_length is extension 1
    size_t removed = 4 + u16(at + 2);
    record.erase(at, removed);
    put16(extensions_at, u16(extensions_at) - removed);
    size_t handshake_len = (u8(6) << 16 | u16(7)) - removed;
    record[6] = char(handshake_len >> 16);
    put16(7, handshake_len & 0xFFFF);
    put16(3, u16(3) - removed);
    return;
  }
  throw std::runtime_error("ClientHello has no max_fragment_length extension");
}

}  // namespace otakit::tls::testing
