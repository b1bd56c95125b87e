// TlsLoopback: a non-blocking socket pair from a listening socket on 127.0.0.1, our side moved
// through TlsClient or TlsServer, the peer through OpenSSL's SSL object on its socket.
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

ClientContext::ClientContext(const ClientSpec& spec) : spec_(spec), ctx_(SSL_CTX_new(TLS_client_method())) {
  check(ctx_ != nullptr, "SSL_CTX_new");
  check(SSL_CTX_set_min_proto_version(ctx_, spec.min_version) == 1, "SSL_CTX_set_min_proto_version");
  check(SSL_CTX_set_max_proto_version(ctx_, spec.max_version) == 1, "SSL_CTX_set_max_proto_version");
  if (!spec.ciphers.empty()) check(SSL_CTX_set_cipher_list(ctx_, spec.ciphers.c_str()) == 1, "SSL_CTX_set_cipher_list");
  if (spec.max_fragment_length != 0) {
    check(SSL_CTX_set_tlsext_max_fragment_length(ctx_, spec.max_fragment_length) == 1, "max_fragment_length");
  }
  if (spec.trusted != nullptr) {
    X509_STORE* store = SSL_CTX_get_cert_store(ctx_);
    check(X509_STORE_add_cert(store, spec.trusted->cert.get()) == 1, "X509_STORE_add_cert");
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  }
  SSL_CTX_set_mode(ctx_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
}

TlsLoopback::TlsLoopback(std::unique_ptr<SansIoEnd> ours, SSL_CTX* peer, bool peer_is_server)
    : ours_(std::move(ours)) {
  connect_pair(&ours_fd_, &peer_fd_);
  if (peer != nullptr) {
    ssl_ = SSL_new(peer);
    SSL_set_fd(ssl_, peer_fd_);
    if (peer_is_server) {
      SSL_set_accept_state(ssl_);
    } else {
      SSL_set_connect_state(ssl_);
    }
  }
}

TlsLoopback::~TlsLoopback() {
  SSL_free(ssl_);
  if (ours_fd_ >= 0) close(ours_fd_);
  if (peer_fd_ >= 0) close(peer_fd_);
}

bool TlsLoopback::run_until(const std::function<bool()>& done, int limit_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(limit_ms);
  while (!done()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    bool moved = step_ours();
    moved = (ssl_ ? step_peer() : step_raw_peer()) || moved;
    if (!moved) wait(int(std::min<long>(left.count(), 50)));
  }
  return true;
}

bool TlsLoopback::handshake_both() {
  return run_until([&] {
    TlsState state = ours_->state();
    return (state == TlsState::ready && peer_ready_) || state == TlsState::failed || state == TlsState::closed ||
           peer_failed_;
  }) && ours_->state() == TlsState::ready && peer_ready_;
}

bool TlsLoopback::step_ours() {
  bool moved = false;
  if (!ours_out_.empty()) {
    size_t n = ours_->write(reinterpret_cast<const uint8_t*>(ours_out_.data()), ours_out_.size());
    if (n > 0) {
      ours_out_.erase(0, n);
      ours_->flush();
      moved = true;
    }
  }
  const uint8_t* data;
  if (size_t n = ours_->pending_output(&data); n > 0) {
    std::string record(reinterpret_cast<const char*>(data), n);
    if (!first_record_rewritten_ && rewrite_first_record) rewrite_first_record(record);
    first_record_rewritten_ = true;
    ours_wire_out_ += record;
    ours_wire_ += record;
    ours_->output_sent(n);
    moved = true;
  }
  if (!ours_wire_out_.empty() && ours_fd_ >= 0) {
    ssize_t sent = send(ours_fd_, ours_wire_out_.data(), ours_wire_out_.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      ours_wire_out_.erase(0, size_t(sent));
      moved = true;
    }
  }
  if (!ours_eof_) {
    uint8_t buf[4096];
    ssize_t got = recv(ours_fd_, buf, sizeof buf, 0);
    if (got > 0) {
      append(ours_wire_in_, buf, size_t(got));
      append(peer_wire_, buf, size_t(got));
      moved = true;
    } else if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
      ours_eof_ = true;
    }
  }
  if (!ours_wire_in_.empty()) {
    size_t used = ours_->input_from_network(reinterpret_cast<const uint8_t*>(ours_wire_in_.data()),
                                            ours_wire_in_.size());
    ours_wire_in_.erase(0, used);
    moved = moved || used > 0;
  }
  if (ours_eof_ && ours_wire_in_.empty() && !ours_eof_delivered_) {
    ours_->network_closed();
    ours_eof_delivered_ = true;
    moved = true;
  }
  while (size_t n = ours_->readable(&data)) {
    append(ours_in_, data, n);
    ours_->consumed(n);
    moved = true;
  }
  return moved;
}

bool TlsLoopback::step_peer() {
  if (peer_failed_ || peer_fd_ < 0) return false;
  bool moved = false;
  ERR_clear_error();
  if (!peer_ready_) {
    int r = SSL_do_handshake(ssl_);
    if (r == 1) {
      peer_ready_ = true;
      moved = true;
    } else if (int e = SSL_get_error(ssl_, r); e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
      peer_failed_ = true;
      return true;
    }
  }
  if (!peer_ready_) return moved;
  char buf[16384];
  for (;;) {
    int r = SSL_read(ssl_, buf, sizeof buf);
    if (r <= 0) {
      int e = SSL_get_error(ssl_, r);
      if (e == SSL_ERROR_ZERO_RETURN && !peer_saw_close_notify_) {
        peer_saw_close_notify_ = true;
        moved = true;
      } else if ((e == SSL_ERROR_SYSCALL || e == SSL_ERROR_SSL) && !peer_saw_tcp_close_) {
        peer_saw_tcp_close_ = true;  // EOF without close_notify, or a broken connection
        moved = true;
      }
      break;
    }
    peer_in_.append(buf, size_t(r));
    moved = true;
  }
  return peer_write() || moved;
}

bool TlsLoopback::peer_write() {
  bool moved = false;
  while (!peer_out_.empty()) {
    int r = SSL_write(ssl_, peer_out_.data(), int(peer_out_.size()));
    if (r <= 0) break;
    peer_out_.erase(0, size_t(r));
    moved = true;
  }
  if (!peer_out_.empty()) return moved;
  if (shutdown_wanted_ && !shutdown_sent_) {
    SSL_shutdown(ssl_);
    shutdown_sent_ = true;
    moved = true;
  }
  if (close_wanted_) {
    close(peer_fd_);
    peer_fd_ = -1;
    moved = true;
  }
  return moved;
}

bool TlsLoopback::step_raw_peer() {
  if (peer_fd_ < 0) return false;
  bool moved = false;
  if (!peer_out_.empty()) {
    ssize_t sent = send(peer_fd_, peer_out_.data(), peer_out_.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      peer_out_.erase(0, size_t(sent));
      moved = true;
    }
  }
  char buf[4096];
  ssize_t got = recv(peer_fd_, buf, sizeof buf, 0);
  if (got > 0) {
    peer_in_.append(buf, size_t(got));
    moved = true;
  } else if (got == 0 && !peer_saw_tcp_close_) {
    peer_saw_tcp_close_ = true;
    moved = true;
  }
  if (peer_out_.empty() && close_wanted_) {
    close(peer_fd_);
    peer_fd_ = -1;
    moved = true;
  }
  return moved;
}

void TlsLoopback::wait(int timeout_ms) {
  pollfd fds[2];
  nfds_t count = 0;
  if (!ours_eof_) fds[count++] = pollfd{ours_fd_, short(POLLIN | (ours_wire_out_.empty() ? 0 : POLLOUT)), 0};
  if (peer_fd_ >= 0 && !peer_saw_tcp_close_) fds[count++] = pollfd{peer_fd_, POLLIN, 0};
  poll(fds, count, timeout_ms);
}

size_t TlsLoopback::largest_record(const std::string& wire) {
  size_t largest = 0;
  for (size_t at = 0; at + 5 <= wire.size();) {
    size_t len = size_t(uint8_t(wire[at + 3])) << 8 | uint8_t(wire[at + 4]);
    largest = std::max(largest, len);
    at += 5 + len;
  }
  return largest;
}

ServerSession::ServerSession(TlsServer& server, const ClientContext* client)
    : TlsLoopback(std::make_unique<SansIoAdapter<TlsServer>>(server), client ? client->get() : nullptr, false) {
  if (client == nullptr) return;
  const std::string& host = client->spec().host;
  check(SSL_set_tlsext_host_name(client_ssl(), host.c_str()) == 1, "SSL_set_tlsext_host_name");
  if (client->spec().trusted != nullptr) check(SSL_set1_host(client_ssl(), host.c_str()) == 1, "SSL_set1_host");
}

std::string ServerSession::client_cipher() const {
  const SSL_CIPHER* cipher = SSL_get_current_cipher(client_ssl());
  return cipher ? SSL_CIPHER_get_name(cipher) : "";
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
