// The fleet server of `otakit demo`, in process: `otakit server` on 127.0.0.1 with a signed fleet
// and its data in the demo's folder, its workers on their own threads (the devices' io_context
// stays free), its log lines in server.log, and an admin token made as `otakit server token
// create` makes one.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "server/app/fleet_server.h"

namespace otakit::cli::demo {

class DemoServer {
 public:
  // Throws std::runtime_error saying what to fix (most often: the port is taken).
  DemoServer(const std::string& data_dir, uint16_t port, const std::string& public_key_path);
  ~DemoServer();  // stops the workers and joins them
  DemoServer(const DemoServer&) = delete;
  DemoServer& operator=(const DemoServer&) = delete;

  uint16_t port() const { return server_.port(); }
  std::string url() const;         // http://127.0.0.1:PORT
  std::string update_url() const;  // what the devices pull from
  const std::string& token() const { return token_; }
  const std::string& log_path() const { return log_path_; }

 private:
  std::string log_path_;
  server::FleetServer server_;
  std::thread runner_;
  std::string token_;
};

}  // namespace otakit::cli::demo
