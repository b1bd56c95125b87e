// Assembling the server from its parts; one WorkerHandler per worker thread.
#include "server/app/fleet_server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <thread>

#include "server/admin/admin_api.h"
#include "server/app/check_writer.h"
#include "server/app/fleet_check_service.h"
#include "server/app/self_signed.h"
#include "server/dashboard/assets.h"
#include "server/fleet/firmware_intake.h"
#include "server/http/http_server.h"
#include "server/metrics/metrics.h"
#include "server/protocol/simple_map.h"
#include "server/protocol/update_endpoint.h"
#include "server/store/blob_store.h"
#include "server/store/database.h"
#include "server/store/fleet_store.h"
#include "server/store/migrations.h"

namespace otakit::server {
namespace {

int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Shared {
  explicit Shared(const ServerConfig& c) : config(c) {}
  const ServerConfig& config;
  Metrics metrics;
  FleetKeys keys;
  std::optional<SimpleMap> simple;
  std::unique_ptr<BlobStore> blobs;
  std::unique_ptr<CheckWriter> writer;  // fleet mode: every check goes through its group commit
  std::string database_url;
  std::string instance;
};

class WorkerHandler final : public RequestHandler {
 public:
  explicit WorkerHandler(Shared& shared) : shared_(shared) {
    if (shared.simple) {
      service_ = std::make_unique<SimpleCheckService>(*shared.simple);
    } else {
      db_ = open_database(shared.database_url);
      store_ = std::make_unique<FleetStore>(*db_, shared.instance);
      service_ = std::make_unique<FleetCheckService>(*shared.writer, *store_, *db_, *shared.blobs,
                                                     CheckPolicy{!shared.keys.empty()});
      admin_ = std::make_unique<AdminApi>(*store_, *db_, *shared.blobs, shared.keys, wall_clock_ms);
    }
    endpoint_ = std::make_unique<UpdateEndpoint>(*service_, shared.metrics, wall_clock_ms);
  }

  void handle_async(const Request& r, Reply reply) override {
    for (const std::string& path : shared_.config.update_paths)
      if (r.path == path) return endpoint_->answer_async(r, std::move(reply));
    RequestHandler::handle_async(r, std::move(reply));
  }

  Response handle(const Request& r) override {
    if (r.path == "/metrics") {
      if (shared_.config.private_metrics)
        if (std::optional<Response> refused = admin_->refusal(r)) return *refused;
      return Response::text(200, shared_.metrics.render()).set("Content-Type", "text/plain; version=0.0.4");
    }
    if (r.path == "/healthz") return Response::text(200, "ok");
    if (r.path.rfind("/api/", 0) == 0) {
      if (!admin_) return Response::json(404, R"({"error":"the simple mode (--serve-dir) has no admin API"})");
      return admin_->answer(r);
    }
    if (const Asset* asset = find_dashboard_asset(r.path); asset != nullptr && !shared_.simple) {
      Response page;
      page.body.assign(reinterpret_cast<const char*>(asset->data), asset->size);
      page.set("Content-Type", asset->content_type);
      page.set("Cache-Control", "no-cache");
      page.set("X-Content-Type-Options", "nosniff");
      page.set("Content-Security-Policy", "default-src 'self'; style-src 'self'; img-src 'self' data:");
      return page;
    }
    return Response::text(404, fmt::format("nothing at {}: update checks go to {}", r.path, shared_.config.update_paths[0]));
  }

 private:
  Shared& shared_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<FleetStore> store_;
  std::unique_ptr<CheckService> service_;
  std::unique_ptr<UpdateEndpoint> endpoint_;
  std::unique_ptr<AdminApi> admin_;
};

}  // namespace

std::string default_data_dir() {
  if (const char* d = std::getenv("OTAKIT_DATA"); d != nullptr && *d != '\0') return d;
  if (const char* x = std::getenv("XDG_DATA_HOME"); x != nullptr && *x != '\0') return std::string(x) + "/otakit/server";
  if (const char* h = std::getenv("HOME"); h != nullptr && *h != '\0') return std::string(h) + "/.local/share/otakit/server";
  return "otakit-data";
}

struct FleetServer::Impl {
  ServerConfig config;
  std::unique_ptr<Shared> shared;
  std::unique_ptr<HttpServer> http;
};

FleetServer::FleetServer(ServerConfig config) : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
  if (impl_->config.data_dir.empty()) impl_->config.data_dir = default_data_dir();
  if (impl_->config.threads <= 0) impl_->config.threads = std::max(1u, std::thread::hardware_concurrency());
}

// The writer goes first: what it still has queued is recorded, and its answers are posted to
// workers that are stopped but not yet destroyed.
FleetServer::~FleetServer() {
  if (impl_->shared) impl_->shared->writer.reset();
}

void FleetServer::start() {
  ServerConfig& c = impl_->config;
  std::filesystem::create_directories(c.data_dir);
  impl_->shared = std::make_unique<Shared>(c);
  Shared& s = *impl_->shared;
  for (const std::string& key : c.public_keys) s.keys.add_file(key);
  if (!c.serve_dir.empty() || !c.map_file.empty()) {
    if (c.serve_dir.empty() || c.map_file.empty())
      throw std::runtime_error("the simple mode needs both --serve-dir DIR and --map FILE");
    if (c.private_metrics)
      throw std::runtime_error("--private-metrics checks the fleet database's tokens: the simple mode has none");
    s.simple = load_simple_map(c.map_file, c.serve_dir);
  } else {
    s.database_url = c.database.empty() ? "sqlite:" + c.data_dir + "/fleet.db" : c.database;
    const bool shared_db = s.database_url.rfind("postgres", 0) == 0;
    s.blobs = std::make_unique<BlobStore>(c.data_dir + "/blobs", shared_db);
    auto db = open_database(s.database_url);
    const auto applied = migrate(*db, fleet_migrations());
    for (int64_t v : applied) spdlog::info("database: applied migration {}", v);
  }
  char host[256] = "localhost";
  ::gethostname(host, sizeof(host) - 1);
  // An ephemeral port is not known yet (the workers are made before they bind): the pid tells
  // instances apart then.
  s.instance = !c.instance.empty() ? c.instance
               : c.port != 0     ? fmt::format("{}:{}", host, c.port)
                                 : fmt::format("{}/pid{}", host, ::getpid());
  if (!s.simple)
    s.writer = std::make_unique<CheckWriter>(open_database(s.database_url), s.instance, CheckPolicy{!s.keys.empty()});

  HttpServerOptions http;
  http.address = c.listen_address;
  http.port = c.port;
  http.plain = c.plain;
  http.threads = c.threads;
  std::string why;
  const std::optional<TrustedProxies> proxies = TrustedProxies::parse(c.trusted_proxies, &why);
  if (!proxies) throw std::runtime_error(why);
  http.trusted_proxies = *proxies;
  if (c.tls) {
    http.tls = true;
    http.tls_address = c.tls_address;
    http.tls_port = c.tls_port;
    if (c.tls_self_signed) {
      const SelfSigned made = ensure_self_signed(c.data_dir + "/tls");
      http.tls_files = {made.certificate, made.private_key};
    } else {
      if (c.tls_certificate.empty() || c.tls_key.empty())
        throw std::runtime_error("HTTPS needs --tls-cert and --tls-key (or --tls-self-signed for a demo)");
      http.tls_files = {c.tls_certificate, c.tls_key};
    }
  }
  impl_->http = std::make_unique<HttpServer>(http, [&s](int) { return std::make_unique<WorkerHandler>(s); });
  impl_->http->start();
}

uint16_t FleetServer::port() const { return impl_->http->port(); }
uint16_t FleetServer::tls_port() const { return impl_->http->tls_port(); }
const ServerConfig& FleetServer::config() const { return impl_->config; }
void FleetServer::run() { impl_->http->run(); }
void FleetServer::stop() { impl_->http->stop(); }

}  // namespace otakit::server
