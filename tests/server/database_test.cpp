// The drivers against the same expectations on both engines: values, placeholders, errors,
// transactions, RETURNING and ON CONFLICT.
#include <gtest/gtest.h>

#include <limits>
#include <stdexcept>

#include "server/store/database.h"
#include "tests/server/engine_test.h"

namespace otakit::server::test {
namespace {

using Blob = std::vector<uint8_t>;

class DatabaseTest : public EngineTest {};
OTAKIT_INSTANTIATE_ON_BOTH_ENGINES(DatabaseTest);

int64_t count(Database& db, const std::string& table) {
  return as_int(db.query("SELECT COUNT(*) FROM " + table).at(0).at(0));
}

TEST_P(DatabaseTest, ReportsItsDialect) {
  EXPECT_EQ(db_->dialect(), GetParam() == "sqlite" ? Dialect::sqlite : Dialect::postgresql);
}

TEST_P(DatabaseTest, EveryValueTypeRoundTripsThroughATable) {
  db_->execute_script(sql("CREATE TABLE v (k BIGINT PRIMARY KEY, i BIGINT, s TEXT, b {blob})"));
  const Blob bytes = {0x00, 0x01, 0xff, 0x00, 0x7f, 0x80, 0x00};
  const std::vector<Row> rows = {
      {int64_t{1}, std::numeric_limits<int64_t>::max(), std::string("naïve 'quoted' \"text\""), bytes},
      {int64_t{2}, std::numeric_limits<int64_t>::min(), std::string(""), Blob{}},
      {int64_t{3}, Null{}, Null{}, Null{}},
  };
  for (const Row& row : rows) db_->query("INSERT INTO v (k, i, s, b) VALUES (?, ?, ?, ?)", row);
  EXPECT_EQ(db_->query("SELECT k, i, s, b FROM v ORDER BY k"), rows);
}

TEST_P(DatabaseTest, ASelectedParameterKeepsItsType) {
  const Row row = {int64_t{-42}, std::string("text"), Blob{0x00, 0xab}, Null{}};
  EXPECT_EQ(db_->query("SELECT ?, ?, ?, ?", row), std::vector<Row>{row});
}

TEST_P(DatabaseTest, TimeArithmeticOnAParameterIs64Bit) {
  // Milliseconds since the epoch overflow 32 bits: a parameter PostgreSQL guessed as int4 fails.
  const int64_t now_ms = 1'700'000'000'000;
  EXPECT_EQ(as_int(db_->query("SELECT ? - 60000", {now_ms}).at(0).at(0)), now_ms - 60000);
}

TEST_P(DatabaseTest, ANullParameterWithACastAndBooleansReadAsIntegers) {
  // PostgreSQL cannot type a lone NULL in "? IS NULL": the CAST spelling works on both engines.
  const std::string sql = "SELECT CAST(? AS BIGINT) IS NULL, 2 > 1, 1 > 2";
  EXPECT_EQ(db_->query(sql, {Null{}}), (std::vector<Row>{{int64_t{1}, int64_t{1}, int64_t{0}}}));
  EXPECT_EQ(db_->query(sql, {int64_t{3}}), (std::vector<Row>{{int64_t{0}, int64_t{1}, int64_t{0}}}));
}

TEST_P(DatabaseTest, AQuestionMarkInsideALiteralIsNotAPlaceholder) {
  const auto rows = db_->query("SELECT 'what?', ?, 'it''s ?' -- really?\n", {std::string("x")});
  EXPECT_EQ(rows, (std::vector<Row>{{std::string("what?"), std::string("x"), std::string("it's ?")}}));
}

TEST_P(DatabaseTest, AWrongParameterCountIsAnError) {
  EXPECT_THROW(db_->query("SELECT ?, ?", {int64_t{1}}), DatabaseError);
}

TEST_P(DatabaseTest, ADuplicateKeyIsAUniqueViolation) {
  db_->execute_script("CREATE TABLE u (k TEXT PRIMARY KEY, other TEXT UNIQUE)");
  db_->query("INSERT INTO u (k, other) VALUES (?, ?)", {std::string("a"), std::string("x")});
  for (const Row& dup : {Row{std::string("a"), std::string("y")}, Row{std::string("b"), std::string("x")}}) {
    try {
      db_->query("INSERT INTO u (k, other) VALUES (?, ?)", dup);
      ADD_FAILURE() << "the duplicate went in";
    } catch (const DatabaseError& e) {
      EXPECT_EQ(e.kind(), DatabaseError::Kind::unique_violation) << e.what();
    }
  }
  // The connection is still usable after the failed statements.
  EXPECT_EQ(count(*db_, "u"), 1);
}

TEST_P(DatabaseTest, OtherFailuresAreKindOther) {
  try {
    db_->query("SELECT nothing FROM nowhere");
    ADD_FAILURE() << "no error";
  } catch (const DatabaseError& e) {
    EXPECT_EQ(e.kind(), DatabaseError::Kind::other) << e.what();
  }
}

TEST_P(DatabaseTest, AThrowRollsTheTransactionBack) {
  db_->execute_script("CREATE TABLE t (k BIGINT)");
  EXPECT_THROW(db_->transaction([&] {
    db_->query("INSERT INTO t (k) VALUES (?)", {int64_t{1}});
    db_->query("INSERT INTO t (k) VALUES (?)", {int64_t{2}});
    throw std::runtime_error("boom");
  }),
               std::runtime_error);
  EXPECT_EQ(count(*db_, "t"), 0);
  // And the connection takes a new transaction afterwards.
  db_->transaction([&] { db_->query("INSERT INTO t (k) VALUES (?)", {int64_t{3}}); });
  EXPECT_EQ(count(*db_, "t"), 1);
}

TEST_P(DatabaseTest, ANestedTransactionIsPartOfTheOuterOne) {
  db_->execute_script("CREATE TABLE t (k BIGINT)");
  db_->transaction([&] {
    db_->query("INSERT INTO t (k) VALUES (1)");
    db_->transaction([&] { db_->query("INSERT INTO t (k) VALUES (2)"); }, false);
  });
  EXPECT_EQ(count(*db_, "t"), 2);

  EXPECT_THROW(db_->transaction([&] {
    db_->transaction([&] { db_->query("INSERT INTO t (k) VALUES (3)"); });
    throw std::runtime_error("after the inner one returned");
  }),
               std::runtime_error);
  EXPECT_EQ(count(*db_, "t"), 2);
}

TEST_P(DatabaseTest, AWriteOutsideATransactionIsCommitted) {
  db_->execute_script("CREATE TABLE t (k BIGINT)");
  db_->query("INSERT INTO t (k) VALUES (?)", {int64_t{7}});
  auto other = connect();
  EXPECT_EQ(other->query("SELECT k FROM t"), (std::vector<Row>{{int64_t{7}}}));
}

TEST_P(DatabaseTest, AnOpenTransactionIsInvisibleToOthersUntilCommit) {
  db_->execute_script("CREATE TABLE t (k BIGINT)");
  auto other = connect();
  db_->transaction([&] {
    db_->query("INSERT INTO t (k) VALUES (1)");
    EXPECT_EQ(count(*other, "t"), 0);
  });
  EXPECT_EQ(count(*other, "t"), 1);
}

TEST_P(DatabaseTest, ReturningGivesTheNewRowsId) {
  db_->execute_script(sql("CREATE TABLE f (id {id}, name TEXT NOT NULL)"));
  const auto first = db_->query("INSERT INTO f (name) VALUES (?) RETURNING id", {std::string("a")});
  const auto second = db_->query("INSERT INTO f (name) VALUES (?) RETURNING id, name", {std::string("b")});
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(as_int(second[0][0]), as_int(first[0][0]) + 1);
  EXPECT_EQ(as_text(second[0][1]), "b");
}

TEST_P(DatabaseTest, OnConflictDoUpdateUpserts) {
  db_->execute_script("CREATE TABLE c (k TEXT PRIMARY KEY, n BIGINT NOT NULL, last TEXT NOT NULL)");
  const std::string upsert =
      "INSERT INTO c (k, n, last) VALUES (?, 1, ?) "
      "ON CONFLICT (k) DO UPDATE SET n = c.n + 1, last = excluded.last RETURNING n";
  EXPECT_EQ(as_int(db_->query(upsert, {std::string("a"), std::string("x")}).at(0).at(0)), 1);
  EXPECT_EQ(as_int(db_->query(upsert, {std::string("a"), std::string("y")}).at(0).at(0)), 2);
  EXPECT_EQ(db_->query("SELECT k, n, last FROM c"),
            (std::vector<Row>{{std::string("a"), int64_t{2}, std::string("y")}}));
}

TEST_P(DatabaseTest, ForeignKeysAreEnforced) {
  db_->execute_script("CREATE TABLE p (id BIGINT PRIMARY KEY); CREATE TABLE ch (p BIGINT REFERENCES p(id))");
  EXPECT_THROW(db_->query("INSERT INTO ch (p) VALUES (?)", {int64_t{9}}), DatabaseError);
}

TEST_P(DatabaseTest, TheSameStatementRunsManyTimes) {
  // Exercises the prepared-statement cache, including a statement whose types change.
  db_->execute_script("CREATE TABLE t (k BIGINT, s TEXT)");
  for (int64_t i = 0; i < 300; ++i)
    db_->query("INSERT INTO t (k, s) VALUES (?, ?)", {i, i % 2 ? Value{Null{}} : Value{std::to_string(i)}});
  EXPECT_EQ(count(*db_, "t"), 300);
  EXPECT_EQ(as_int(db_->query("SELECT SUM(k) FROM t").at(0).at(0)), 299 * 300 / 2);
}

}  // namespace
}  // namespace otakit::server::test
