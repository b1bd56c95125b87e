// The SQL driver boundary: FleetStore is written once against this interface, and SQLite and
// PostgreSQL each supply a driver. Statements use '?' placeholders; a driver rewrites them to its
// own form ($1, $2, ... for PostgreSQL). Values are the four types both engines share.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace otakit::server {

struct Null {
  bool operator==(const Null&) const { return true; }
};
// INTEGER/BIGINT, TEXT, BLOB/BYTEA, NULL. Booleans are integers 0/1 in both engines' schemas.
using Value = std::variant<Null, int64_t, std::string, std::vector<uint8_t>>;
using Row = std::vector<Value>;

// A statement failed. unique_violation tells a caller that an INSERT met an existing key
// (a concurrent writer won the race), which callers handle instead of reporting. On PostgreSQL a
// failed statement aborts the whole enclosing transaction(): handle it outside the transaction
// (retry the transaction), or avoid it with INSERT ... ON CONFLICT.
class DatabaseError : public std::runtime_error {
 public:
  enum class Kind { other, unique_violation, serialization_failure, connection_lost };
  DatabaseError(Kind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

enum class Dialect { sqlite, postgresql };

// One connection. Not thread-safe: each thread that talks to the database holds its own.
class Database {
 public:
  virtual ~Database() = default;
  virtual Dialect dialect() const = 0;

  // Runs one statement; returns the rows it produced (empty for most writes). Outside
  // transaction() the statement commits on its own.
  // Parameters keep their type on PostgreSQL too (bigint, text, bytea); a NULL has none, so where
  // the context does not give one ("? IS NULL") write CAST(? AS BIGINT), which both engines read.
  // PostgreSQL text cannot hold a NUL byte (bind a blob). Results: integers and booleans (0/1)
  // read as int64_t, BLOB/BYTEA as bytes, anything else as text (e.g. PostgreSQL's SUM(bigint)
  // is NUMERIC: as_int() reads an integer text).
  virtual std::vector<Row> query(const std::string& sql, const std::vector<Value>& params = {}) = 0;
  // Runs several statements without parameters (a migration script).
  virtual void execute_script(const std::string& sql) = 0;

  // Runs fn inside one transaction and commits; rolls back and rethrows if fn throws.
  // exclusive: take the write lock at the start (SQLite BEGIN IMMEDIATE; PostgreSQL ignores it:
  // it locks rows with SELECT ... FOR UPDATE where the store needs it). A nested call runs fn in
  // the outer transaction (no savepoint): what fn did commits or rolls back with the outer one.
  virtual void transaction(const std::function<void()>& fn, bool exclusive = true) = 0;
};

// Column helpers: a NULL integer reads as fallback; a NULL text reads as "".
int64_t as_int(const Value& v, int64_t fallback = 0);
std::string as_text(const Value& v);
std::vector<uint8_t> as_blob(const Value& v);
bool is_null(const Value& v);

// Opens a connection from a URL: "sqlite:///abs/path.db" or a file path (SQLite), or
// "postgresql://user@host:port/db" / "postgres://..." (PostgreSQL).
std::unique_ptr<Database> open_database(const std::string& url);

}  // namespace otakit::server
