// A clock whose time moves only when advance() is called, for tests and simulated fleets: what
// happens at a deadline happens exactly there, however slow the machine.
#pragma once
#include <cstdint>
#include <memory>

#include "net/clock.h"

namespace otakit::net {

// Not thread-safe, like the handlers of one io_context: call advance() where those run (post it
// there from another thread). A timer started for a time that has already come runs as a posted
// handler on its io_context, as an expired asio timer would. The handlers still pending when the
// clock goes are destroyed with it, so make it after the io_contexts its timers use (it then goes
// first, while the sockets its handlers may own still have theirs); its timers may outlive it.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(uint32_t start_ms = 0);
  ~ManualClock() override;
  ManualClock(const ManualClock&) = delete;
  ManualClock& operator=(const ManualClock&) = delete;

  uint32_t now_ms() const override;
  std::unique_ptr<Timer> make_timer(boost::asio::io_context& io) override;

  // Moves time forward by ms. Every timer that falls due on the way runs synchronously in this
  // call, in deadline order (ties in the order they were started), with now_ms() at its deadline;
  // that includes timers the handlers start for a time within the span.
  void advance(uint32_t ms);

  size_t pending() const;
  // The deadline of the earliest pending timer; false when none is pending.
  bool next_deadline(uint32_t* at_ms) const;

 private:
  class ManualTimer;
  struct Queue;
  std::shared_ptr<Queue> queue_;  // shared weakly with the timers, which may outlive the clock
};

}  // namespace otakit::net
