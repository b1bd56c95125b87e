// A private PostgreSQL server for tests: one per test binary, started on first use, with a
// fresh database for each test that asks. Stopped and deleted when the binary exits.
#pragma once
#include <memory>
#include <string>
#include <vector>

namespace otakit::server::test {

class PostgresServer {
 public:
  // The binary's server, started the first time. Throws std::runtime_error saying what is
  // wrong (missing binaries: run scripts/install-deps.sh; initdb or pg_ctl output otherwise).
  static PostgresServer& shared();

  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // Creates an empty database and returns its URL (postgresql://otakit@127.0.0.1:PORT/name).
  std::string create_database();

 private:
  PostgresServer();
  void start();
  // argv for one of the server's tools, behind run_as_ when there is one.
  std::vector<std::string> tool(const std::string& name, const std::vector<std::string>& args) const;

  std::string bindir_;
  std::string dir_;        // the temp dir: data/, the socket, the logs
  std::vector<std::string> run_as_;  // as root: "runuser -u postgres --" (initdb refuses root)
  int port_ = 0;
  int databases_made_ = 0;
  bool running_ = false;
};

}  // namespace otakit::server::test
