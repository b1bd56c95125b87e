// The PostgreSQL driver's entry point (server/store/postgres_database.cpp) and its placeholder
// rewriting, which the tests check on their own.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "server/store/database.h"

namespace otakit::server {

// Connects with a libpq URL ("postgresql://user@host:port/db"), passed to libpq as is.
std::unique_ptr<Database> open_postgres(const std::string& url);

struct NumberedSql {
  std::string sql;
  size_t placeholders = 0;
};

// Rewrites each '?' to $1, $2, ... followed by casts[i] when there is one (e.g. "::bigint").
// A '?' inside a '...' literal, a "..." identifier or a -- or /* */ comment stays as it is.
NumberedSql number_placeholders(const std::string& sql, const std::vector<std::string>& casts = {});

}  // namespace otakit::server
