#include "net/espota_responder.h"

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <deque>
#include <stdexcept>
#include <system_error>

#include "net/espota_asio.h"

namespace otakit::net {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using boost::system::error_code;

namespace {

// One connection back to an uploader: reads, a queue of writes, and a graceful close that waits
// for the uploader to close its side (so "OK" is never lost to a reset) but not forever.
class EspotaConnection : public std::enable_shared_from_this<EspotaConnection> {
 public:
  struct Events {
    std::function<void(EspotaConnection*, const error_code&)> connected;
    std::function<void(EspotaConnection*, const uint8_t*, size_t)> data;
    std::function<void(EspotaConnection*)> closed;  // the peer closed or the connection broke
    std::function<void(EspotaConnection*)> done;    // our side is fully closed
  };

  EspotaConnection(asio::io_context& io, Clock& clock, uint32_t linger_ms, Events events)
      : socket_(io), linger_(clock.make_timer(io)), linger_ms_(linger_ms), events_(std::move(events)) {}

  void connect(const tcp::endpoint& target, const asio::ip::address& bind_address) {
    error_code ec;
    socket_.open(target.protocol(), ec);
    if (!ec) set_close_on_exec(socket_.native_handle());
    if (!ec && !bind_address.is_unspecified() && bind_address.is_v4() == target.address().is_v4())
      socket_.bind(tcp::endpoint(bind_address, 0), ec);
    if (ec) {
      asio::post(socket_.get_executor(), [self = shared_from_this(), ec] { self->events_.connected(self.get(), ec); });
      return;
    }
    socket_.async_connect(target, [self = shared_from_this()](const error_code& error) {
      if (self->finished_) return;
      if (!error) {
        self->connected_ = true;
        error_code ignored;
        self->socket_.set_option(tcp::no_delay(true), ignored);  // ArduinoOTA: setNoDelay(true)
      }
      self->events_.connected(self.get(), error);
      if (!error) self->read();
    });
  }

  void send(const void* data, size_t len) {
    if (finished_ || shutdown_) return;
    queue_.emplace_back(static_cast<const char*>(data), len);
    if (queue_.size() == 1) write_next();
  }

  void close_after_flush() {
    if (finished_ || closing_) return;
    closing_ = true;
    if (!connected_ || peer_closed_) return finish();
    if (queue_.empty()) shutdown_and_linger();
  }

  void abort() { finish(); }

 private:
  void read() {
    socket_.async_read_some(asio::buffer(buffer_), [self = shared_from_this()](const error_code& error, size_t n) {
      if (self->finished_) return;
      if (n > 0) self->events_.data(self.get(), self->buffer_.data(), n);
      if (self->finished_) return;
      if (error) return self->on_peer_closed();
      self->read();
    });
  }

  void write_next() {
    asio::async_write(socket_, asio::buffer(queue_.front()), [self = shared_from_this()](const error_code& error, size_t) {
      if (self->finished_) return;
      self->queue_.pop_front();
      if (error) return self->on_peer_closed();
      if (!self->queue_.empty()) return self->write_next();
      if (self->closing_) self->shutdown_and_linger();
    });
  }

  void on_peer_closed() {
    peer_closed_ = true;
    if (closing_) return finish();
    events_.closed(this);  // the session answers with close_tcp, which lands in close_after_flush()
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
    auto keep_alive = shared_from_this();  // `done` may drop the owner's reference
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
  std::array<uint8_t, 16384> buffer_{};
  std::deque<std::string> queue_;
  bool connected_ = false;
  bool closing_ = false;
  bool shutdown_ = false;
  bool peer_closed_ = false;
  bool finished_ = false;
};

}  // namespace

class EspotaResponder::Impl : public std::enable_shared_from_this<EspotaResponder::Impl> {
 public:
  Impl(asio::io_context& io, Clock& clock, const EspotaResponderOptions& options, UpdateSink& sink)
      : io_(io), clock_(clock), options_(options), udp_(io), timer_(clock.make_timer(io)), session_(make_config(), sink) {
    error_code ec;
    bind_address_ = asio::ip::make_address(options.bind_address, ec);
    if (ec) throw std::invalid_argument("espota: '" + options.bind_address + "' is not an IP address to bind to");
  }

  void start() {
    udp::endpoint local(bind_address_, options_.port);
    error_code ec;
    udp_.open(local.protocol(), ec);
    if (!ec) set_close_on_exec(udp_.native_handle());
    if (!ec) udp_.bind(local, ec);
    if (ec) {
      throw std::system_error(ec, "espota: cannot listen on UDP " + options_.bind_address + ":" +
                                      std::to_string(options_.port) + " (in use, or not an address of this host)");
    }
    options_.log.info("espota: listening on UDP {}:{}{}", options_.bind_address, local_port(),
                      session_.has_password() ? " (password required)" : "");
    receive();
  }

  void stop() {
    if (stopped_) return;
    stopped_ = true;
    error_code ignored;
    udp_.close(ignored);
    timer_->cancel();
    if (connection_) connection_->abort();
    connection_.reset();
    session_.abandon();  // a begun update must not stay half-written in the Updater
  }

  uint16_t local_port() const {
    error_code ec;
    auto endpoint = udp_.local_endpoint(ec);
    return ec ? 0 : endpoint.port();
  }
  espota::DeviceState state() const { return session_.state(); }
  EspotaResponderStats stats() const { return stats_; }
  void set_hooks(EspotaHooks hooks) { hooks_ = std::move(hooks); }

 private:
  espota::DeviceConfig make_config() {
    espota::DeviceConfig config;
    if (!options_.password_hash.empty()) {
      if (!espota::normalize_password_hash(options_.password_hash.data(), options_.password_hash.size(), &hash_))
        throw std::invalid_argument("espota: the password hash must be 32 hex digits (the MD5 of the password)");
      config.password_hash = hash_.text;
    } else if (!options_.password.empty()) {
      hash_ = espota::password_hash(options_.password.data(), options_.password.size());
      config.password_hash = hash_.text;
    }
    config.random = options_.random;
    config.auth_timeout_ms = options_.auth_timeout_ms;
    config.connect_timeout_ms = options_.connect_timeout_ms;
    config.receive_timeout_ms = options_.receive_timeout_ms;
    config.result_delay_ms = options_.result_delay_ms;
    return config;
  }

  void receive() {
    udp_.async_receive_from(asio::buffer(datagram_), sender_, [self = shared_from_this()](const error_code& error, size_t n) {
      if (self->stopped_) return;
      if (!error) {
        ++self->stats_.datagrams;
        self->session_.on_datagram(to_peer(self->sender_.address(), self->sender_.port()), self->datagram_.data(), n,
                                   self->clock_.now_ms());
        self->drain();
      } else if (error == asio::error::operation_aborted || !self->udp_.is_open()) {
        return;
      }
      self->receive();  // errors such as ICMP port-unreachable reports must not stop the device
    });
  }

  void drain() {
    espota::DeviceEvent e;
    while (session_.poll(&e)) handle(e);
    rearm_timer();
  }

  void handle(const espota::DeviceEvent& e) {
    switch (e.action) {
      case espota::DeviceAction::send_udp: {
        auto bytes = std::make_shared<std::string>(reinterpret_cast<const char*>(e.data), e.len);
        udp::endpoint to(to_address(e.peer), e.peer.port);
        udp_.async_send_to(asio::buffer(*bytes), to, [bytes](const error_code&, size_t) {});
        return;
      }
      case espota::DeviceAction::connect_tcp:
        return connect(e.peer);
      case espota::DeviceAction::tcp_send:
        if (connection_) connection_->send(e.data, e.len);
        return;
      case espota::DeviceAction::close_tcp:
        if (connection_) connection_->close_after_flush();
        return;
      case espota::DeviceAction::started:
        options_.log.info("espota: update from {} started ({} bytes, {})", peer_label(e.peer), e.size,
                          e.command == espota::Command::filesystem ? "filesystem" : "flash");
        if (hooks_.on_start) hooks_.on_start(e.command);
        return;
      case espota::DeviceAction::progress:
        if (hooks_.on_progress) hooks_.on_progress(e.done, e.size);
        return;
      case espota::DeviceAction::finished:
        return finished(e);
      case espota::DeviceAction::dropped:
        ++stats_.dropped;
        options_.log.debug("espota: dropped a datagram from {}: {}", peer_label(e.peer), e.text);
        return;
      case espota::DeviceAction::log:
        options_.log.log(e.level, "espota: {}: {}", peer_label(e.peer), e.text);
        return;
    }
  }

  void connect(const proto::PeerAddress& target) {
    auto weak = std::weak_ptr<Impl>(shared_from_this());
    EspotaConnection::Events events;
    events.connected = [weak](EspotaConnection* c, const error_code& error) {
      if (auto self = weak.lock()) self->on_connected(c, error);
    };
    events.data = [weak](EspotaConnection* c, const uint8_t* data, size_t n) {
      if (auto self = weak.lock(); self && c == self->connection_.get()) {
        self->session_.on_tcp_data(data, n, self->clock_.now_ms());
        self->drain();
      }
    };
    events.closed = [weak](EspotaConnection* c) {
      if (auto self = weak.lock(); self && c == self->connection_.get()) {
        self->session_.on_tcp_closed(self->clock_.now_ms());
        self->drain();
      }
    };
    events.done = [weak](EspotaConnection* c) {
      if (auto self = weak.lock()) self->on_connection_done(c);
    };
    if (connection_) connection_->abort();
    connection_ = std::make_shared<EspotaConnection>(io_, clock_, options_.linger_ms, std::move(events));
    connection_->connect(tcp::endpoint(to_address(target), target.port), bind_address_);
  }

  void on_connected(EspotaConnection* c, const error_code& error) {
    if (stopped_ || c != connection_.get()) return;
    if (error) {
      options_.log.warn("espota: cannot connect back to the uploader: {}", error.message());
      session_.on_tcp_connect_failed(clock_.now_ms());
    } else {
      session_.on_tcp_connected(clock_.now_ms());
    }
    drain();
  }

  void finished(const espota::DeviceEvent& e) {
    if (e.success) {
      ++stats_.sessions_ok;
      options_.log.info("espota: update of {} bytes from {} staged", e.size, peer_label(e.peer));
      if (hooks_.on_end) hooks_.on_end();
      if (options_.reboot_on_success) reboot_after_close_ = true;
      if (!connection_) reboot_now();
    } else {
      ++stats_.sessions_failed;
      options_.log.warn("espota: {} error with {}: {}", espota::describe(e.error), peer_label(e.peer), e.text);
      if (hooks_.on_error) hooks_.on_error(e.error, e.text);
    }
  }

  void on_connection_done(EspotaConnection* c) {
    if (c != connection_.get()) return;
    connection_.reset();
    if (reboot_after_close_) reboot_now();
  }

  // Deferred so the reboot never runs inside one of our own handlers.
  void reboot_now() {
    reboot_after_close_ = false;
    if (!hooks_.reboot) return;
    asio::post(io_, [weak = std::weak_ptr<Impl>(shared_from_this())] {
      if (auto self = weak.lock(); self && !self->stopped_ && self->hooks_.reboot) self->hooks_.reboot();
    });
  }

  void rearm_timer() {
    uint32_t at = 0;
    if (!session_.next_deadline(&at)) {
      timer_->cancel();
      return;
    }
    timer_->start_at(at, [self = shared_from_this()] {
      if (self->stopped_) return;
      self->session_.on_tick(self->clock_.now_ms());
      self->drain();
    });
  }

  asio::io_context& io_;
  Clock& clock_;
  EspotaResponderOptions options_;
  EspotaHooks hooks_;
  asio::ip::address bind_address_;
  udp::socket udp_;
  udp::endpoint sender_;
  std::array<uint8_t, 512> datagram_{};
  std::unique_ptr<Timer> timer_;  // the session's next deadline
  espota::Hex32 hash_;
  espota::DeviceSession session_;
  std::shared_ptr<EspotaConnection> connection_;
  bool reboot_after_close_ = false;
  bool stopped_ = false;
  EspotaResponderStats stats_;
};

EspotaResponder::EspotaResponder(asio::io_context& io, Clock& clock, const EspotaResponderOptions& options,
                                 UpdateSink& sink)
    : impl_(std::make_shared<Impl>(io, clock, options, sink)) {}

EspotaResponder::EspotaResponder(asio::io_context& io, Clock& clock, const EspotaResponderOptions& options,
                                 Updater& updater)
    : owned_sink_(std::make_unique<UpdaterSink>(updater)),
      impl_(std::make_shared<Impl>(io, clock, options, *owned_sink_)) {}

EspotaResponder::~EspotaResponder() { impl_->stop(); }

void EspotaResponder::set_hooks(EspotaHooks hooks) { impl_->set_hooks(std::move(hooks)); }
void EspotaResponder::start() { impl_->start(); }
void EspotaResponder::stop() { impl_->stop(); }
uint16_t EspotaResponder::local_port() const { return impl_->local_port(); }
espota::DeviceState EspotaResponder::state() const { return impl_->state(); }
EspotaResponderStats EspotaResponder::stats() const { return impl_->stats(); }

}  // namespace otakit::net
