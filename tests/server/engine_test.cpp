// EngineTest: a fresh database on the parameter's engine for every test.
#include "tests/server/engine_test.h"

#include <stdlib.h>

#include <filesystem>

#include "server/store/migrations.h"
#include "tests/server/postgres_fixture.h"

namespace otakit::server::test {

void EngineTest::SetUp() {
  if (GetParam() == "sqlite") {
    std::string pattern = (std::filesystem::temp_directory_path() / "otakit-sqlite-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    sqlite_dir_ = pattern;
    url_ = "sqlite://" + sqlite_dir_ + "/test.db";
  } else {
    try {
      url_ = PostgresServer::shared().create_database();
    } catch (const std::exception& e) {
      FAIL() << "no PostgreSQL server for the test: " << e.what();
    }
  }
  db_ = open_database(url_);
}

void EngineTest::TearDown() {
  db_.reset();
  if (!sqlite_dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(sqlite_dir_, ec);
  }
}

std::string EngineTest::sql(const std::string& text) const { return dialect_sql(text, db_->dialect()); }

std::string engine_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

}  // namespace otakit::server::test
