// The SQLite driver: SQLiteCpp, one connection, prepared statements cached by their SQL text.
#include "server/store/sqlite_database.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <unordered_map>

namespace otakit::server {
namespace {

// A writer waits this long for another connection's write transaction before SQLITE_BUSY.
constexpr int busy_timeout_ms = 5000;
// The server runs a few statements over and over; a bound keeps ad-hoc SQL from piling up.
constexpr size_t statement_cache_limit = 256;

DatabaseError map_error(const SQLite::Exception& e) {
  const int extended = e.getExtendedErrorCode() >= 0 ? e.getExtendedErrorCode() : e.getErrorCode();
  if (extended == SQLITE_CONSTRAINT_UNIQUE || extended == SQLITE_CONSTRAINT_PRIMARYKEY)
    return DatabaseError(DatabaseError::Kind::unique_violation, e.what());
  if (extended >= 0 && (extended & 0xff) == SQLITE_BUSY)
    return DatabaseError(DatabaseError::Kind::serialization_failure, e.what());
  return DatabaseError(DatabaseError::Kind::other, e.what());
}

Value column_value(const SQLite::Column& column) {
  switch (column.getType()) {
    case SQLITE_NULL: return Null{};
    case SQLITE_INTEGER: return column.getInt64();
    case SQLITE_BLOB: {
      const auto* data = static_cast<const uint8_t*>(column.getBlob());
      return std::vector<uint8_t>(data, data + column.getBytes());
    }
    default:  // TEXT, and REAL as its text (Value has no floating point)
      return std::string(column.getText(), static_cast<size_t>(column.getBytes()));
  }
}

void bind_value(SQLite::Statement& statement, int index, const Value& value) {
  if (const auto* i = std::get_if<int64_t>(&value)) {
    statement.bind(index, *i);
  } else if (const auto* s = std::get_if<std::string>(&value)) {
    statement.bindNoCopy(index, *s);  // value outlives the statement's execution
  } else if (const auto* b = std::get_if<std::vector<uint8_t>>(&value)) {
    // An empty vector's data() may be null, which SQLite would bind as NULL: give it a byte.
    static const uint8_t empty = 0;
    statement.bindNoCopy(index, b->empty() ? &empty : b->data(), static_cast<int>(b->size()));
  } else {
    statement.bind(index);
  }
}

class SqliteDatabase final : public Database {
 public:
  explicit SqliteDatabase(const std::string& path)
      : db_(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, busy_timeout_ms) {
    // WAL lets readers run beside the one writer. In WAL mode synchronous=NORMAL still makes a
    // commit survive a crash of the process (kill -9): only a power loss of the host may roll
    // back the last transactions. FULL would fsync the log on every commit.
    db_.exec("PRAGMA journal_mode=WAL");
    db_.exec("PRAGMA synchronous=NORMAL");
    db_.exec("PRAGMA foreign_keys=ON");
  }

  Dialect dialect() const override { return Dialect::sqlite; }

  std::vector<Row> query(const std::string& sql, const std::vector<Value>& params) override {
    try {
      SQLite::Statement& statement = prepared(sql);
      // Reset on the way out too: a statement left mid-result keeps its read snapshot open.
      struct Reset {
        SQLite::Statement& s;
        ~Reset() {
          s.tryReset();       // the step's error, if any, was thrown already
          s.clearBindings();  // drops the pointers bindNoCopy left (sqlite3_clear_bindings cannot fail)
        }
      } reset{statement};
      const auto expected = static_cast<size_t>(statement.getBindParameterCount());
      if (expected != params.size())
        throw DatabaseError(DatabaseError::Kind::other, "statement takes " + std::to_string(expected) +
                                                            " parameters, got " + std::to_string(params.size()) +
                                                            ": " + sql);
      for (size_t i = 0; i < params.size(); ++i) bind_value(statement, static_cast<int>(i + 1), params[i]);
      std::vector<Row> rows;
      while (statement.executeStep()) {
        Row row;
        row.reserve(static_cast<size_t>(statement.getColumnCount()));
        for (int c = 0; c < statement.getColumnCount(); ++c) row.push_back(column_value(statement.getColumn(c)));
        rows.push_back(std::move(row));
      }
      return rows;
    } catch (const SQLite::Exception& e) {
      throw map_error(e);
    }
  }

  void execute_script(const std::string& sql) override {
    try {
      db_.exec(sql);  // sqlite3_exec: runs every ';'-separated statement in turn
    } catch (const SQLite::Exception& e) {
      throw map_error(e);
    }
  }

  void transaction(const std::function<void()>& fn, bool exclusive) override {
    if (in_transaction_) {  // nested: part of the outer transaction
      fn();
      return;
    }
    // IMMEDIATE takes the write lock now, waiting through busy_timeout; a deferred BEGIN that
    // later writes may meet SQLITE_BUSY at once when another writer committed meanwhile.
    execute_script(exclusive ? "BEGIN IMMEDIATE" : "BEGIN");
    in_transaction_ = true;
    try {
      fn();
      execute_script("COMMIT");
      in_transaction_ = false;
    } catch (...) {
      in_transaction_ = false;
      // Some errors (SQLITE_FULL, an interrupted write) already rolled back on their own.
      if (!sqlite3_get_autocommit(db_.getHandle())) sqlite3_exec(db_.getHandle(), "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }

 private:
  SQLite::Statement& prepared(const std::string& sql) {
    auto found = statements_.find(sql);
    if (found != statements_.end()) return *found->second;
    if (statements_.size() >= statement_cache_limit) statements_.clear();
    auto statement = std::make_unique<SQLite::Statement>(db_, sql);
    return *statements_.emplace(sql, std::move(statement)).first->second;
  }

  SQLite::Database db_;
  // Declared after db_ so the statements are finalized before the connection closes.
  std::unordered_map<std::string, std::unique_ptr<SQLite::Statement>> statements_;
  bool in_transaction_ = false;
};

}  // namespace

std::unique_ptr<Database> open_sqlite(const std::string& path) {
  if (path.empty()) throw DatabaseError(DatabaseError::Kind::other, "empty SQLite database path");
  try {
    return std::make_unique<SqliteDatabase>(path);
  } catch (const SQLite::Exception& e) {
    throw DatabaseError(DatabaseError::Kind::other, "cannot open SQLite database '" + path + "': " + e.what());
  }
}

}  // namespace otakit::server
