#include "device/control_server.h"

#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <cstdio>
#include <istream>
#include <memory>
#include <stdexcept>

namespace otakit::device {

namespace asio = boost::asio;
using local = asio::local::stream_protocol;

ControlServer::ControlServer(asio::io_context& io, std::string socket_path, Handler handler)
    : acceptor_(io), path_(std::move(socket_path)), handler_(std::move(handler)) {
  std::remove(path_.c_str());  // a stale socket from a crashed run
  acceptor_.open();
  acceptor_.bind(local::endpoint(path_));
  acceptor_.listen();
  accept();
}

ControlServer::~ControlServer() { std::remove(path_.c_str()); }

void ControlServer::accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, local::socket socket) {
    if (ec) return;
    auto s = std::make_shared<local::socket>(std::move(socket));
    auto buf = std::make_shared<asio::streambuf>();
    asio::async_read_until(*s, *buf, '\n', [this, s, buf](boost::system::error_code rec, std::size_t) {
      if (rec) return;
      std::istream in(buf.get());
      std::string command;
      std::getline(in, command);
      auto reply = std::make_shared<std::string>(handler_(command).dump() + "\n");
      asio::async_write(*s, asio::buffer(*reply), [s, reply](boost::system::error_code, std::size_t) {});
    });
    accept();
  });
}

nlohmann::json send_control_command(const std::string& socket_path, const std::string& command) {
  std::optional<nlohmann::json> reply = query_device(socket_path, command);
  if (!reply)
    throw std::runtime_error("no device is listening on " + socket_path + ": start it with `otakit device --flash ...`");
  return *reply;
}

std::optional<nlohmann::json> query_device(const std::string& socket_path, const std::string& command) {
  asio::io_context io;
  local::socket s(io);
  boost::system::error_code ec;
  s.connect(local::endpoint(socket_path), ec);
  if (ec) return std::nullopt;
  asio::write(s, asio::buffer(command + "\n"), ec);
  asio::streambuf buf;
  if (!ec) asio::read_until(s, buf, '\n', ec);
  if (ec) return std::nullopt;  // it went away while answering (a reboot)
  std::istream in(&buf);
  std::string line;
  std::getline(in, line);
  auto j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded()) throw std::runtime_error("the device sent a reply that is not JSON: " + line);
  return j;
}

}  // namespace otakit::device
