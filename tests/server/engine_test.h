// The fixture of the store's tests: each TEST_P runs once on SQLite (a temp file) and once on
// PostgreSQL (a fresh database on the binary's private server, tests/server/postgres_fixture.h).
#pragma once
#include <gtest/gtest.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>

#include "server/store/database.h"

namespace otakit::server {
inline void PrintTo(const Null&, std::ostream* os) { *os << "NULL"; }
}  // namespace otakit::server

namespace otakit::server::test {

class EngineTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override;
  void TearDown() override;
  // Another connection to the same database (each thread holds its own).
  std::unique_ptr<Database> connect() const { return open_database(url_); }
  // The SQL with {id} and {blob} spelled for this engine.
  std::string sql(const std::string& text) const;

  std::string url_;
  std::unique_ptr<Database> db_;  // opened in SetUp

 private:
  std::string sqlite_dir_;
};

// Names the instances "sqlite" and "postgresql" in the test names.
std::string engine_name(const ::testing::TestParamInfo<std::string>& info);

#define OTAKIT_INSTANTIATE_ON_BOTH_ENGINES(suite)                                                    \
  INSTANTIATE_TEST_SUITE_P(Engines, suite, ::testing::Values("sqlite", "postgresql"),                \
                           ::otakit::server::test::engine_name)

// Lets threads start together: each calls arrive_and_wait(); all leave when the last arrives.
class StartLine {
 public:
  explicit StartLine(int threads) : waiting_(threads) {}
  void arrive_and_wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (--waiting_ == 0) all_here_.notify_all();
    all_here_.wait(lock, [&] { return waiting_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable all_here_;
  int waiting_;
};

}  // namespace otakit::server::test
