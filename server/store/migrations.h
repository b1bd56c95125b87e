// Versioned schema migrations, one list for both engines. A migration's SQL is written once;
// the runner substitutes the few words the engines spell differently before it runs it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "server/store/database.h"

namespace otakit::server {

struct Migration {
  int64_t version;   // 1, 2, 3, ... applied in order, each exactly once
  std::string name;  // shown in logs and in schema_migrations
  std::string sql;   // statements separated by ';'. Placeholders: {id} = an auto-increment
                     // integer primary key column type, {blob} = BLOB / BYTEA
};

// The fleet server's schema, oldest first (server/store/schema.cpp).
const std::vector<Migration>& fleet_migrations();

// Replaces the placeholders for the dialect.
std::string dialect_sql(const std::string& sql, Dialect dialect);

// Brings the database to the newest version: creates schema_migrations if needed, then applies
// each missing migration in its own transaction. Safe when several instances start at once
// (PostgreSQL: an advisory lock; SQLite: BEGIN IMMEDIATE). Returns the versions it applied.
// Throws DatabaseError if the database is newer than this binary knows (says which version).
std::vector<int64_t> migrate(Database& db, const std::vector<Migration>& migrations);

}  // namespace otakit::server
