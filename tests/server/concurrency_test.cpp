// Two connections writing the same row at once: every increment lands (SQLite waits on the
// write lock through busy_timeout; PostgreSQL's row lock orders the updates).
#include <gtest/gtest.h>

#include <thread>

#include "tests/server/engine_test.h"

namespace otakit::server::test {
namespace {

class ConcurrencyTest : public EngineTest {};
OTAKIT_INSTANTIATE_ON_BOTH_ENGINES(ConcurrencyTest);

TEST_P(ConcurrencyTest, TwoWritersIncrementingEndAtTheExactSum) {
  constexpr int per_writer = 200;
  db_->execute_script("CREATE TABLE counter (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)");
  db_->query("INSERT INTO counter (id, n) VALUES (1, 0)");
  std::string errors[2];
  StartLine start(2);
  std::vector<std::thread> writers;
  for (int w = 0; w < 2; ++w) {
    writers.emplace_back([&, w] {
      try {
        auto db = connect();
        start.arrive_and_wait();
        for (int i = 0; i < per_writer; ++i)
          db->transaction([&] { db->query("UPDATE counter SET n = n + 1 WHERE id = ?", {int64_t{1}}); });
      } catch (const std::exception& e) {
        errors[w] = e.what();
      }
    });
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(errors[0], "");
  EXPECT_EQ(errors[1], "");
  EXPECT_EQ(db_->query("SELECT n FROM counter WHERE id = 1"), (std::vector<Row>{{int64_t{2 * per_writer}}}));
}

}  // namespace
}  // namespace otakit::server::test
