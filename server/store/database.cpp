// The column helpers and open_database(): picks the driver from the URL's scheme.
#include "server/store/database.h"

#include <cctype>
#include <charconv>

#include "server/store/postgres_database.h"
#include "server/store/sqlite_database.h"

namespace otakit::server {

int64_t as_int(const Value& v, int64_t fallback) {
  if (std::holds_alternative<Null>(v)) return fallback;
  if (const auto* i = std::get_if<int64_t>(&v)) return *i;
  if (const auto* s = std::get_if<std::string>(&v)) {
    // PostgreSQL returns SUM(bigint) and other NUMERIC results as text.
    int64_t parsed = 0;
    const char* end = s->data() + s->size();
    auto [ptr, ec] = std::from_chars(s->data(), end, parsed);
    if (ec == std::errc() && ptr == end && !s->empty()) return parsed;
    throw DatabaseError(DatabaseError::Kind::other, "column is not an integer: '" + *s + "'");
  }
  throw DatabaseError(DatabaseError::Kind::other, "column is a blob, not an integer");
}

std::string as_text(const Value& v) {
  if (std::holds_alternative<Null>(v)) return "";
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  throw DatabaseError(DatabaseError::Kind::other, "column is a blob, not text");
}

std::vector<uint8_t> as_blob(const Value& v) {
  if (std::holds_alternative<Null>(v)) return {};
  if (const auto* b = std::get_if<std::vector<uint8_t>>(&v)) return *b;
  // SQLite keeps what was stored: bytes written as text come back as text.
  if (const auto* s = std::get_if<std::string>(&v)) return {s->begin(), s->end()};
  throw DatabaseError(DatabaseError::Kind::other, "column is an integer, not a blob");
}

bool is_null(const Value& v) { return std::holds_alternative<Null>(v); }

namespace {

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// "name://" at the start, as in RFC 3986: a letter, then letters, digits, '+', '-' or '.'.
std::string url_scheme(const std::string& url) {
  const auto colon = url.find("://");
  if (colon == std::string::npos || colon == 0 || !std::isalpha(static_cast<unsigned char>(url[0])))
    return "";
  for (size_t i = 1; i < colon; ++i) {
    const char c = url[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return "";
  }
  return url.substr(0, colon);
}

}  // namespace

std::unique_ptr<Database> open_database(const std::string& url) {
  if (url.empty()) throw DatabaseError(DatabaseError::Kind::other, "empty database URL");
  if (starts_with(url, "sqlite://")) {
    // Only the empty authority is meaningful: "sqlite:///abs/path.db".
    const std::string path = url.substr(9);
    if (path.empty() || path[0] != '/')
      throw DatabaseError(DatabaseError::Kind::other,
                          "bad SQLite URL '" + url + "': use sqlite:///abs/path.db or sqlite:relative.db");
    return open_sqlite(path);
  }
  if (starts_with(url, "sqlite:")) return open_sqlite(url.substr(7));
  const std::string scheme = url_scheme(url);
  if (scheme == "postgresql" || scheme == "postgres") return open_postgres(url);
  if (!scheme.empty())
    throw DatabaseError(DatabaseError::Kind::other,
                        "unknown database scheme '" + scheme + "' in '" + url +
                            "': use sqlite:///path.db, a file path, or postgresql://...");
  return open_sqlite(url);  // a plain file path
}

}  // namespace otakit::server
