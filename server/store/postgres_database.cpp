// The PostgreSQL driver: libpqxx 6.4, one connection, prepared statements cached by their SQL
// text and parameter types, one pqxx::work per transaction() or per lone query().
#include "server/store/postgres_database.h"

#include <pqxx/pqxx>

#include <optional>
#include <unordered_map>

namespace otakit::server {
namespace {

constexpr size_t statement_cache_limit = 256;  // as in the SQLite driver

// Type OIDs from PostgreSQL's pg_type.dat; stable across versions.
constexpr pqxx::oid bool_oid = 16, bytea_oid = 17, int8_oid = 20, int2_oid = 21, int4_oid = 23;

DatabaseError map_error(const pqxx::sql_error& e) {
  const std::string& state = e.sqlstate();
  if (state == "23505") return DatabaseError(DatabaseError::Kind::unique_violation, e.what());
  if (state == "40001" || state == "40P01")
    return DatabaseError(DatabaseError::Kind::serialization_failure, e.what());
  // Class 08: connection exceptions; 57P01..03: the server shut down or is restarting.
  if (state.compare(0, 2, "08") == 0 || state.compare(0, 3, "57P") == 0)
    return DatabaseError(DatabaseError::Kind::connection_lost, e.what());
  return DatabaseError(DatabaseError::Kind::other, e.what());
}

// Runs f, translating libpqxx's exceptions into DatabaseError.
template <typename F>
auto mapped(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const pqxx::sql_error& e) {
    throw map_error(e);
  } catch (const pqxx::broken_connection& e) {
    throw DatabaseError(DatabaseError::Kind::connection_lost, e.what());
  } catch (const pqxx::in_doubt_error& e) {  // the connection broke during COMMIT
    throw DatabaseError(DatabaseError::Kind::connection_lost, e.what());
  } catch (const pqxx::deadlock_detected& e) {
    throw DatabaseError(DatabaseError::Kind::serialization_failure, e.what());
  } catch (const pqxx::serialization_failure& e) {
    throw DatabaseError(DatabaseError::Kind::serialization_failure, e.what());
  } catch (const pqxx::failure& e) {
    throw DatabaseError(DatabaseError::Kind::other, e.what());
  } catch (const pqxx::usage_error& e) {
    throw DatabaseError(DatabaseError::Kind::other, e.what());
  }
}

// The cast that gives each parameter its type: PostgreSQL would otherwise infer it from the
// context, and read "SELECT ?" as text or "? - 60000" as a 32-bit integer. A NULL stays untyped
// so it fits any column.
std::string cast_for(const Value& v) {
  if (std::holds_alternative<int64_t>(v)) return "::bigint";
  if (std::holds_alternative<std::string>(v)) return "::text";
  if (std::holds_alternative<std::vector<uint8_t>>(v)) return "::bytea";
  return "";
}

// Parameters travel in libpq's text format: bytea as its hex form "\x0a1b...".
std::optional<std::string> param_text(const Value& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (const auto* s = std::get_if<std::string>(&v)) {
    // libpq reads a text parameter up to its first NUL: refuse rather than store a cut value.
    if (s->find('\0') != std::string::npos)
      throw DatabaseError(DatabaseError::Kind::other, "PostgreSQL text cannot hold a NUL byte: bind a blob");
    return *s;
  }
  if (const auto* b = std::get_if<std::vector<uint8_t>>(&v)) {
    static const char digits[] = "0123456789abcdef";
    std::string hex = "\\x";
    hex.reserve(2 + b->size() * 2);
    for (uint8_t byte : *b) {
      hex.push_back(digits[byte >> 4]);
      hex.push_back(digits[byte & 0xf]);
    }
    return hex;
  }
  return std::nullopt;
}

Value field_value(const pqxx::field& f) {
  if (f.is_null()) return Null{};
  const pqxx::oid type = f.type();
  if (type == int8_oid || type == int4_oid || type == int2_oid) return f.as<int64_t>();
  // SQLite has no boolean: "x IS NULL" or EXISTS (...) read 0/1 on both engines.
  if (type == bool_oid) return int64_t{f.c_str()[0] == 't' ? 1 : 0};
  if (type == bytea_oid) {
    const pqxx::binarystring bytes(f);
    return std::vector<uint8_t>(bytes.data(), bytes.data() + bytes.size());
  }
  return std::string(f.c_str(), f.size());
}

std::vector<Row> rows_of(const pqxx::result& result) {
  std::vector<Row> rows;
  rows.reserve(result.size());
  for (const auto& r : result) {
    Row row;
    row.reserve(r.size());
    for (const auto& f : r) row.push_back(field_value(f));
    rows.push_back(std::move(row));
  }
  return rows;
}

class PostgresDatabase final : public Database {
 public:
  explicit PostgresDatabase(const std::string& url) : connection_(url) {}

  Dialect dialect() const override { return Dialect::postgresql; }

  std::vector<Row> query(const std::string& sql, const std::vector<Value>& params) override {
    std::vector<std::optional<std::string>> texts;
    texts.reserve(params.size());
    for (const Value& v : params) texts.push_back(param_text(v));
    return mapped([&] {
      const std::string& name = prepared(sql, params);
      auto run = [&](pqxx::work& work) {
        return rows_of(work.exec_prepared(name, pqxx::prepare::make_dynamic_params(texts)));
      };
      if (work_) return run(*work_);
      pqxx::work work(connection_);  // a lone statement: its own short transaction
      auto rows = run(work);
      work.commit();
      return rows;
    });
  }

  void execute_script(const std::string& sql) override {
    mapped([&] {
      if (work_) {
        work_->exec(sql);  // the simple query protocol runs every statement of the script
        return;
      }
      pqxx::work work(connection_);
      work.exec(sql);
      work.commit();
    });
  }

  // exclusive does nothing here: the store locks rows with SELECT ... FOR UPDATE.
  void transaction(const std::function<void()>& fn, bool /*exclusive*/) override {
    if (work_) {  // nested: part of the outer transaction
      fn();
      return;
    }
    mapped([&] { work_ = std::make_unique<pqxx::work>(connection_); });
    try {
      fn();
      mapped([&] { work_->commit(); });
    } catch (...) {
      work_.reset();  // pqxx::work's destructor rolls back
      throw;
    }
    work_.reset();
  }

 private:
  // The statement's name, preparing it on first use. Parameter types are part of the key
  // because they are part of the rewritten text (the casts).
  const std::string& prepared(const std::string& sql, const std::vector<Value>& params) {
    std::string key = sql;
    key.push_back('\0');
    for (const Value& v : params) key.push_back(static_cast<char>('0' + v.index()));
    auto found = names_.find(key);
    if (found != names_.end()) return found->second;

    std::vector<std::string> casts;
    casts.reserve(params.size());
    for (const Value& v : params) casts.push_back(cast_for(v));
    const NumberedSql numbered = number_placeholders(sql, casts);
    if (numbered.placeholders != params.size())
      throw DatabaseError(DatabaseError::Kind::other, "statement takes " + std::to_string(numbered.placeholders) +
                                                          " parameters, got " + std::to_string(params.size()) +
                                                          ": " + sql);
    // DEALLOCATE runs on the connection beside the transaction: only between transactions.
    if (names_.size() >= statement_cache_limit && !work_) {
      for (const auto& entry : names_) connection_.unprepare(entry.second);
      names_.clear();
    }
    std::string name = "otakit_" + std::to_string(++statements_made_);
    connection_.prepare(name, numbered.sql);
    return names_.emplace(std::move(key), std::move(name)).first->second;
  }

  pqxx::connection connection_;
  std::unique_ptr<pqxx::work> work_;  // the open transaction(), if any
  std::unordered_map<std::string, std::string> names_;
  uint64_t statements_made_ = 0;
};

}  // namespace

NumberedSql number_placeholders(const std::string& sql, const std::vector<std::string>& casts) {
  NumberedSql out;
  out.sql.reserve(sql.size() + 8);
  size_t i = 0;
  // Copies sql[i..] up to and including the first `end` after it (or to the end of the text).
  auto copy_through = [&](const std::string& end) {
    const size_t stop = sql.find(end, i);
    const size_t next = stop == std::string::npos ? sql.size() : stop + end.size();
    out.sql.append(sql, i, next - i);
    i = next;
  };
  while (i < sql.size()) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {
      // A doubled quote inside ('it''s') reads as the literal's end and a new start: same result.
      out.sql.push_back(c);
      ++i;
      copy_through(std::string(1, c));
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      copy_through("\n");
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      out.sql.append("/*");
      i += 2;
      copy_through("*/");
    } else if (c == '?') {
      out.sql += "$" + std::to_string(out.placeholders + 1);
      if (out.placeholders < casts.size()) out.sql += casts[out.placeholders];
      ++out.placeholders;
      ++i;
    } else {
      out.sql.push_back(c);
      ++i;
    }
  }
  return out;
}

std::unique_ptr<Database> open_postgres(const std::string& url) {
  return mapped([&] { return std::make_unique<PostgresDatabase>(url); });
}

}  // namespace otakit::server
