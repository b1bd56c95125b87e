#include "net/http_update_server.h"

#include <array>
#include <cctype>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <deque>
#include <stdexcept>
#include <system_error>
#include <unordered_map>

#include "net/espota_asio.h"

namespace otakit::net {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using webupdate::ServerAction;
using webupdate::ServerEvent;
using webupdate::WebUpdateServer;

namespace {

// The TLS server of one HTTPS connection and its record buffer.
struct TlsSession {
  TlsSession(const tls::TlsServerConfig& config, size_t buffer_size)
      : buffer(buffer_size), server(config, buffer.data(), buffer.size()), half_duplex(config.half_duplex) {}
  std::vector<uint8_t> buffer;
  tls::TlsServer server;
  bool half_duplex;
  bool close_sent = false;  // close_notify is queued (or TLS is over): nothing more goes out
};

// "Host: 192.168.4.1:8443" of a plain request's first bytes, when it is a plain host name.
std::string host_of(const uint8_t* data, size_t len) {
  const std::string head(reinterpret_cast<const char*>(data), len);
  size_t at = head.find("\r\nHost: ");
  if (at == std::string::npos) at = head.find("\r\nhost: ");
  if (at == std::string::npos) return "";
  at += 8;
  const size_t end = head.find("\r\n", at);
  if (end == std::string::npos || end - at > 255) return "";
  std::string host = head.substr(at, end - at);
  for (char c : host)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != ':' && c != '[' && c != ']')
      return "";
  return host;
}

// One accepted connection: reads handed to the owner, a queue of writes, and a graceful close
// that sends everything, shuts down our side and waits (bounded) for the client to close, so a
// reply is never lost to a reset. With TLS, the owner sees plaintext both ways: what arrives is
// decrypted before it is handed on, what is sent goes out as records, and the close begins with
// close_notify.
class WebConnection : public std::enable_shared_from_this<WebConnection> {
 public:
  struct Events {
    std::function<void(WebConnection*, const uint8_t*, size_t)> data;
    std::function<void(WebConnection*)> closed;     // the peer closed or the connection broke
    std::function<void(WebConnection*)> tls_ended;  // TLS failed or the client's close_notify came:
                                                    // free the slot; the connection closes itself
    std::function<void(WebConnection*)> done;       // our side is fully closed
  };

  WebConnection(asio::io_context& io, tcp::socket socket, Clock& clock, uint32_t linger_ms, Events events,
                std::unique_ptr<TlsSession> tls, Logger log)
      : socket_(std::move(socket)),
        linger_(clock.make_timer(io)),
        linger_ms_(linger_ms),
        events_(std::move(events)),
        tls_(std::move(tls)),
        log_(std::move(log)) {
    error_code ec;
    auto remote = socket_.remote_endpoint(ec);
    peer_ = ec ? "a client" : remote.address().to_string() + ":" + std::to_string(remote.port());
  }

  void start() { read(); }

  void send(const uint8_t* data, size_t len) {
    if (finished_ || closing_) return;
    if (!tls_) return queue_wire(data, len);
    plain_out_.append(reinterpret_cast<const char*>(data), len);
    encrypt_pending();
  }

  void close_after_flush() {
    if (finished_ || closing_) return;
    closing_ = true;
    if (peer_closed_) return finish();
    if (tls_) encrypt_pending();  // close_notify follows the last plaintext
    if (drained()) shutdown_and_linger();
  }

  void abort() { finish(); }

 private:
  void read() {
    socket_.async_read_some(asio::buffer(buffer_), [self = shared_from_this()](const error_code& error, size_t n) {
      if (self->finished_) return;
      if (n > 0) self->received(self->buffer_.data(), n);
      if (self->finished_) return;
      if (error) return self->on_peer_closed();
      self->read();
    });
  }

  // After our close only the client's end is awaited: what it still sends is dropped (with TLS,
  // after decryption, which keeps a half-duplex buffer moving and hears its close_notify).
  void received(const uint8_t* data, size_t n) {
    if (!tls_) {
      if (!closing_) events_.data(this, data, n);
      return;
    }
    tls::TlsServer& server = tls_->server;
    size_t used = 0;
    for (;;) {
      used += server.input_from_network(data + used, n - used);
      bool moved = pump_records();
      moved = deliver_plaintext() || moved;
      if (finished_) return;
      const bool over = server.state() == tls::TlsState::failed || server.state() == tls::TlsState::closed;
      if (over && !tls_->close_sent && !closing_) return tls_over(data, n);
      if (over && closing_) {
        tls_->close_sent = true;  // the client answered our close_notify, or gave up: nothing more
        if (drained()) shutdown_and_linger();
      }
      if (!over) encrypt_pending();  // half duplex: what waited for the buffer
      if (over || used == n) return;
      if (!moved) {  // the engine takes nothing and gives nothing: it cannot go on
        log_.warn("web update: TLS with {} stalled; the connection is closed", peer_);
        tls_->close_sent = true;
        return events_.tls_ended(this);
      }
    }
  }

  // Decrypted bytes to the owner, which may send, or close this connection, meanwhile. Half
  // duplex, a reply reuses the buffer the bytes are in: they are copied out first.
  bool deliver_plaintext() {
    bool moved = false;
    const uint8_t* plain = nullptr;
    while (!finished_) {
      size_t len = tls_->server.readable(&plain);
      if (len == 0) break;
      moved = true;
      if (closing_) {
        tls_->server.consumed(len);
      } else if (tls_->half_duplex) {
        std::string copy(reinterpret_cast<const char*>(plain), len);
        tls_->server.consumed(len);
        events_.data(this, reinterpret_cast<const uint8_t*>(copy.data()), copy.size());
      } else {
        events_.data(this, plain, len);
        tls_->server.consumed(len);
      }
    }
    return moved;
  }

  // Plaintext into records, records onto the write queue; close_notify once closing and drained.
  void encrypt_pending() {
    tls::TlsServer& server = tls_->server;
    if (server.state() != tls::TlsState::ready) plain_out_.clear();  // nothing can carry it any more
    while (!plain_out_.empty()) {
      size_t n = server.write(reinterpret_cast<const uint8_t*>(plain_out_.data()), plain_out_.size());
      if (n == 0) {
        server.flush();
        if (!pump_records()) break;  // half duplex: the buffer holds a record being received
        continue;
      }
      plain_out_.erase(0, n);
    }
    server.flush();
    if (closing_ && plain_out_.empty() && !tls_->close_sent) {
      if (server.state() == tls::TlsState::ready || server.state() == tls::TlsState::handshaking) server.close();
      tls_->close_sent = true;
    }
    pump_records();
    if (closing_ && drained()) shutdown_and_linger();
  }

  // Every record ready goes out in one write: a handshake flight is four records, and as four
  // segments the later ones would wait for the client's (delayed) ACK of the first.
  bool pump_records() {
    std::string records;
    const uint8_t* record = nullptr;
    while (size_t len = tls_->server.pending_output(&record)) {
      records.append(reinterpret_cast<const char*>(record), len);
      tls_->server.output_sent(len);
    }
    if (records.empty()) return false;
    queue_wire(reinterpret_cast<const uint8_t*>(records.data()), records.size());
    return true;
  }

  bool drained() const { return queue_.empty() && (!tls_ || tls_->close_sent); }

  // The TLS session is over before the HTTP one: a failure (said in the log, and a plain-text
  // answer to a plain HTTP request), or the client's close_notify (BearSSL has answered it).
  void tls_over(const uint8_t* first_bytes, size_t len) {
    tls::TlsServer& server = tls_->server;
    tls_->close_sent = true;
    if (server.state() == tls::TlsState::failed) {
      if (server.plain_http()) {
        answer_plain_http(first_bytes, len);
      } else if (server.error() == tls::TlsError::alert_received) {
        log_.warn("web update: TLS with {} failed: the client sent alert {} ({}): {}", peer_, server.alert(),
                  tls::alert_name(server.alert()), tls::describe_client_alert(server.alert()));
      } else if (server.error() == tls::TlsError::connection_closed) {
        log_.info("web update: TLS with {}: {}", peer_, tls::describe_from_server(server.error()));
      } else {
        log_.warn("web update: TLS with {} failed: {} (BearSSL error {})", peer_,
                  tls::describe_from_server(server.error()), server.bearssl_error());
      }
    }
    events_.tls_ended(this);
  }

  void answer_plain_http(const uint8_t* first_bytes, size_t len) {
    std::string host = host_of(first_bytes, len);
    if (host.empty()) {
      error_code ec;
      auto local = socket_.local_endpoint(ec);
      host = ec ? "<device>" : local.address().to_string() + ":" + std::to_string(local.port());
    }
    const std::string body = "This port serves the update page over HTTPS only: use https://" + host + "/\n";
    const std::string reply = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    queue_wire(reinterpret_cast<const uint8_t*>(reply.data()), reply.size());
    log_.warn("web update: plain HTTP from {} on the HTTPS port: answered 400 (the URL must start with https://)",
              peer_);
  }

  void queue_wire(const uint8_t* data, size_t len) {
    if (finished_) return;
    queue_.emplace_back(reinterpret_cast<const char*>(data), len);
    if (queue_.size() == 1) write_next();
  }

  void write_next() {
    asio::async_write(socket_, asio::buffer(queue_.front()), [self = shared_from_this()](const error_code& error, size_t) {
      if (self->finished_) return;
      self->queue_.pop_front();
      if (error) return self->on_peer_closed();
      if (!self->queue_.empty()) return self->write_next();
      if (self->closing_ && self->drained()) self->shutdown_and_linger();
    });
  }

  void on_peer_closed() {
    peer_closed_ = true;
    if (tls_) tls_->server.network_closed();
    if (closing_) return finish();
    events_.closed(this);
  }

  void shutdown_and_linger() {
    if (shutdown_) return;
    shutdown_ = true;
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    linger_->start_after(linger_ms_, [self = shared_from_this()] { self->finish(); });
  }

  void finish() {
    if (finished_) return;
    auto keep_alive = shared_from_this();
    finished_ = true;
    error_code ignored;
    linger_->cancel();
    socket_.close(ignored);
    queue_.clear();
    if (events_.done) events_.done(this);
  }

  tcp::socket socket_;
  std::unique_ptr<Timer> linger_;
  uint32_t linger_ms_;
  Events events_;
  std::unique_ptr<TlsSession> tls_;  // null: plain HTTP
  Logger log_;
  std::string peer_;
  // HTTP_UPLOAD_BUFLEN: the original hands the Updater 2 KiB at a time.
  std::array<uint8_t, 2048> buffer_{};
  std::deque<std::string> queue_;
  std::string plain_out_;  // TLS: plaintext not yet in a record
  bool closing_ = false;
  bool shutdown_ = false;
  bool peer_closed_ = false;
  bool finished_ = false;
};

// The server's view of the running image, kept in strings for as long as the reply is built.
class StatusAdapter final : public webupdate::StatusSource {
 public:
  explicit StatusAdapter(std::function<WebDeviceStatus()> read) : read_(std::move(read)) {}
  webupdate::DeviceStatus device_status() override {
    if (read_) last_ = read_();
    webupdate::DeviceStatus status;
    status.hostname = last_.hostname.c_str();
    status.version = last_.version.c_str();
    status.md5 = last_.md5.c_str();
    status.sketch_size = last_.sketch_size;
    status.free_space = last_.free_space;
    status.filesystem_size = last_.filesystem_size;
    status.chip_id = last_.chip_id;
    status.boots = last_.boots;
    status.on_trial = last_.on_trial;
    return status;
  }

 private:
  std::function<WebDeviceStatus()> read_;
  WebDeviceStatus last_;
};

webupdate::ServerConfig make_config(const HttpUpdateServerOptions& options) {
  webupdate::ServerConfig config;
  config.path = options.path.c_str();
  config.user = options.user.c_str();
  config.password = options.password.c_str();
  config.idle_timeout_ms = options.idle_timeout_ms;
  config.head_timeout_ms = options.head_timeout_ms;
  config.receive_timeout_ms = options.receive_timeout_ms;
  return config;
}

}  // namespace

class HttpUpdateServer::Impl : public std::enable_shared_from_this<HttpUpdateServer::Impl> {
 public:
  Impl(asio::io_context& io, Clock& clock, const HttpUpdateServerOptions& options, UpdateSink& sink)
      : io_(io),
        clock_(clock),
        options_(options),
        acceptor_(io),
        timer_(clock.make_timer(io)),
        status_(options_.status),
        server_(make_config(options_), sink, status_) {
    error_code ec;
    bind_address_ = asio::ip::make_address(options.bind_address, ec);
    if (ec) throw std::invalid_argument("web update: '" + options.bind_address + "' is not an IP address to bind to");
    if (options_.https) set_up_tls(*options_.https);
  }

  void start() {
    tcp::endpoint local(bind_address_, options_.port);
    error_code ec;
    acceptor_.open(local.protocol(), ec);
    if (!ec) set_close_on_exec(acceptor_.native_handle());
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(local, ec);
    if (!ec) acceptor_.listen(8, ec);
    if (ec) {
      throw std::system_error(ec, "web update: cannot listen on TCP " + options_.bind_address + ":" +
                                      std::to_string(options_.port) + " (in use, or not an address of this host)");
    }
    options_.log.info("web update: page at {}://{}:{}{}{}", options_.https ? "https" : "http", options_.bind_address,
                      local_port(), options_.path,
                      options_.user.empty() || options_.password.empty() ? "" : " (Basic auth)");
    accept();
  }

  void stop() {
    if (stopped_) return;
    stopped_ = true;
    error_code ignored;
    acceptor_.close(ignored);
    timer_->cancel();
    server_.abandon();  // a begun upload must not stay half-written in the Updater
    auto connections = std::move(slots_);
    for (auto& [connection, slot] : connections) connection->abort();
    for (auto& lingering : closing_) lingering->abort();
    closing_.clear();
  }

  uint16_t local_port() const {
    error_code ec;
    auto endpoint = acceptor_.local_endpoint(ec);
    return ec ? 0 : endpoint.port();
  }
  bool uploading() const { return server_.uploading(); }
  void set_hooks(HttpUpdateHooks hooks) { hooks_ = std::move(hooks); }

 private:
  void set_up_tls(const HttpsOptions& https) {
    if (!https.identity || https.identity->chain == nullptr || https.identity->chain_length == 0 ||
        (https.identity->ec_key == nullptr) == (https.identity->rsa_key == nullptr)) {
      throw std::invalid_argument("web update: HTTPS needs a certificate chain and one private key");
    }
    if (tls::server_fragment_for(https.buffer_size, https.half_duplex) == 0) {
      throw std::invalid_argument("web update: a TLS buffer of " + std::to_string(https.buffer_size) + " bytes is " +
                                  "too small: " + tls::describe_from_server(tls::TlsError::buffer_too_small));
    }
    tls_config_.identity = *https.identity;
    tls_config_.half_duplex = https.half_duplex;
    if (https.session_cache_entries > 0) {
      session_store_.resize(https.session_cache_entries * kSessionEntrySize);
      br_ssl_session_cache_lru_init(&session_cache_, session_store_.data(), session_store_.size());
      tls_config_.session_cache = &session_cache_.vtable;
    }
  }

  // A started TLS server for a new connection; null (and a line in the log) without entropy.
  std::unique_ptr<TlsSession> new_tls_session() {
    auto session = std::make_unique<TlsSession>(tls_config_, options_.https->buffer_size);
    uint8_t entropy[tls::kEntropySize];
    if (!fill_secure_random(nullptr, entropy, sizeof entropy) || !session->server.start(entropy, sizeof entropy)) {
      options_.log.error("web update: cannot start TLS for a connection: {}",
                         tls::describe_from_server(session->server.error()));
      return nullptr;
    }
    return session;
  }

  void accept() {
    acceptor_.async_accept([self = shared_from_this()](const error_code& error, tcp::socket socket) {
      if (self->stopped_) return;
      if (!error) self->on_accepted(std::move(socket));
      if (error == asio::error::operation_aborted || !self->acceptor_.is_open()) return;
      self->accept();
    });
  }

  void on_accepted(tcp::socket socket) {
    set_close_on_exec(socket.native_handle());
    std::unique_ptr<TlsSession> tls;
    if (options_.https && !(tls = new_tls_session())) {
      error_code ignored;
      socket.close(ignored);
      return;
    }
    if (tls) {  // the handshake is several flights each way: none may wait for a delayed ACK
      error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
    }
    const uint8_t slot = server_.on_accept(clock_.now_ms());
    if (slot == WebUpdateServer::kNoSlot) {
      drain();
      error_code ignored;
      socket.close(ignored);
      return;
    }
    auto weak = std::weak_ptr<Impl>(shared_from_this());
    WebConnection::Events events;
    events.data = [weak](WebConnection* c, const uint8_t* data, size_t n) {
      if (auto self = weak.lock()) self->on_data(c, data, n);
    };
    events.closed = [weak](WebConnection* c) {
      if (auto self = weak.lock()) self->on_peer_closed(c);
    };
    events.tls_ended = [weak](WebConnection* c) {
      if (auto self = weak.lock()) self->on_tls_ended(c);
    };
    events.done = [weak](WebConnection* c) {
      if (auto self = weak.lock()) self->on_done(c);
    };
    auto connection = std::make_shared<WebConnection>(io_, std::move(socket), clock_, options_.linger_ms,
                                                      std::move(events), std::move(tls), options_.log);
    // Before drain(): an eviction the accept caused closes the old connection, not this one.
    drain();
    slots_[connection] = slot;
    connection->start();
    rearm_timer();
  }

  void on_data(WebConnection* c, const uint8_t* data, size_t n) {
    size_t used = 0;
    while (used < n) {
      auto it = find(c);
      if (it == slots_.end()) return;  // closed by the server meanwhile
      used += server_.on_data(it->second, data + used, n - used, clock_.now_ms());
      drain();
    }
  }

  void on_peer_closed(WebConnection* c) {
    auto it = find(c);
    if (it == slots_.end()) return;
    const uint8_t slot = it->second;
    auto connection = it->first;
    slots_.erase(it);
    server_.on_closed(slot, clock_.now_ms());
    connection->abort();
    drain();
  }

  // The TLS session ended under an open HTTP connection: for the page the client is gone (an
  // upload in progress is aborted); the connection sends what it still has and closes.
  void on_tls_ended(WebConnection* c) {
    auto it = find(c);
    if (it == slots_.end()) return;
    const uint8_t slot = it->second;
    auto connection = it->first;
    slots_.erase(it);
    server_.on_closed(slot, clock_.now_ms());
    closing_.push_back(connection);
    connection->close_after_flush();
    drain();
  }

  void on_done(WebConnection* c) {
    for (auto it = closing_.begin(); it != closing_.end(); ++it) {
      if (it->get() != c) continue;
      closing_.erase(it);
      break;
    }
    if (reboot_pending_ && closing_.empty()) reboot_now();
  }

  std::unordered_map<std::shared_ptr<WebConnection>, uint8_t>::iterator find(WebConnection* c) {
    for (auto it = slots_.begin(); it != slots_.end(); ++it)
      if (it->first.get() == c) return it;
    return slots_.end();
  }

  std::shared_ptr<WebConnection> connection_in(uint8_t slot) {
    for (auto& [connection, id] : slots_)
      if (id == slot) return connection;
    return nullptr;
  }

  void drain() {
    ServerEvent e;
    while (server_.poll(&e)) handle(e);
    rearm_timer();
  }

  void handle(const ServerEvent& e) {
    switch (e.action) {
      case ServerAction::send:
        if (auto connection = connection_in(e.connection)) connection->send(e.data, e.len);
        return;
      case ServerAction::close:
        if (auto connection = connection_in(e.connection)) {
          slots_.erase(connection);
          closing_.push_back(connection);
          connection->close_after_flush();
        }
        return;
      case ServerAction::started:
        if (hooks_.on_start) hooks_.on_start(e.command);
        return;
      case ServerAction::progress:
        if (hooks_.on_progress) hooks_.on_progress(e.done, e.total);
        return;
      case ServerAction::finished:
        if (e.success) {
          if (hooks_.on_end) hooks_.on_end();
        } else if (hooks_.on_error) {
          hooks_.on_error(e.text);
        }
        return;
      case ServerAction::reboot:
        if (!options_.reboot_on_success) return;
        reboot_pending_ = true;
        if (closing_.empty()) reboot_now();
        return;
      case ServerAction::log:
        options_.log.log(e.level, "{}", e.text);
        return;
    }
  }

  // Deferred so the reboot never runs inside one of our own handlers.
  void reboot_now() {
    reboot_pending_ = false;
    if (!hooks_.reboot) return;
    asio::post(io_, [weak = std::weak_ptr<Impl>(shared_from_this())] {
      if (auto self = weak.lock(); self && !self->stopped_ && self->hooks_.reboot) self->hooks_.reboot();
    });
  }

  void rearm_timer() {
    uint32_t at = 0;
    if (!server_.next_deadline(&at)) {
      timer_->cancel();
      return;
    }
    timer_->start_at(at, [self = shared_from_this()] {
      if (self->stopped_) return;
      self->server_.on_tick(self->clock_.now_ms());
      self->drain();
    });
  }

  asio::io_context& io_;
  Clock& clock_;
  HttpUpdateServerOptions options_;
  HttpUpdateHooks hooks_;
  asio::ip::address bind_address_;
  tcp::acceptor acceptor_;
  std::unique_ptr<Timer> timer_;
  StatusAdapter status_;
  WebUpdateServer server_;
  static constexpr size_t kSessionEntrySize = 100;  // br_ssl_session_cache_lru's
  tls::TlsServerConfig tls_config_;
  std::vector<unsigned char> session_store_;
  br_ssl_session_cache_lru session_cache_{};
  std::unordered_map<std::shared_ptr<WebConnection>, uint8_t> slots_;  // open, by the server's slot
  std::vector<std::shared_ptr<WebConnection>> closing_;                // flushing their last reply
  bool reboot_pending_ = false;
  bool stopped_ = false;
};

HttpUpdateServer::HttpUpdateServer(asio::io_context& io, Clock& clock, const HttpUpdateServerOptions& options,
                                   UpdateSink& sink)
    : impl_(std::make_shared<Impl>(io, clock, options, sink)) {}

HttpUpdateServer::HttpUpdateServer(asio::io_context& io, Clock& clock, const HttpUpdateServerOptions& options,
                                   Updater& updater)
    : owned_sink_(std::make_unique<UpdaterSink>(updater)), impl_(std::make_shared<Impl>(io, clock, options, *owned_sink_)) {}

HttpUpdateServer::~HttpUpdateServer() { impl_->stop(); }

void HttpUpdateServer::set_hooks(HttpUpdateHooks hooks) { impl_->set_hooks(std::move(hooks)); }
void HttpUpdateServer::start() { impl_->start(); }
void HttpUpdateServer::stop() { impl_->stop(); }
uint16_t HttpUpdateServer::local_port() const { return impl_->local_port(); }
bool HttpUpdateServer::uploading() const { return impl_->uploading(); }

}  // namespace otakit::net
