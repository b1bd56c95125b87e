#include "cli/demo/demo_server.h"

#include <fmt/core.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include <stdexcept>

#include "cli/server_token.h"

namespace otakit::cli::demo {
namespace {

server::ServerConfig demo_config(const std::string& data_dir, uint16_t port, const std::string& public_key_path) {
  server::ServerConfig config;
  config.listen_address = "127.0.0.1";  // the demo never listens beyond this machine
  config.port = port;
  config.data_dir = data_dir;
  config.threads = 2;
  config.public_keys = {public_key_path};
  config.instance = "demo";
  return config;
}

// The server logs through spdlog's default logger; in the demo its lines would drown the live view.
std::string log_to_file(const std::string& data_dir) {
  const std::string path = data_dir + "/server.log";
  spdlog::set_default_logger(spdlog::basic_logger_mt("otakit-demo-server", path, true));
  spdlog::set_level(spdlog::level::info);
  spdlog::flush_on(spdlog::level::info);
  return path;
}

}  // namespace

DemoServer::DemoServer(const std::string& data_dir, uint16_t port, const std::string& public_key_path)
    : log_path_(log_to_file(data_dir)), server_(demo_config(data_dir, port, public_key_path)) {
  token_ = create_admin_token(data_dir, "", "demo", 0).token;  // before the thread: a throw here leaves none
  try {
    server_.start();
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("{} (for otakit demo: --port N, or --port 0 for any free one)", e.what()));
  }
  runner_ = std::thread([this] { server_.run(); });
}

DemoServer::~DemoServer() {
  server_.stop();
  if (runner_.joinable()) runner_.join();
}

std::string DemoServer::url() const { return fmt::format("http://127.0.0.1:{}", port()); }
std::string DemoServer::update_url() const { return url() + "/update"; }

}  // namespace otakit::cli::demo
