// Starting and stopping the tests' PostgreSQL server (postgres_fixture.h).
#include "tests/server/postgres_fixture.h"

#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <stdexcept>

#include <fmt/format.h>


namespace otakit::server::test {
namespace {

const char* const kBin = "/usr/lib/postgresql/15/bin";

uint16_t free_port() {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t n = sizeof(a);
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &n);
  ::close(s);
  return ntohs(a.sin_port);
}

// initdb refuses to run as root: then every command runs as Debian's postgres user.
std::string as_server_user(const std::string& command) {
  if (::geteuid() != 0) return command;
  return "runuser -u postgres -- " + command;
}

void run(const std::string& command) {
  if (std::system(command.c_str()) != 0) throw std::runtime_error("failed: " + command);
}

class Server {
 public:
  Server() {
    if (!std::filesystem::exists(std::string(kBin) + "/initdb"))
      throw std::runtime_error("PostgreSQL 15 is not installed: run scripts/install-deps.sh (Debian's postgresql)");
    dir_ = (std::filesystem::temp_directory_path() / fmt::format("otakit-pg-{}", ::getpid())).string();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    if (::geteuid() == 0) {
      const passwd* pw = ::getpwnam("postgres");
      if (pw == nullptr) throw std::runtime_error("running as root needs the postgres user of Debian's postgresql");
      if (::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) throw std::runtime_error("cannot chown " + dir_);
    }
    port_ = free_port();
    run(as_server_user(fmt::format("{}/initdb -D {}/data -A trust -U otakit --no-sync -E UTF8 >{}/initdb.log 2>&1",
                                   kBin, dir_, dir_)));
    run(as_server_user(fmt::format(
        "{}/pg_ctl -D {}/data -l {}/server.log -w -t 30 -o \"-k {} -c listen_addresses=127.0.0.1 -p {} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200\" start >/dev/null",
        kBin, dir_, dir_, dir_, port_)));
  }
  ~Server() {
    std::system(as_server_user(fmt::format("{}/pg_ctl -D {}/data -m fast -w stop >/dev/null 2>&1", kBin, dir_)).c_str());
    std::filesystem::remove_all(dir_);
  }
  std::string base() const { return fmt::format("postgresql://otakit@127.0.0.1:{}", port_); }
  void create_database(const std::string& name) const {
    run(fmt::format("{}/createdb -h 127.0.0.1 -p {} -U otakit {}", kBin, port_, name));
  }

 private:
  std::string dir_;
  uint16_t port_ = 0;
};

Server& server() {
  static Server instance;  // stopped by the static destructor when the test binary exits
  return instance;
}

}  // namespace

std::string postgres_server_url() { return server().base(); }

std::string fresh_postgres_database() {
  static std::atomic<int> counter{0};
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  const std::string name = fmt::format("t{}_{}", ::getpid(), counter++);
  server().create_database(name);
  return server().base() + "/" + name;
}

}  // namespace otakit::server::test
