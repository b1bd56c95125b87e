// `otakit server`: the fleet update server for ESP8266httpUpdate clients (and the virtual
// device), and `otakit server token create|list|revoke` for the admin API's tokens.
#include <fmt/chrono.h>
#include <fmt/core.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>
#include <fstream>
#include <memory>
#include <thread>

#include "cli/admin_views.h"
#include "cli/command_failure.h"
#include "cli/commands.h"
#include "cli/server_token.h"
#include "net/endpoint.h"
#include "server/app/fleet_server.h"

namespace otakit::cli {
namespace {

struct ServerFlags {
  server::ServerConfig config;
  std::string listen;
  std::string tls_listen;
  std::string log_level = "info";
  std::string config_file;
};

// The config file: `listen = 127.0.0.1:8070`, `public-key = a.pem` (repeatable), `# comments`.
// Each line sets its flag, through the flag's own parsing and checks, unless the command line gave it.
void apply_config_file(const std::string& path, CLI::App& cmd) {
  std::ifstream in(path);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (const size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    const auto trim = [](std::string s) {
      const size_t a = s.find_first_not_of(" \t\r\"'"), b = s.find_last_not_of(" \t\r\"'");
      return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
    };
    if (trim(line).empty()) continue;
    const size_t eq = line.find('=');
    if (eq == std::string::npos)
      throw CommandFailure(kExitUsage, fmt::format("{}:{}: expected `name = value`", path, number));
    const std::string name = trim(line.substr(0, eq)), value = trim(line.substr(eq + 1));
    CLI::Option* option = cmd.get_option_no_throw("--" + name);
    if (option == nullptr || name == "config")
      throw CommandFailure(kExitUsage, fmt::format("{}:{}: '{}' is not a flag of otakit server", path, number, name));
    if (option->count() > 0 && !option->get_allow_extra_args()) continue;  // the command line wins
    try {
      option->add_result(value);
      option->run_callback();
    } catch (const CLI::Error& e) {
      throw CommandFailure(kExitUsage, fmt::format("{}:{}: {}", path, number, e.what()));
    }
  }
}

struct TokenFlags {
  std::string data_dir;
  std::string database;
  std::string name = "admin";
  int expires_days = 0;
  int64_t id = 0;
  bool json = false;
  std::string data() const { return data_dir.empty() ? server::default_data_dir() : data_dir; }
};

void apply_listen(const std::string& text, std::string* address, uint16_t* port, const char* flag) {
  if (text.empty()) return;
  const auto hp = net::parse_host_port(text, *port);
  if (!hp && text.size() > 2 && text.substr(text.size() - 2) == ":0") {  // ":0" = any free port
    *address = text.substr(0, text.size() - 2);
    *port = 0;
    return;
  }
  if (!hp) throw CommandFailure(kExitUsage, fmt::format("{} {}: expected ADDRESS:PORT, e.g. 0.0.0.0:8070", flag, text));
  *address = hp->host;
  *port = hp->port;
}

// SIGINT and SIGTERM stop the server: a thread waits for them, so no handler runs in a worker.
int serve(ServerFlags& f) {
  spdlog::set_level(spdlog::level::from_str(f.log_level));
  apply_listen(f.listen, &f.config.listen_address, &f.config.port, "--listen");
  if (!f.tls_listen.empty()) {
    f.config.tls = true;
    apply_listen(f.tls_listen, &f.config.tls_address, &f.config.tls_port, "--tls-listen");
  } else if (!f.config.tls_certificate.empty() || f.config.tls_self_signed) {
    f.config.tls = true;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  server::FleetServer server(f.config);
  try {
    server.start();
  } catch (const std::exception& e) {
    throw CommandFailure(kExitFailure, e.what());
  }
  const server::ServerConfig& c = server.config();
  const std::string mode = c.serve_dir.empty() ? fmt::format("fleet, data in {}", c.data_dir)
                                               : fmt::format("simple, {} over {}", c.map_file, c.serve_dir);
  if (c.plain) fmt::print("otakit server: listening on http://{}:{} ({})\n", c.listen_address, server.port(), mode);
  if (c.tls) fmt::print("otakit server: listening on https://{}:{}\n", c.tls_address, server.tls_port());
  if (c.serve_dir.empty()) fmt::print("otakit server: dashboard at http://{}:{}/ (needs a token: otakit server token create)\n",
                                      c.listen_address == "0.0.0.0" ? "127.0.0.1" : c.listen_address, server.port());
  std::fflush(stdout);
  std::thread waiter([&] {
    int received = 0;
    sigwait(&signals, &received);
    spdlog::info("signal {}: stopping", received);
    server.stop();
  });
  server.run();
  pthread_kill(waiter.native_handle(), SIGTERM);  // wakes the waiter when run() ended by itself
  waiter.join();
  return kExitOk;
}

int create_token(const TokenFlags& f) {
  const CreatedToken token = create_admin_token(f.data(), f.database, f.name, f.expires_days);
  const int64_t id = token.id, expires = token.expires_at;
  if (f.json) {
    fmt::print("{{\"id\": {}, \"name\": \"{}\", \"token\": \"{}\", \"expires_at\": {}}}\n", id, f.name, token.token,
               expires);
  } else {
    fmt::print("{}\n", token.token);
    fmt::print(stderr, "token {} ({}) created; it is shown once and stored only as its SHA-256.\n"
                       "Use it as: export OTAKIT_TOKEN={}\n",
               id, f.name, token.token);
  }
  return kExitOk;
}

std::string utc_minute(int64_t ms) { return fmt::format("{:%Y-%m-%d %H:%M}", fmt::gmtime(std::time_t(ms / 1000))); }

int list_tokens(const TokenFlags& f) {
  const std::vector<server::TokenView> tokens = list_admin_tokens(f.data(), f.database);
  const int64_t now = now_ms();
  if (f.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const server::TokenView& t : tokens)
      list.push_back({{"id", t.id}, {"name", t.name}, {"created_at", t.created_at}, {"expires_at", t.expires_at},
                      {"revoked", t.revoked}});
    fmt::print("{}\n", list.dump(2));
    return kExitOk;
  }
  fmt::print("{:<5} {:<20} {:<17} {:<17} {}\n", "ID", "NAME", "CREATED (UTC)", "EXPIRES (UTC)", "STATE");
  for (const server::TokenView& t : tokens) {
    const char* state = t.revoked ? "revoked" : t.expires_at != 0 && t.expires_at <= now ? "expired" : "valid";
    fmt::print("{:<5} {:<20} {:<17} {:<17} {}\n", t.id, t.name, utc_minute(t.created_at),
               t.expires_at == 0 ? "never" : utc_minute(t.expires_at), state);
  }
  if (tokens.empty()) fmt::print(stderr, "no tokens yet: make one with `otakit server token create`\n");
  return kExitOk;
}

int revoke_token(const TokenFlags& f) {
  if (!revoke_admin_token(f.data(), f.database, f.id))
    throw CommandFailure(kExitUsage, fmt::format("no token with id {}: `otakit server token list` shows them", f.id));
  fmt::print(stderr, "token {} revoked; requests with it get 401 from now on\n", f.id);
  return kExitOk;
}

}  // namespace

void add_server_command(CLI::App& app, RunState& state) {
  auto f = std::make_shared<ServerFlags>();
  CLI::App* cmd = app.add_subcommand("server", "Serve updates to a fleet (ESP8266httpUpdate's server side)");
  cmd->footer(fmt::format(
      "Devices pull from http://HOST:{0}/update with ESP8266httpUpdate (or `otakit device --update-url`).\n"
      "With no flags it listens on 0.0.0.0:{0} and keeps its SQLite database and firmware in\n"
      "  {1}\n"
      "(override with --data or $OTAKIT_DATA).\n\n"
      "Fleet mode (default): devices register on their first check; publish firmware and roll it out:\n"
      "  otakit server token create                 # once: a token for the admin API and dashboard\n"
      "  otakit publish fw.bin --server http://HOST:{0} --rollout 5%,25%,100%\n"
      "  otakit rollout status --server http://HOST:{0}\n"
      "Simple mode, the seed's PHP script done right (no database):\n"
      "  otakit server --serve-dir bin/ --map devices.map\n"
      "  where devices.map has lines `18:FE:AA:AA:AA:AA door.bin` and `default app.bin`.\n"
      "Several instances: --database postgresql://user@host/db on each, behind a load balancer.\n"
      "A config file (--config FILE) takes the long flags' names, one `name = value` per line:\n"
      "  listen = 0.0.0.0:8070\n  data = /var/lib/otakit\n  public-key = fleet.pem",
      server::kDefaultPort, server::default_data_dir()));
  cmd->add_option("--config", f->config_file,
                  "Read flags from FILE: `name = value` lines with the long flags' names; the command "
                  "line wins, and repeatable flags (public-key, update-path, trusted-proxy) add up")
      ->check(CLI::ExistingFile);
  cmd->add_option("--listen", f->listen, "ADDRESS:PORT for plain HTTP (default 0.0.0.0:8070; port 0: any free one)");
  cmd->add_option("--data", f->config.data_dir, "Folder for the database and firmware blobs");
  cmd->add_option("--database", f->config.database,
                  "sqlite:PATH or postgresql://user@host:port/db (default: sqlite in --data)");
  cmd->add_option("--threads", f->config.threads, "Worker threads (default: one per core)");
  cmd->add_option("--update-path", f->config.update_paths, "Paths that answer update checks (default /update)");
  cmd->add_option("--serve-dir", f->config.serve_dir, "Simple mode: the folder of binaries")->check(CLI::ExistingDirectory);
  cmd->add_option("--map", f->config.map_file, "Simple mode: the mapping file")->check(CLI::ExistingFile);
  cmd->add_option("--public-key", f->config.public_keys,
                  "A fleet signing key (PEM); repeat for several. Then only images signed by one are accepted")
      ->check(CLI::ExistingFile);
  cmd->add_option("--tls-listen", f->tls_listen, "ADDRESS:PORT for HTTPS (default 0.0.0.0:8443 when TLS is on)");
  cmd->add_option("--tls-cert", f->config.tls_certificate, "HTTPS certificate chain (PEM)")->check(CLI::ExistingFile);
  cmd->add_option("--tls-key", f->config.tls_key, "HTTPS private key (PEM)")->check(CLI::ExistingFile);
  cmd->add_flag("--tls-self-signed", f->config.tls_self_signed, "Make a certificate for localhost (demos)");
  cmd->add_flag("!--no-plain", f->config.plain, "Serve HTTPS only");
  cmd->add_option("--trusted-proxy", f->config.trusted_proxies,
                  "A load balancer (address or network, e.g. 127.0.0.1 or 10.0.0.0/8) whose X-Forwarded-For "
                  "names the device; repeat for several. Without it the TCP peer is the device's address");
  cmd->add_flag("--private-metrics", f->config.private_metrics,
                "/metrics needs a bearer token, as the admin API does (Prometheus: `authorization: "
                "{credentials_file: ...}`)");
  cmd->add_option("--instance", f->config.instance, "This instance's name in history rows (default host:port)");
  cmd->add_option("--log-level", f->log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));

  auto t = std::make_shared<TokenFlags>();
  CLI::App* token = cmd->add_subcommand("token", "Admin API tokens");
  const auto server_store = [t](CLI::App* sub) {  // each token command opens the server's database
    sub->add_option("--data", t->data_dir, "The server's data folder");
    sub->add_option("--database", t->database, "The server's database URL, if not the default");
  };
  CLI::App* create = token->add_subcommand("create", "Create a bearer token (printed once)");
  server_store(create);
  create->add_option("--name", t->name, "A label for the token");
  create->add_option("--expires-days", t->expires_days, "Days until it expires (default: never)");
  create->add_flag("--json", t->json, "Print id, token and expiry as JSON");
  CLI::App* list = token->add_subcommand("list", "List the tokens: id, name, times, state (never the token)");
  server_store(list);
  list->add_flag("--json", t->json, "Print them as a JSON array (times in ms since 1970; 0: never)");
  CLI::App* revoke = token->add_subcommand("revoke", "Revoke a token: it is refused from the next request");
  revoke->add_option("ID", t->id, "The token's id, from `otakit server token list`")->required();
  server_store(revoke);
  token->require_subcommand(1);
  create->callback([t, &state] { state.exit_code = run_reporting("server token", [&] { return create_token(*t); }); });
  list->callback([t, &state] { state.exit_code = run_reporting("server token list", [&] { return list_tokens(*t); }); });
  revoke->callback([t, &state] { state.exit_code = run_reporting("server token revoke", [&] { return revoke_token(*t); }); });

  cmd->callback([f, cmd, &state] {
    if (!cmd->get_subcommands().empty()) return;
    state.exit_code = run_reporting("server", [&] {
      if (!f->config_file.empty()) apply_config_file(f->config_file, *cmd);
      return serve(*f);
    });
  });
}

}  // namespace otakit::cli
