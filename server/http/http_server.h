// The fleet server's transport: Boost.Beast on Asio, one worker per thread, each with its own
// io_context, its own SO_REUSEPORT acceptor and its own handler, so workers share nothing but the
// port (nginx's model). Keep-alive, request limits, idle timeouts, and bodies from files sent
// with sendfile on plain connections. Beast is included only in http_server.cpp.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "server/http/exchange.h"
#include "server/http/forwarded_for.h"

namespace otakit::server {

struct TlsFiles {
  std::string certificate;  // PEM chain
  std::string private_key;  // PEM
};

struct HttpServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 0;  // 0: any free port (read port() after start())
  bool plain = true;  // serve plain HTTP on address:port
  // HTTPS on tls_port (0: any free port), with OpenSSL; TLS 1.2 stays on for BearSSL devices.
  bool tls = false;
  std::string tls_address = "127.0.0.1";
  uint16_t tls_port = 0;
  TlsFiles tls_files;
  int threads = 1;
  size_t header_limit = 8 * 1024;         // 431 beyond it
  size_t body_limit = 1024 * 1024;        // 413 beyond it, except on paths below
  size_t upload_limit = 16 * 1024 * 1024; // for POST/PUT under upload_prefix
  std::string upload_prefix = "/api/";
  std::chrono::milliseconds idle_timeout{30000};  // keep-alive connections with no request
  TrustedProxies trusted_proxies;  // whose X-Forwarded-For names the client (Request::peer)
};

using HandlerFactory = std::function<std::unique_ptr<RequestHandler>(int worker)>;

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, HandlerFactory factory);
  ~HttpServer();

  // Binds every listener (throws std::runtime_error naming the address on failure).
  void start();
  uint16_t port() const;
  uint16_t tls_port() const;
  // Runs the workers until stop(); the calling thread runs worker 0.
  void run();
  // Safe from any thread; run() returns once the workers have stopped.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace otakit::server
