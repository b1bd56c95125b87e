// A small synchronous client for the fleet server's admin API (server/admin/admin_api.cpp), shared
// by `otakit publish`, `otakit rollout` and `otakit devices`: http:// or https:// with an optional
// path prefix (a reverse proxy's), a bearer token, JSON in and out, one connection per request.
// Every failure is a CommandFailure with the exit code docs/cli.md gives it, and a message that
// says what to do; the token itself is never printed.
#pragma once
#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/command_failure.h"

namespace otakit::cli {

struct AdminFlags {
  std::string server;  // --server or $OTAKIT_SERVER; default http://127.0.0.1:8070
  std::string token;   // --token or $OTAKIT_TOKEN
  std::string cacert;  // --cacert: PEM file of the CA (or the self-signed certificate) to trust
  bool insecure = false;
  double timeout_s = 30;  // connecting, and any stall after it
  bool json = false;
};

// Adds --server, --token, --cacert, -k/--insecure, --timeout and --json to cmd. Several commands
// may bind the same flags (a parent and its subcommands), so either position works.
void add_admin_flags(CLI::App* cmd, AdminFlags& flags);

// A refusal by the server (status >= 400), with its "error" text verbatim.
struct AdminFailure : CommandFailure {
  AdminFailure(int code, const std::string& what, int status, std::string said)
      : CommandFailure(code, what), http_status(status), server_error(std::move(said)) {}
  int http_status;
  std::string server_error;
};

// sent and total bytes of a request body, as it goes out.
using UploadProgress = std::function<void(uint64_t sent, uint64_t total)>;

struct AdminReply {
  int status = 0;
  nlohmann::json body;  // the parsed JSON answer
};

class AdminClient {
 public:
  // Throws CommandFailure (usage) for a URL it cannot use or when there is no token.
  explicit AdminClient(const AdminFlags& flags);
  ~AdminClient();

  // path starts at /api/...; a 2xx answer's JSON, else AdminFailure.
  nlohmann::json get(const std::string& path);
  nlohmann::json post(const std::string& path, const nlohmann::json& body);
  nlohmann::json put(const std::string& path, const nlohmann::json& body);
  // POSTs raw bytes (application/octet-stream), reporting progress.
  AdminReply upload(const std::string& path, const std::vector<uint8_t>& bytes, const UploadProgress& progress);

  // The server's URL as given (for messages and the hints that show the next command).
  const std::string& server() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Percent-encodes a query value or path segment (RFC 3986 unreserved characters stay).
std::string url_encode(const std::string& text);

// With --json, a failure is also one JSON object on stdout, so scripts read a single stream.
void print_failure_json(const std::exception& failure);

template <class Body>
int run_admin(const char* command, const AdminFlags& flags, Body&& body) {
  return run_reporting(command, [&] {
    try {
      return body();
    } catch (const std::exception& e) {
      if (flags.json) print_failure_json(e);
      throw;
    }
  });
}

}  // namespace otakit::cli
