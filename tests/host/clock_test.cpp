// The drivers' clocks: ManualClock's timers (order, ties, cancel, re-arm, owners that go away,
// the 32-bit wrap, times that have already come) and SteadyClock's, without waiting on real time.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>
#include <vector>

#include "net/clock.h"
#include "net/manual_clock.h"

namespace otakit::net {
namespace {

// What ran, with the clock time it ran at.
struct Journal {
  std::vector<std::string> entries;
  Timer::Handler note(const Clock& clock, std::string what) {
    return [this, &clock, what] { entries.push_back(what + "@" + std::to_string(clock.now_ms())); };
  }
};

class ManualTimers : public ::testing::Test {
 protected:
  boost::asio::io_context io;
  ManualClock clock;
  Journal journal;
};

TEST_F(ManualTimers, TimeMovesOnlyWhenAdvanced) {
  EXPECT_EQ(clock.now_ms(), 0u);
  io.poll();
  EXPECT_EQ(clock.now_ms(), 0u);
  clock.advance(1234);
  EXPECT_EQ(clock.now_ms(), 1234u);
  EXPECT_EQ(ManualClock(77).now_ms(), 77u);
}

TEST_F(ManualTimers, ATimerRunsExactlyAtItsDeadline) {
  auto timer = clock.make_timer(io);
  timer->start_after(50, journal.note(clock, "result"));
  clock.advance(49);
  EXPECT_TRUE(journal.entries.empty()) << "not at +49 ms";
  clock.advance(1);
  EXPECT_EQ(journal.entries, std::vector<std::string>{"result@50"});
  clock.advance(1000);
  EXPECT_EQ(journal.entries.size(), 1u) << "once";
  EXPECT_EQ(clock.pending(), 0u);
}

TEST_F(ManualTimers, DueTimersRunInDeadlineOrderTiesInStartOrderEachAtItsOwnTime) {
  auto late = clock.make_timer(io), early = clock.make_timer(io), tie_first = clock.make_timer(io),
       tie_second = clock.make_timer(io);
  late->start_at(300, journal.note(clock, "late"));
  tie_first->start_at(200, journal.note(clock, "tie-first"));
  early->start_at(100, journal.note(clock, "early"));
  tie_second->start_at(200, journal.note(clock, "tie-second"));
  uint32_t next = 0;
  ASSERT_TRUE(clock.next_deadline(&next));
  EXPECT_EQ(next, 100u);
  clock.advance(1000);
  EXPECT_EQ(journal.entries, (std::vector<std::string>{"early@100", "tie-first@200", "tie-second@200", "late@300"}));
  EXPECT_EQ(clock.now_ms(), 1000u);
  EXPECT_FALSE(clock.next_deadline(&next));
}

TEST_F(ManualTimers, HandlersStartingTimersWithinTheSpanRunInTheSameAdvance) {
  auto first = clock.make_timer(io), second = clock.make_timer(io), beyond = clock.make_timer(io);
  first->start_at(100, [&] {
    journal.entries.push_back("first@" + std::to_string(clock.now_ms()));
    second->start_after(50, journal.note(clock, "second"));
    beyond->start_after(500, journal.note(clock, "beyond"));
  });
  clock.advance(200);
  EXPECT_EQ(journal.entries, (std::vector<std::string>{"first@100", "second@150"}));
  clock.advance(400);
  EXPECT_EQ(journal.entries.back(), "beyond@600");
}

TEST_F(ManualTimers, CancelledTimerNeverRunsAndReleasesItsHandler) {
  auto timer = clock.make_timer(io);
  auto captured = std::make_shared<int>(1);
  std::weak_ptr<int> watch = captured;
  timer->start_after(10, [&, captured] { journal.entries.push_back("ran"); });
  captured.reset();
  timer->cancel();
  clock.advance(100);
  io.poll();
  EXPECT_TRUE(journal.entries.empty());
  EXPECT_TRUE(watch.expired()) << "released on the io_context, as asio releases a cancelled handler";
  timer->cancel();  // idempotent
}

TEST_F(ManualTimers, StartingAgainReplacesWhatWasPending) {
  auto timer = clock.make_timer(io);
  timer->start_at(100, journal.note(clock, "old"));
  timer->start_at(300, journal.note(clock, "new"));
  EXPECT_EQ(clock.pending(), 1u);
  clock.advance(200);
  EXPECT_TRUE(journal.entries.empty()) << "the first deadline was replaced";
  clock.advance(100);
  EXPECT_EQ(journal.entries, std::vector<std::string>{"new@300"});
}

TEST_F(ManualTimers, AHandlerMayStartItsOwnTimerAgain) {
  auto timer = clock.make_timer(io);
  std::function<void()> tick = [&] {
    journal.entries.push_back(std::to_string(clock.now_ms()));
    if (journal.entries.size() < 3) timer->start_after(250, tick);
  };
  timer->start_after(250, tick);
  clock.advance(2000);
  EXPECT_EQ(journal.entries, (std::vector<std::string>{"250", "500", "750"}));
}

TEST_F(ManualTimers, OwnerDestroyedWithATimerArmedIsNeverCalledBack) {
  struct Owner {
    Owner(ManualClock& c, boost::asio::io_context& context, Journal& j) : timer(c.make_timer(context)), seen(j) {}
    std::unique_ptr<Timer> timer;
    Journal& seen;
  };
  auto owner = std::make_unique<Owner>(clock, io, journal);
  owner->timer->start_after(10, [o = owner.get()] { o->seen.entries.push_back("owner ran"); });
  owner.reset();
  clock.advance(100);
  io.poll();
  EXPECT_TRUE(journal.entries.empty());
  EXPECT_EQ(clock.pending(), 0u);
}

// A handler that holds its owner, which holds the timer: the cycle asio breaks when the
// io_context goes away is broken here when the clock does; the timer outlives its clock.
TEST(ManualClock, PendingHandlersAreReleasedWithTheClock) {
  struct Owner {
    std::unique_ptr<Timer> timer;
  };
  boost::asio::io_context io;
  std::weak_ptr<Owner> watch;
  {
    ManualClock clock;
    auto owner = std::make_shared<Owner>();
    owner->timer = clock.make_timer(io);
    owner->timer->start_after(10, [owner] {});
    watch = owner;
  }
  EXPECT_TRUE(watch.expired());
}

TEST_F(ManualTimers, ATimeThatHasComeRunsOnTheIoContextNotInsideStart) {
  clock.advance(500);
  auto timer = clock.make_timer(io);
  timer->start_at(400, journal.note(clock, "past"));
  timer->start_at(500, journal.note(clock, "now"));  // replaces "past" before the io_context ran it
  EXPECT_TRUE(journal.entries.empty()) << "not synchronously in start_at()";
  io.poll();
  EXPECT_EQ(journal.entries, std::vector<std::string>{"now@500"});
  io.restart();
  timer->start_after(0, journal.note(clock, "cancelled"));
  timer->cancel();
  io.poll();
  EXPECT_EQ(journal.entries.size(), 1u) << "a cancelled due timer does not run from the queue";
}

TEST(ManualClock, DeadlinesOrderAcrossTheThirtyTwoBitWrap) {
  ManualClock clock(0xFFFFFF00u);
  boost::asio::io_context io;
  Journal journal;
  auto after_wrap = clock.make_timer(io), before_wrap = clock.make_timer(io);
  after_wrap->start_at(0x00000100u, journal.note(clock, "after"));
  before_wrap->start_at(0xFFFFFF80u, journal.note(clock, "before"));
  clock.advance(0x1FF);
  EXPECT_EQ(journal.entries, std::vector<std::string>{"before@" + std::to_string(0xFFFFFF80u)});
  clock.advance(1);
  EXPECT_EQ(journal.entries.back(), "after@256");
  EXPECT_EQ(clock.now_ms(), 0x100u);
}

// SteadyClock's timers with deadlines that have already come: the io_context runs them at once,
// so nothing here waits on real time.
TEST(SteadyClock, PassedDeadlineRunsOnTheIoContext) {
  SteadyClock clock;
  boost::asio::io_context io;
  bool ran = false;
  auto timer = clock.make_timer(io);
  timer->start_at(clock.now_ms() - 1000, [&] { ran = true; });
  EXPECT_FALSE(ran) << "not synchronously in start_at()";
  io.run();
  EXPECT_TRUE(ran);
}

TEST(SteadyClock, CancelledOrDestroyedTimersNeverRun) {
  SteadyClock clock;
  boost::asio::io_context io;
  int runs = 0;
  auto cancelled = clock.make_timer(io), destroyed = clock.make_timer(io), replaced = clock.make_timer(io);
  cancelled->start_at(clock.now_ms(), [&] { runs += 1; });
  cancelled->cancel();
  destroyed->start_at(clock.now_ms(), [&] { runs += 10; });
  destroyed.reset();
  replaced->start_at(clock.now_ms(), [&] { runs += 100; });
  replaced->start_at(clock.now_ms(), [&] { runs += 1000; });
  io.run();
  EXPECT_EQ(runs, 1000);
}

TEST(SteadyClock, CancelAfterTheWaitCompletedStillStopsTheHandler) {
  SteadyClock clock;
  boost::asio::io_context io;
  int runs = 0;
  auto first = clock.make_timer(io), second = clock.make_timer(io);
  // Both waits complete in the same turn of the io_context; the first handler to run cancels the
  // other, whose completion is already queued.
  first->start_at(clock.now_ms(), [&] {
    ++runs;
    second->cancel();
  });
  second->start_at(clock.now_ms(), [&] {
    ++runs;
    first->cancel();
  });
  io.run();
  EXPECT_EQ(runs, 1);
}

TEST(SteadyClock, TimePointOfAPassedOrFutureTime) {
  SteadyClock clock;
  auto before = std::chrono::steady_clock::now();
  EXPECT_GE(clock.time_point_of(clock.now_ms() - 5000), before) << "a passed time maps to now";
  EXPECT_GE(clock.time_point_of(clock.now_ms() + 60000), before + std::chrono::seconds(59));
}

}  // namespace
}  // namespace otakit::net
