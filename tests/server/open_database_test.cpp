// open_database()'s URL forms, the column helpers and the PostgreSQL placeholder rewriting:
// the parts that need no server.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "server/store/database.h"
#include "server/store/postgres_database.h"

namespace otakit::server {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "otakit-open-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void expect_error_mentions(const std::string& url, const std::string& words) {
  try {
    open_database(url);
    ADD_FAILURE() << url << " opened";
  } catch (const DatabaseError& e) {
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
  }
}

TEST(OpenDatabase, SqliteUrlForms) {
  TempDir dir;
  const std::string abs = dir.path() + "/a.db";
  open_database("sqlite://" + abs)->execute_script("CREATE TABLE t (k BIGINT)");
  EXPECT_TRUE(fs::exists(abs));
  // A plain path and the "sqlite:" form name the same file.
  EXPECT_EQ(open_database(abs)->query("SELECT COUNT(*) FROM t"), (std::vector<Row>{{int64_t{0}}}));
  EXPECT_EQ(open_database("sqlite:" + abs)->dialect(), Dialect::sqlite);

  // "sqlite:relative.db" is relative to the working directory.
  const fs::path before = fs::current_path();
  fs::current_path(dir.path());
  open_database("sqlite:relative.db")->execute_script("CREATE TABLE r (k BIGINT)");
  fs::current_path(before);
  EXPECT_TRUE(fs::exists(dir.path() + "/relative.db"));
}

TEST(OpenDatabase, TheSqliteConnectionRunsInWalMode) {
  TempDir dir;
  auto db = open_database(dir.path() + "/w.db");
  EXPECT_EQ(db->query("PRAGMA journal_mode"), (std::vector<Row>{{std::string("wal")}}));
  EXPECT_EQ(db->query("PRAGMA synchronous"), (std::vector<Row>{{int64_t{1}}}));  // NORMAL
  EXPECT_EQ(db->query("PRAGMA foreign_keys"), (std::vector<Row>{{int64_t{1}}}));
}

TEST(OpenDatabase, BadUrlsAreRefusedClearly) {
  expect_error_mentions("mysql://localhost/fleet", "unknown database scheme 'mysql'");
  expect_error_mentions("sqlite://host/fleet.db", "sqlite:///abs/path.db");
  expect_error_mentions("", "empty");
  expect_error_mentions("sqlite:", "empty");
  expect_error_mentions("/nonexistent-dir/sub/fleet.db", "cannot open SQLite database");
}

TEST(OpenDatabase, AnUnreachablePostgresServerIsConnectionLost) {
  try {
    open_database("postgresql://otakit@127.0.0.1:1/none?connect_timeout=5");
    ADD_FAILURE() << "connected";
  } catch (const DatabaseError& e) {
    EXPECT_EQ(e.kind(), DatabaseError::Kind::connection_lost) << e.what();
  }
}

TEST(ColumnHelpers, ReadEachTypeAndNull) {
  EXPECT_EQ(as_int(Value{int64_t{5}}), 5);
  EXPECT_EQ(as_int(Value{Null{}}, -1), -1);
  EXPECT_EQ(as_int(Value{std::string("12345678901234")}), 12345678901234);  // PostgreSQL's NUMERIC
  EXPECT_THROW(as_int(Value{std::string("12x")}), DatabaseError);
  EXPECT_EQ(as_text(Value{std::string("a")}), "a");
  EXPECT_EQ(as_text(Value{Null{}}), "");
  EXPECT_EQ(as_blob(Value{std::vector<uint8_t>{0, 1}}), (std::vector<uint8_t>{0, 1}));
  EXPECT_TRUE(as_blob(Value{Null{}}).empty());
  EXPECT_THROW(as_blob(Value{int64_t{1}}), DatabaseError);
  EXPECT_TRUE(is_null(Value{Null{}}));
  EXPECT_FALSE(is_null(Value{int64_t{0}}));
}

TEST(PostgresPlaceholders, NumberedInOrderWithTheirCasts) {
  const auto n = number_placeholders("UPDATE t SET a = ?, b = ? WHERE c = ?", {"::bigint", "", "::text"});
  EXPECT_EQ(n.sql, "UPDATE t SET a = $1::bigint, b = $2 WHERE c = $3::text");
  EXPECT_EQ(n.placeholders, 3u);
}

TEST(PostgresPlaceholders, QuotedTextAndCommentsAreLeftAlone) {
  EXPECT_EQ(number_placeholders("SELECT 'a?', ?, 'it''s ?', \"odd?name\" FROM t -- why?\nWHERE x = ? /* ? */")
                .sql,
            "SELECT 'a?', $1, 'it''s ?', \"odd?name\" FROM t -- why?\nWHERE x = $2 /* ? */");
  const auto unterminated = number_placeholders("SELECT ? 'open ?");
  EXPECT_EQ(unterminated.sql, "SELECT $1 'open ?");
  EXPECT_EQ(unterminated.placeholders, 1u);
}

}  // namespace
}  // namespace otakit::server
