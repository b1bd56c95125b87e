// The SQLite driver's entry point (server/store/sqlite_database.cpp); open_database() calls it.
#pragma once
#include <memory>
#include <string>

#include "server/store/database.h"

namespace otakit::server {

// Opens (creating if needed) the database file at path: WAL, synchronous=NORMAL, foreign keys on.
std::unique_ptr<Database> open_sqlite(const std::string& path);

}  // namespace otakit::server
