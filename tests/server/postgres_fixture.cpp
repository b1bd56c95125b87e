// The test PostgreSQL server: initdb into a temp dir, pg_ctl start -w on a free port, CREATE
// DATABASE per test, pg_ctl stop -m fast at exit. As root it runs the tools as user postgres.
#include "tests/server/postgres_fixture.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace otakit::server::test {
namespace fs = std::filesystem;
namespace {

std::string find_bindir() {
  auto has_tools = [](const fs::path& bin) { return fs::exists(bin / "initdb") && fs::exists(bin / "pg_ctl"); };
  std::string best;
  if (const char* env = std::getenv("OTAKIT_PG_BINDIR")) {
    if (has_tools(env)) return env;
  } else {
    // Debian's layout: /usr/lib/postgresql/<major>/bin; the newest major wins.
    long best_major = -1;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
      const long major = std::strtol(entry.path().filename().c_str(), nullptr, 10);
      if (major > best_major && has_tools(entry.path() / "bin")) {
        best_major = major;
        best = (entry.path() / "bin").string();
      }
    }
  }
  if (best.empty())
    throw std::runtime_error(
        "PostgreSQL server binaries (initdb, pg_ctl) not found in $OTAKIT_PG_BINDIR or "
        "/usr/lib/postgresql/*/bin: run scripts/install-deps.sh");
  return best;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs argv with stdout and stderr into log, in directory cwd; returns the exit status.
int run(const std::vector<std::string>& argv, const std::string& cwd, const std::string& log) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {  // only async-signal-safe calls until exec
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || chdir(cwd.c_str()) != 0) _exit(126);
    dup2(fd, 1);
    dup2(fd, 2);
    const int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int free_port() {
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (s < 0 || bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error("cannot find a free TCP port");
  close(s);
  return ntohs(addr.sin_port);
}

std::string find_runuser() {
  for (const char* p : {"/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"})
    if (access(p, X_OK) == 0) return p;
  throw std::runtime_error("running as root needs runuser (util-linux) to start PostgreSQL as another user");
}

}  // namespace

PostgresServer& PostgresServer::shared() {
  // Started once; a failure is kept so every later test fails at once with the same reason.
  static std::unique_ptr<PostgresServer> server;
  static std::string failure;
  if (!server && failure.empty()) {
    try {
      server.reset(new PostgresServer());
    } catch (const std::exception& e) {
      failure = e.what();
    }
  }
  if (!server) throw std::runtime_error(failure);
  return *server;
}

PostgresServer::PostgresServer() {
  bindir_ = find_bindir();
  std::string pattern = (fs::temp_directory_path() / "otakit-pg-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
  try {
    if (geteuid() == 0) {
      // initdb refuses to run as root: the cluster belongs to the postgres user.
      const passwd* pw = getpwnam("postgres");
      if (!pw)
        throw std::runtime_error(
            "running as root needs the user 'postgres' (from the postgresql package): run "
            "scripts/install-deps.sh");
      if (chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) throw std::runtime_error("chown " + dir_ + " failed");
      run_as_ = {find_runuser(), "-u", "postgres", "--"};
    }
    start();
  } catch (...) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    throw;
  }
}

std::vector<std::string> PostgresServer::tool(const std::string& name, const std::vector<std::string>& args) const {
  std::vector<std::string> argv = run_as_;
  argv.push_back(bindir_ + "/" + name);
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

void PostgresServer::start() {
  const std::string data = dir_ + "/data";
  const std::string initdb_log = dir_ + "/initdb.log";
  if (run(tool("initdb", {"-D", data, "-A", "trust", "-U", "otakit", "--no-sync", "-E", "UTF8", "--locale=C"}),
          dir_, initdb_log) != 0)
    throw std::runtime_error("initdb failed:\n" + read_file(initdb_log));

  // The port is free when we look; another process may take it before the server binds: retry.
  std::string failures;
  for (int attempt = 0; attempt < 3 && !running_; ++attempt) {
    port_ = free_port();
    const std::string options = "-k " + dir_ + " -c listen_addresses=127.0.0.1 -p " + std::to_string(port_) +
                                " -c fsync=off -c synchronous_commit=off -c full_page_writes=off";
    const std::string ctl_log = dir_ + "/pg_ctl.log";
    if (run(tool("pg_ctl", {"start", "-w", "-t", "60", "-D", data, "-l", dir_ + "/server.log", "-o", options}),
            dir_, ctl_log) == 0)
      running_ = true;
    else
      failures += read_file(ctl_log) + read_file(dir_ + "/server.log");
  }
  if (!running_) throw std::runtime_error("pg_ctl start failed:\n" + failures);
}

PostgresServer::~PostgresServer() {
  if (running_) {
    run(tool("pg_ctl", {"stop", "-m", "fast", "-w", "-D", dir_ + "/data"}), dir_, dir_ + "/pg_ctl_stop.log");
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string PostgresServer::create_database() {
  const std::string base = "postgresql://otakit@127.0.0.1:" + std::to_string(port_) + "/";
  const std::string name = "test_" + std::to_string(++databases_made_);
  pqxx::connection admin(base + "postgres");
  pqxx::nontransaction(admin).exec("CREATE DATABASE " + name);  // not allowed inside a transaction
  return base + name;
}

}  // namespace otakit::server::test
