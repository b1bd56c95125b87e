// A private PostgreSQL server for one test binary: initdb into a temporary folder, pg_ctl start on
// a free loopback port (fsync off: the tests check logic, not the disk), a fresh database per
// request, pg_ctl stop at exit. Debian's postgresql package provides the binaries.
#pragma once
#include <string>

namespace otakit::server::test {

// The URL of a new, empty database on the binary's server (started on first use). Throws
// std::runtime_error saying how to install PostgreSQL when it cannot start one.
std::string fresh_postgres_database();

// The server's base URL without a database name, for tools (psql) and multi-instance tests.
std::string postgres_server_url();

}  // namespace otakit::server::test
