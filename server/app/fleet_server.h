// `otakit server` assembled: the configuration, the database and blob store, one handler per
// worker thread (update endpoint, admin API, metrics, dashboard), and the HTTP(S) listeners.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace otakit::server {

constexpr uint16_t kDefaultPort = 8070;

struct ServerConfig {
  std::string listen_address = "0.0.0.0";
  uint16_t port = kDefaultPort;
  std::string data_dir;  // default: default_data_dir()
  std::string database;  // URL; default: sqlite:<data_dir>/fleet.db
  int threads = 0;       // 0: one per core
  std::vector<std::string> update_paths{"/update"};
  // Simple mode: a mapping file over a folder of binaries instead of the fleet model.
  std::string serve_dir;
  std::string map_file;
  // A signed fleet: uploads must verify with one of these keys, and no device is offered an image
  // below the security version it ran.
  std::vector<std::string> public_keys;
  // HTTPS on a second port.
  bool tls = false;
  std::string tls_address = "0.0.0.0";
  uint16_t tls_port = 8443;
  std::string tls_certificate;
  std::string tls_key;
  bool tls_self_signed = false;  // make (once) a certificate for localhost in the data dir
  std::string instance;          // shown in history rows; default host:port
  bool plain = true;             // serve plain HTTP (off: HTTPS only)
  // Load balancers whose X-Forwarded-For names the device (addresses or networks).
  std::vector<std::string> trusted_proxies;
  bool private_metrics = false;  // /metrics needs an admin token too
};

// $OTAKIT_DATA, else $XDG_DATA_HOME/otakit/server, else ~/.local/share/otakit/server.
std::string default_data_dir();

class FleetServer {
 public:
  explicit FleetServer(ServerConfig config);
  ~FleetServer();
  // Migrates the database, loads keys and the mapping, binds the ports. Throws std::runtime_error
  // with a sentence saying what to fix.
  void start();
  uint16_t port() const;
  uint16_t tls_port() const;
  const ServerConfig& config() const;
  void run();   // until stop()
  void stop();  // from any thread

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace otakit::server
