#include "net/pull_client.h"

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <ctime>
#include <deque>
#include <vector>

#include "core/tls/tls_client.h"
#include "net/espota_asio.h"

namespace otakit::net {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using pull::PullAction;
using pull::PullEvent;

namespace {

// One connection the session asked for: the socket, and for https the TLS client with its
// record buffer. Handlers hold it by shared_ptr and check `open`, so a connection the session
// closed goes quiet even when its completions are already queued.
struct Connection {
  Connection(asio::io_context& io, size_t tls_buffer_size) : socket(io), resolver(io), tls_buffer(tls_buffer_size) {}
  tcp::socket socket;
  tcp::resolver resolver;
  std::string host;
  bool secure = false;
  bool open = true;
  bool connected = false;  // on_connected() was given (after the handshake for https)
  bool reading = false;
  bool writing = false;
  bool eof = false;  // the server closed its side (or the connection broke)
  std::array<uint8_t, 2048> read_buffer{};  // HTTP's 2 KiB reads, as ESP8266HTTPClient's buffer
  std::deque<std::string> writes;          // plain: the request, in order
  // https: the request waiting for the record layer, server bytes it has not taken yet, the
  // record being written.
  std::vector<uint8_t> tls_buffer;
  std::unique_ptr<tls::TlsClient> tls;
  std::string plaintext_out;
  std::string records_in;
  std::string records_out;
};

}  // namespace

class PullClient::Impl : public std::enable_shared_from_this<PullClient::Impl> {
 public:
  Impl(asio::io_context& io, Clock& clock, PullClientOptions options, UpdateSink& sink)
      : io_(io), clock_(clock), options_(std::move(options)), sink_(sink), timer_(clock.make_timer(io)) {}

  ~Impl() { stop(); }

  bool start(const PullDeviceFacts& facts, std::function<void(const PullOutcome&)> done) {
    if (session_ && session_->state() != pull::PullState::done && session_->state() != pull::PullState::idle)
      return false;
    facts_ = facts;
    done_ = std::move(done);
    connect_failure_.clear();
    session_ = std::make_unique<pull::PullSession>(make_config(), sink_);
    session_->start(clock_.now_ms());
    drain();
    return true;
  }

  void stop() {
    timer_->cancel();
    close_connection();
    if (session_) session_->abandon();
    done_ = nullptr;
  }

  bool running() const {
    return session_ && session_->state() != pull::PullState::done && session_->state() != pull::PullState::idle;
  }

  PullHooks hooks;
  const PullClientOptions& options() const { return options_; }

 private:
  pull::PullConfig make_config() {
    pull::PullConfig c;
    c.url = options_.url.c_str();
    c.device.chip_id = facts_.chip_id;
    std::copy(facts_.sta_mac.begin(), facts_.sta_mac.end(), c.device.sta_mac);
    std::copy(facts_.ap_mac.begin(), facts_.ap_mac.end(), c.device.ap_mac);
    c.device.free_space = facts_.free_space;
    c.device.sketch_size = facts_.sketch_size;
    c.device.sketch_md5 = facts_.sketch_md5.c_str();
    c.device.chip_size = facts_.chip_size;
    c.device.sdk_version = facts_.sdk_version.c_str();
    c.device.image = facts_.image;
    c.mode = options_.mode;
    c.fs_size = options_.fs_size;
    c.current_version = options_.current_version.c_str();
    c.user = options_.user.c_str();
    c.password = options_.password.c_str();
    c.md5 = options_.md5.c_str();
    c.redirects = options_.redirects;
    c.redirect_limit = options_.redirect_limit;
    c.connect_timeout_ms = options_.connect_timeout_ms;
    c.header_timeout_ms = options_.header_timeout_ms;
    c.body_idle_timeout_ms = options_.body_idle_timeout_ms;
    c.overall_timeout_ms = options_.overall_timeout_ms;
    c.max_resumes = options_.max_resumes;
    c.resume_delay_ms = options_.resume_delay_ms;
    c.resume_store = options_.resume_store;
    return c;
  }

  // Everything the session queued, in order; then its next deadline.
  void drain() {
    PullEvent event;
    while (session_ && session_->poll(&event)) handle(event);
    arm_timer();
  }

  void handle(const PullEvent& e) {
    switch (e.action) {
      case PullAction::connect: return open_connection(e.host, e.port, e.secure);
      case PullAction::send: return send(e.data, e.len);
      case PullAction::close: return close_connection();
      case PullAction::started:
        if (hooks.on_start) hooks.on_start();
        return;
      case PullAction::progress:
        if (hooks.on_progress) hooks.on_progress(e.done, e.total);
        return;
      case PullAction::finished: return finished(e);
      case PullAction::log: return options_.log.log(e.level, "pull: {}", e.text);
    }
  }

  void finished(const PullEvent& e) {
    close_connection();
    PullOutcome outcome;
    outcome.result = e.result;
    outcome.error = e.error;
    outcome.error_text = e.error_text;
    outcome.http_status = e.http_status;
    outcome.message = e.message;
    if (e.error == pull::error::kConnectionFailed && !connect_failure_.empty())
      outcome.message += ": " + connect_failure_;
    outcome.available_version = e.available_version;
    outcome.withheld = e.withheld;
    outcome.written = session_->written();
    outcome.redirects = session_->redirects_followed();
    outcome.resumes = session_->resumes();
    outcome.resumed_from = session_->resumed_from();
    if (e.result == pull::PullResult::failed) {
      if (hooks.on_error) hooks.on_error(e.error, outcome.message);
    } else if (hooks.on_end) {
      hooks.on_end();
    }
    // done may destroy this client (a reboot): it runs after the session's calls have returned.
    asio::post(io_, [weak = weak_from_this(), outcome] {
      auto self = weak.lock();
      if (!self || !self->done_) return;
      auto done = std::move(self->done_);
      done(outcome);
    });
  }

  void arm_timer() {
    uint32_t at = 0;
    if (!session_ || !session_->next_deadline(&at)) return timer_->cancel();
    timer_->start_at(at, [weak = weak_from_this()] {
      if (auto self = weak.lock(); self && self->session_) {
        self->session_->on_tick(self->clock_.now_ms());
        self->drain();
      }
    });
  }

  void open_connection(const char* host, uint16_t port, bool secure) {
    close_connection();
    auto c = std::make_shared<Connection>(io_, secure ? options_.tls_buffer_size : 0);
    c->host = host;
    c->secure = secure;
    connection_ = c;
    options_.log.debug("pull: connecting to {}:{}{}", host, port, secure ? " (TLS)" : "");
    c->resolver.async_resolve(
        host, std::to_string(port), [self = shared_from_this(), c](const error_code& error, tcp::resolver::results_type found) {
          if (!c->open) return;
          if (error) return self->connect_failed(c, "cannot resolve " + c->host + ": " + error.message());
          asio::async_connect(c->socket, found, [self, c](const error_code& failed, const tcp::endpoint&) {
            if (!c->open) return;
            if (failed) return self->connect_failed(c, "TCP connect to " + c->host + " failed: " + failed.message());
            set_close_on_exec(c->socket.native_handle());
            c->socket.set_option(tcp::no_delay(true));
            if (c->secure) return self->start_tls(c);
            self->connected(c);
          });
        });
  }

  void connected(const std::shared_ptr<Connection>& c) {
    c->connected = true;
    read(c);
    session_->on_connected(clock_.now_ms());
    drain();
  }

  void connect_failed(const std::shared_ptr<Connection>& c, std::string why) {
    options_.log.info("pull: {}", why);
    connect_failure_ = std::move(why);
    drop(c);
    session_->on_connect_failed(clock_.now_ms());
    drain();
  }

  // The server closed (or the connection broke) after we were connected.
  void server_closed(const std::shared_ptr<Connection>& c) {
    drop(c);
    session_->on_closed(clock_.now_ms());
    drain();
  }

  void drop(const std::shared_ptr<Connection>& c) {
    c->open = false;
    c->resolver.cancel();
    error_code ignored;
    c->socket.close(ignored);
    if (connection_ == c) connection_.reset();
  }

  void close_connection() {
    if (connection_) drop(connection_);
  }

  void read(const std::shared_ptr<Connection>& c) {
    if (c->reading || !c->open) return;
    c->reading = true;
    c->socket.async_read_some(asio::buffer(c->read_buffer), [self = shared_from_this(), c](const error_code& error, size_t n) {
      c->reading = false;
      if (!c->open) return;
      if (c->secure) return self->tls_received(c, n, error);
      if (n > 0) {
        self->session_->on_data(c->read_buffer.data(), n, self->clock_.now_ms());
        self->drain();
        if (!c->open) return;
      }
      if (error) return self->server_closed(c);
      self->read(c);
    });
  }

  void send(const uint8_t* data, size_t len) {
    auto c = connection_;
    if (!c) return;
    if (c->secure) {
      c->plaintext_out.append(reinterpret_cast<const char*>(data), len);
      return pump_tls(c);
    }
    c->writes.emplace_back(reinterpret_cast<const char*>(data), len);
    if (!c->writing) write_plain(c);
  }

  void write_plain(const std::shared_ptr<Connection>& c) {
    c->writing = true;
    asio::async_write(c->socket, asio::buffer(c->writes.front()), [self = shared_from_this(), c](const error_code& error, size_t) {
      c->writing = false;
      if (!c->open) return;
      c->writes.pop_front();
      if (error) return self->server_closed(c);  // the session says what a lost request means
      if (!c->writes.empty()) self->write_plain(c);
    });
  }

  // --- https: core/tls between the socket and the session ---

  void start_tls(const std::shared_ptr<Connection>& c) {
    tls::TlsClientConfig config;
    config.server_name = c->host.c_str();
    config.mode = options_.trust.mode;
    config.anchors = options_.trust.anchors;
    config.anchor_count = options_.trust.anchor_count;
    std::copy(options_.trust.public_key_sha256.begin(), options_.trust.public_key_sha256.end(), config.public_key_sha256);
    std::copy(options_.trust.certificate_sha1.begin(), options_.trust.certificate_sha1.end(), config.certificate_sha1);
    config.half_duplex = options_.tls_half_duplex;
    c->tls = std::make_unique<tls::TlsClient>(config, c->tls_buffer.data(), c->tls_buffer.size());
    std::array<uint8_t, tls::kEntropySize> entropy{};
    if (!fill_secure_random(nullptr, entropy.data(), entropy.size()))
      return connect_failed(c, "TLS: no random bytes from the kernel (getrandom failed)");
    const uint64_t now = options_.unix_time ? options_.unix_time() : uint64_t(std::time(nullptr));
    if (!c->tls->start(now, entropy.data(), entropy.size())) return tls_failed(c);
    read(c);
    pump_tls(c);
  }

  void tls_received(const std::shared_ptr<Connection>& c, size_t n, const error_code& error) {
    c->records_in.append(reinterpret_cast<const char*>(c->read_buffer.data()), n);
    if (error) c->eof = true;
    pump_tls(c);
  }

  // Moves everything that can move: server records into the engine, plaintext both ways,
  // records out to the socket; then notices the handshake's end and failures.
  void pump_tls(const std::shared_ptr<Connection>& c) {
    tls::TlsClient& t = *c->tls;
    for (bool moved = true; moved && c->open;) {
      moved = false;
      if (!c->records_in.empty()) {
        size_t taken = t.input_from_network(reinterpret_cast<const uint8_t*>(c->records_in.data()), c->records_in.size());
        c->records_in.erase(0, taken);
        moved |= taken > 0;
      }
      if (!c->connected && t.state() == tls::TlsState::ready) {
        options_.log.debug("pull: TLS to {} ready, {} byte records", c->host, t.max_fragment_length());
        connected(c);
        moved = true;
        if (!c->open) return;
      }
      if (!c->plaintext_out.empty() && t.state() == tls::TlsState::ready) {
        size_t n = t.write(reinterpret_cast<const uint8_t*>(c->plaintext_out.data()), c->plaintext_out.size());
        if (n > 0) {
          c->plaintext_out.erase(0, n);
          t.flush();
          moved = true;
        }
      }
      const uint8_t* data = nullptr;
      if (size_t n = t.readable(&data); n > 0) {
        session_->on_data(data, n, clock_.now_ms());
        t.consumed(n);
        drain();
        moved = true;
      }
      if (!c->writing && c->open) {
        if (size_t n = t.pending_output(&data); n > 0) {
          c->records_out.assign(reinterpret_cast<const char*>(data), n);
          write_records(c);
          moved = true;
        }
      }
    }
    if (!c->open) return;
    if (t.state() == tls::TlsState::failed) return tls_failed(c);
    if (t.state() == tls::TlsState::closed) return tls_ended(c);
    if (c->eof && c->records_in.empty()) {
      t.network_closed();  // what was decrypted before stays readable
      const uint8_t* data = nullptr;
      if (size_t n = t.readable(&data); n > 0 && c->connected) {
        session_->on_data(data, n, clock_.now_ms());
        t.consumed(n);
        drain();
        if (!c->open) return;
      }
      return tls_ended(c);
    }
    // Read more only when the engine took what arrived (back pressure from the record buffer).
    if (c->records_in.empty()) read(c);
  }

  void write_records(const std::shared_ptr<Connection>& c) {
    c->writing = true;
    asio::async_write(c->socket, asio::buffer(c->records_out), [self = shared_from_this(), c](const error_code& error, size_t n) {
      c->writing = false;
      if (!c->open) return;
      if (error) {
        c->tls->network_closed();
        return self->tls_ended(c);
      }
      c->tls->output_sent(n);
      self->pump_tls(c);
    });
  }

  void tls_failed(const std::shared_ptr<Connection>& c) {
    std::string why = std::string("TLS with ") + c->host + ": " + tls::describe(c->tls->error());
    if (c->tls->error() == tls::TlsError::alert_received) why += " (alert " + std::to_string(c->tls->alert()) + ")";
    if (!c->connected) return connect_failed(c, why);
    options_.log.info("pull: {}", why);
    server_closed(c);
  }

  // The server closed: with close_notify, or TCP went away (a failure once the handshake is done,
  // which the session sees as the body breaking off).
  void tls_ended(const std::shared_ptr<Connection>& c) {
    if (!c->connected) return tls_failed(c);
    if (c->tls->state() == tls::TlsState::failed) options_.log.debug("pull: {}", tls::describe(c->tls->error()));
    server_closed(c);
  }

  asio::io_context& io_;
  Clock& clock_;
  PullClientOptions options_;
  UpdateSink& sink_;
  std::unique_ptr<Timer> timer_;
  PullDeviceFacts facts_;
  std::unique_ptr<pull::PullSession> session_;
  std::shared_ptr<Connection> connection_;
  std::function<void(const PullOutcome&)> done_;
  std::string connect_failure_;  // why the last connection failed, for the outcome's message
};

PullClient::PullClient(asio::io_context& io, Clock& clock, PullClientOptions options, UpdateSink& sink)
    : impl_(std::make_shared<Impl>(io, clock, std::move(options), sink)) {}

PullClient::~PullClient() { impl_->stop(); }

void PullClient::set_hooks(PullHooks hooks) { impl_->hooks = std::move(hooks); }

bool PullClient::start(const PullDeviceFacts& facts, std::function<void(const PullOutcome&)> done) {
  return impl_->start(facts, std::move(done));
}

void PullClient::stop() { impl_->stop(); }
bool PullClient::running() const { return impl_->running(); }
const PullClientOptions& PullClient::options() const { return impl_->options(); }

}  // namespace otakit::net
