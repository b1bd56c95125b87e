// The two SQL engines the store tests run against: a fresh SQLite file, or a fresh database on
// the test binary's own PostgreSQL server (started once, on loopback, in a temporary folder).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "server/store/database.h"

namespace otakit::server::test {

// "sqlite" or "postgresql".
const std::vector<std::string>& engines();
// A URL for an empty database on that engine (migrated by the caller).
std::string fresh_database_url(const std::string& engine);

}  // namespace otakit::server::test
