// A blocking loopback HTTP client for the server's tests: sends bytes exactly as written and
// reads the answer (to EOF, or by Content-Length on a kept-alive connection).
#pragma once
#include <boost/asio.hpp>
#include <map>
#include <string>

namespace otakit::server::test {

struct RawResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;
  std::string header(const std::string& lower) const {
    auto it = headers.find(lower);
    return it == headers.end() ? "" : it->second;
  }
};

class RawConnection {
 public:
  explicit RawConnection(uint16_t port) : socket_(io_) {
    socket_.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  }
  void send(const std::string& bytes) { boost::asio::write(socket_, boost::asio::buffer(bytes)); }
  // Reads one response; head_only: no body follows (HEAD, 304).
  RawResponse read(bool head_only = false) {
    RawResponse r;
    boost::system::error_code ec;
    const size_t end = boost::asio::read_until(socket_, boost::asio::dynamic_buffer(buffer_), "\r\n\r\n", ec);
    if (ec) return r;
    const std::string head = buffer_.substr(0, end);
    buffer_.erase(0, end);
    r.status = std::stoi(head.substr(9, 3));
    size_t pos = head.find("\r\n") + 2;
    while (pos < head.size() - 2) {
      const size_t eol = head.find("\r\n", pos);
      const std::string line = head.substr(pos, eol - pos);
      const size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers[name] = line.substr(colon + 2);
      pos = eol + 2;
    }
    if (head_only || r.status == 304 || r.status == 204) return r;
    if (r.headers.count("content-length")) {
      const size_t length = std::stoul(r.headers["content-length"]);
      if (buffer_.size() < length)
        boost::asio::read(socket_, boost::asio::dynamic_buffer(buffer_), boost::asio::transfer_exactly(length - buffer_.size()), ec);
      r.body = buffer_.substr(0, length);
      buffer_.erase(0, length);
    } else {
      boost::asio::read(socket_, boost::asio::dynamic_buffer(buffer_), ec);
      r.body = buffer_;
      buffer_.clear();
    }
    return r;
  }
  // True once the server has closed its side.
  bool closed_by_server() {
    boost::system::error_code ec;
    char byte;
    const size_t n = socket_.read_some(boost::asio::buffer(&byte, 1), ec);
    return n == 0 && ec == boost::asio::error::eof;
  }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  std::string buffer_;
};

inline RawResponse exchange(uint16_t port, const std::string& request, bool head_only = false) {
  RawConnection c(port);
  c.send(request);
  return c.read(head_only);
}

}  // namespace otakit::server::test
