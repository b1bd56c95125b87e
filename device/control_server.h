// The device's local control interface: a Unix socket (<flash>.sock) taking one-line commands
// (status, confirm, reboot, power-cycle) and answering with one JSON line.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace otakit::device {

class ControlServer {
 public:
  using Handler = std::function<nlohmann::json(const std::string& command)>;
  ControlServer(boost::asio::io_context& io, std::string socket_path, Handler handler);
  ~ControlServer();

 private:
  void accept();
  boost::asio::local::stream_protocol::acceptor acceptor_;
  std::string path_;
  Handler handler_;
};

// Client side, for `otakit device confirm|reboot|...`: sends one command, returns the reply.
// Throws std::runtime_error when no device is listening.
nlohmann::json send_control_command(const std::string& socket_path, const std::string& command);
// The same, but nothing when no device answers: it is not running (a crash leaves the socket
// file behind, and nobody accepts on it), or it is between two boots.
std::optional<nlohmann::json> query_device(const std::string& socket_path, const std::string& command);

}  // namespace otakit::device
