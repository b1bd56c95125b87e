// Beast sessions and listeners behind HttpServer (http_server.h). One session per connection
// owns its stream, buffer and parser; each step is one short member function.
#include "server/http/http_server.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cerrno>
#include <optional>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

namespace otakit::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

constexpr std::chrono::seconds kTransferTimeout{60};  // no progress for this long ends a transfer
constexpr size_t kTlsFileChunk = 64 * 1024;

std::string response_head(const Response& r, uint64_t body_size, bool keep_alive, int http_minor) {
  std::string head = fmt::format("HTTP/1.1 {} {}\r\n", r.status, reason_phrase(r.status));
  for (const auto& [name, value] : r.headers) head += fmt::format("{}: {}\r\n", name, value);
  if (r.status != 304 && r.status != 204) head += fmt::format("Content-Length: {}\r\n", body_size);
  if (!keep_alive) head += "Connection: close\r\n";
  else if (http_minor == 0) head += "Connection: keep-alive\r\n";
  head += "\r\n";
  return head;
}

Request to_request(const http::request<http::string_body>& m, const std::string& peer, bool tls,
                   const TrustedProxies& proxies) {
  Request r;
  r.method = std::string(m.method_string());
  r.target = std::string(m.target());
  const size_t q = r.target.find('?');
  r.path = percent_decode(r.target.substr(0, q), false).value_or("\x01");  // \x01: refused by every route
  if (q != std::string::npos) r.query = parse_query(r.target.substr(q + 1)).value_or(std::map<std::string, std::string>{});
  for (const auto& field : m) r.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  r.body = m.body();
  r.peer = peer;
  if (!proxies.empty()) {
    std::string forwarded;  // several X-Forwarded-For fields are one list, in order
    const auto [first, end] = m.equal_range("X-Forwarded-For");
    for (auto field = first; field != end; ++field)
      forwarded += (forwarded.empty() ? "" : ",") + std::string(field->value());
    r.peer = proxies.client(peer, forwarded);
  }
  r.tls = tls;
  r.http_minor = static_cast<int>(m.version() % 10);
  return r;
}

struct Worker {
  int index = 0;
  asio::io_context io{1};
  std::unique_ptr<RequestHandler> handler;
  std::unique_ptr<tcp::acceptor> plain;
  std::unique_ptr<tcp::acceptor> tls;
};

template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(Stream stream, Worker& worker, const HttpServerOptions& options, std::string peer)
      : stream_(std::move(stream)), worker_(worker), options_(options), peer_(std::move(peer)),
        timer_(worker.io) {}

  void start() {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      lowest().expires_after(std::chrono::seconds(10));
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (!ec) self->read_head();
                              });
    } else {
      read_head();
    }
  }

 private:
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void read_head() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(options_.header_limit));
    // The larger limit until the head says which applies: Beast checks a declared length against
    // it while it reads the head, before on_head could raise it for an upload.
    parser_->body_limit(std::max(options_.body_limit, options_.upload_limit));
    lowest().expires_after(options_.idle_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code ec, size_t) { self->on_head(ec); });
  }

  void on_head(beast::error_code ec) {
    if (ec) return refuse(ec);
    const auto& head = parser_->get();
    const bool upload = head.target().starts_with(options_.upload_prefix) &&
                        (head.method() == http::verb::post || head.method() == http::verb::put);
    parser_->body_limit(upload ? options_.upload_limit : options_.body_limit);
    // A declared length over the limit is answered before a byte of the body is read.
    const auto declared = parser_->content_length();
    if (declared && *declared > (upload ? options_.upload_limit : options_.body_limit))
      return refuse(http::error::body_limit);
    lowest().expires_after(kTransferTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code e, size_t) { self->on_request(e); });
  }

  // A request Beast could not read: answer what can be answered, then close.
  void refuse(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted || ec == beast::error::timeout ||
        ec == asio::error::connection_reset || ec == asio::error::eof)
      return close();
    Response r;
    if (ec == http::error::header_limit)
      r = Response::text(431, fmt::format("the request head is over {} bytes", options_.header_limit));
    else if (ec == http::error::body_limit)
      r = Response::text(413, "the request body is too large");
    else
      r = Response::text(400, fmt::format("malformed HTTP request: {}", ec.message()));
    send(std::move(r), false, false, 1);
  }

  void on_request(beast::error_code ec) {
    if (ec) return refuse(ec);
    const auto& message = parser_->get();
    const bool keep_alive = message.keep_alive();
    const bool head_only = message.method() == http::verb::head;
    const int minor = static_cast<int>(message.version() % 10);
    auto self = this->shared_from_this();
    auto reply = [self, keep_alive, head_only, minor](std::function<Response()> make) {
      asio::post(self->worker_.io, [self, make = std::move(make), keep_alive, head_only, minor] {
        Response response;
        try {
          response = make();
        } catch (const std::exception& e) {
          response = Response::text(500, fmt::format("internal error: {}", e.what()));
        }
        self->send(std::move(response), keep_alive, head_only, minor);
      });
    };
    try {
      worker_.handler->handle_async(
          to_request(message, peer_, std::is_same_v<Stream, TlsStream>, options_.trusted_proxies), reply);
    } catch (const std::exception& e) {
      const std::string what = e.what();
      reply([what] { return Response::text(500, fmt::format("internal error: {}", what)); });
    }
  }

  void send(Response response, bool keep_alive, bool head_only, int minor) {
    response_ = std::move(response);
    keep_alive_ = keep_alive;
    const uint64_t size = response_.file ? response_.file->length : response_.body.size();
    head_ = response_head(response_, size, keep_alive, minor);
    const bool has_body = !head_only && response_.status != 304 && response_.status != 204;
    if (!has_body || !response_.file) {
      if (has_body) head_ += response_.body;
      lowest().expires_after(kTransferTimeout);
      asio::async_write(stream_, asio::buffer(head_), [self = this->shared_from_this()](beast::error_code e, size_t) {
        self->finish(!e, e ? 0 : self->response_.body.size());
      });
      return;
    }
    file_fd_ = ::open(response_.file->path.c_str(), O_RDONLY | O_CLOEXEC);
    if (file_fd_ < 0) {
      head_ = response_head(Response::text(500, "the firmware file is missing from the blob store"), 0, false, minor);
      keep_alive_ = false;
    }
    offset_ = static_cast<off_t>(response_.file->offset);
    remaining_ = response_.file->length;
    asio::async_write(stream_, asio::buffer(head_), [self = this->shared_from_this()](beast::error_code e, size_t) {
      if (e || self->file_fd_ < 0) return self->finish(false, 0);
      self->send_file();
    });
  }

  void send_file() {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      send_tls_chunk();
    } else {
      send_with_sendfile();
    }
  }

  // Plain connections: the kernel copies from the page cache to the socket (no user-space copy).
  void send_with_sendfile() {
    auto& socket = lowest().socket();
    beast::error_code ignored;
    socket.native_non_blocking(true, ignored);
    while (remaining_ > 0) {
      const ssize_t n = ::sendfile(socket.native_handle(), file_fd_, &offset_, std::min<uint64_t>(remaining_, 1 << 20));
      if (n > 0) {
        remaining_ -= static_cast<uint64_t>(n);
        sent_ += static_cast<uint64_t>(n);
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        timer_.expires_after(kTransferTimeout);
        timer_.async_wait([self = this->shared_from_this()](beast::error_code e) {
          if (!e) self->lowest().socket().cancel();
        });
        socket.async_wait(tcp::socket::wait_write, [self = this->shared_from_this()](beast::error_code e) {
          self->timer_.cancel();
          if (e) return self->finish(false, self->sent_);
          self->send_with_sendfile();
        });
        return;
      }
      return finish(false, sent_);  // n == 0: the file is shorter than the record says
    }
    finish(true, sent_);
  }

  void send_tls_chunk() {
    if (remaining_ == 0) return finish(true, sent_);
    chunk_.resize(static_cast<size_t>(std::min<uint64_t>(remaining_, kTlsFileChunk)));
    const ssize_t n = ::pread(file_fd_, chunk_.data(), chunk_.size(), offset_);
    if (n <= 0) return finish(false, sent_);
    chunk_.resize(static_cast<size_t>(n));
    lowest().expires_after(kTransferTimeout);
    asio::async_write(stream_, asio::buffer(chunk_), [self = this->shared_from_this()](beast::error_code e, size_t k) {
      if (e) return self->finish(false, self->sent_);
      self->offset_ += static_cast<off_t>(k);
      self->remaining_ -= k;
      self->sent_ += k;
      self->send_tls_chunk();
    });
  }

  void finish(bool complete, uint64_t bytes) {
    if (file_fd_ >= 0) ::close(file_fd_);
    file_fd_ = -1;
    if (response_.on_sent) {
      try {
        response_.on_sent(bytes, complete);
      } catch (const std::exception&) {  // a record that could not be written must not end the worker
      }
    }
    response_ = Response{};
    sent_ = 0;
    if (complete && keep_alive_) return read_head();
    close();
  }

  void close() {
    beast::error_code ignored;
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      lowest().expires_after(std::chrono::seconds(2));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        beast::error_code e;
        self->lowest().socket().close(e);
      });
    } else {
      lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
      lowest().socket().close(ignored);
    }
  }

  Stream stream_;
  Worker& worker_;
  const HttpServerOptions& options_;
  std::string peer_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Response response_;
  bool keep_alive_ = false;
  std::string head_;
  int file_fd_ = -1;
  off_t offset_ = 0;
  uint64_t remaining_ = 0;
  uint64_t sent_ = 0;
  std::vector<char> chunk_;
};

std::unique_ptr<tcp::acceptor> open_acceptor(asio::io_context& io, const std::string& address, uint16_t port) {
  beast::error_code ec;
  const auto ip = asio::ip::make_address(address, ec);
  if (ec) throw std::runtime_error(fmt::format("'{}' is not an IP address to listen on", address));
  const tcp::endpoint endpoint(ip, port);
  auto acceptor = std::make_unique<tcp::acceptor>(io);
  acceptor->open(endpoint.protocol());
  acceptor->set_option(asio::socket_base::reuse_address(true));
  const int one = 1;
  ::setsockopt(acceptor->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  acceptor->bind(endpoint, ec);
  if (ec)
    throw std::runtime_error(fmt::format("cannot listen on {}:{}: {} (is another server using the port? "
                                         "pick another with --listen)",
                                         address, port, ec.message()));
  acceptor->listen(asio::socket_base::max_listen_connections);
  return acceptor;
}

}  // namespace

struct HttpServer::Impl {
  HttpServerOptions options;
  HandlerFactory factory;
  std::vector<std::unique_ptr<Worker>> workers;
  std::unique_ptr<asio::ssl::context> ssl;
  uint16_t port = 0;
  uint16_t tls_port = 0;

  void accept(Worker& w, bool tls) {
    tcp::acceptor& acceptor = tls ? *w.tls : *w.plain;
    acceptor.async_accept(w.io, [this, &w, tls](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        beast::error_code e;
        socket.set_option(tcp::no_delay(true), e);
        const std::string peer = socket.remote_endpoint(e).address().to_string();
        if (tls)
          std::make_shared<Session<TlsStream>>(TlsStream(beast::tcp_stream(std::move(socket)), *ssl), w, options, peer)
              ->start();
        else
          std::make_shared<Session<PlainStream>>(PlainStream(std::move(socket)), w, options, peer)->start();
      }
      accept(w, tls);
    });
  }

  void load_tls() {
    ssl = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    ssl->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    beast::error_code ec;
    ssl->use_certificate_chain_file(options.tls_files.certificate, ec);
    if (ec) throw std::runtime_error(fmt::format("cannot read the TLS certificate {}: {}", options.tls_files.certificate, ec.message()));
    ssl->use_private_key_file(options.tls_files.private_key, asio::ssl::context::pem, ec);
    if (ec) throw std::runtime_error(fmt::format("cannot read the TLS key {}: {}", options.tls_files.private_key, ec.message()));
  }
};

HttpServer::HttpServer(HttpServerOptions options, HandlerFactory factory) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->factory = std::move(factory);
}

HttpServer::~HttpServer() = default;

void HttpServer::start() {
  Impl& s = *impl_;
  // sendfile(2) to a peer that has gone raises SIGPIPE (Asio's own writes pass MSG_NOSIGNAL; a
  // raw sendfile cannot): a client that disconnects mid-download must not end the server.
  ::signal(SIGPIPE, SIG_IGN);
  if (s.options.tls) s.load_tls();
  const int threads = std::max(1, s.options.threads);
  for (int i = 0; i < threads; ++i) {
    auto w = std::make_unique<Worker>();
    w->index = i;
    w->handler = s.factory(i);
    if (s.options.plain) {
      w->plain = open_acceptor(w->io, s.options.address, s.port != 0 ? s.port : s.options.port);
      s.port = w->plain->local_endpoint().port();
    }
    if (s.options.tls) {
      w->tls = open_acceptor(w->io, s.options.tls_address, s.tls_port != 0 ? s.tls_port : s.options.tls_port);
      s.tls_port = w->tls->local_endpoint().port();
    }
    s.workers.push_back(std::move(w));
  }
  for (auto& w : s.workers) {
    if (w->plain) s.accept(*w, false);
    if (w->tls) s.accept(*w, true);
  }
}

uint16_t HttpServer::port() const { return impl_->port; }
uint16_t HttpServer::tls_port() const { return impl_->tls_port; }

void HttpServer::run() {
  std::vector<std::thread> threads;
  for (size_t i = 1; i < impl_->workers.size(); ++i)
    threads.emplace_back([w = impl_->workers[i].get()] { w->io.run(); });
  if (!impl_->workers.empty()) impl_->workers[0]->io.run();
  for (auto& t : threads) t.join();
}

void HttpServer::stop() {
  for (auto& w : impl_->workers) w->io.stop();
}

}  // namespace otakit::server
