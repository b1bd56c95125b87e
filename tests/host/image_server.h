// A loopback HTTP(S) server on its own thread that answers every request with one fixed reply
// (the head and body given) and closes: plain TCP, or TLS with OpenSSL 3 for a certificate of
// tests/core/tls_test_pki.h. For the pull client's host tests and bench_http_pull. One client at a
// time; stop() (or the destructor) ends it after the connection in progress.
#pragma once
#include <openssl/ssl.h>

#include <atomic>
#include <cctype>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace otakit::test {

class ImageServer {
 public:
  // tls: an SSL_CTX with the server's certificate and key, or null for plain HTTP.
  ImageServer(std::string reply, SSL_CTX* tls)
      : reply_(std::move(reply)),
        tls_(tls),
        acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread([this] { serve(); });
  }
  ~ImageServer() { stop(); }
  ImageServer(const ImageServer&) = delete;
  ImageServer& operator=(const ImageServer&) = delete;

  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  // The request heads received so far, and how many TLS handshakes failed.
  std::vector<std::string> heads() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return heads_;
  }
  int failed_handshakes() const { return failed_handshakes_; }

  void stop() {
    if (!thread_.joinable()) return;
    stopping_ = true;
    boost::system::error_code ignored;
    boost::asio::ip::tcp::socket wake(io_);  // unblocks accept()
    wake.connect({boost::asio::ip::make_address("127.0.0.1"), port()}, ignored);
    thread_.join();
  }

 private:
  void serve() {
    while (true) {
      boost::system::error_code ec;
      boost::asio::ip::tcp::socket socket(io_);
      acceptor_.accept(socket, ec);
      if (ec || stopping_) return;
      tls_ != nullptr ? serve_tls(socket) : serve_plain(socket);
    }
  }

  void record(const std::string& request) {
    std::lock_guard<std::mutex> lock(mutex_);
    heads_.push_back(request.substr(0, request.find("\r\n\r\n") + 4));
  }

  static bool head_complete(const std::string& request) { return request.find("\r\n\r\n") != std::string::npos; }

  void serve_plain(boost::asio::ip::tcp::socket& socket) {
    std::string request;
    char buffer[4096];
    boost::system::error_code ec;
    // Bytes that cannot start a request (a TLS ClientHello) get the reply at once, as a server
    // answers what it cannot parse.
    while (!head_complete(request) && (request.empty() || std::isalpha(static_cast<unsigned char>(request[0])))) {
      size_t n = socket.read_some(boost::asio::buffer(buffer), ec);
      if (ec) return;
      request.append(buffer, n);
    }
    record(request);
    boost::asio::write(socket, boost::asio::buffer(reply_), ec);
    socket.shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
    while (!ec) socket.read_some(boost::asio::buffer(buffer), ec);  // until the client closes
  }

  void serve_tls(boost::asio::ip::tcp::socket& socket) {
    SSL* ssl = SSL_new(tls_);
    SSL_set_fd(ssl, socket.native_handle());
    if (SSL_accept(ssl) == 1) {
      std::string request;
      char buffer[4096];
      int n = 0;
      while (!head_complete(request) && (n = SSL_read(ssl, buffer, sizeof(buffer))) > 0) request.append(buffer, size_t(n));
      record(request);
      bool ok = true;
      for (size_t at = 0; ok && at < reply_.size(); at += 16384) {
        const int chunk = int(std::min<size_t>(16384, reply_.size() - at));
        ok = SSL_write(ssl, reply_.data() + at, chunk) == chunk;
      }
      SSL_shutdown(ssl);
    } else {
      ++failed_handshakes_;
    }
    SSL_free(ssl);
  }

  const std::string reply_;
  SSL_CTX* tls_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> failed_handshakes_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> heads_;
};

}  // namespace otakit::test
