// A clock whose time moves only when advance() is called, for tests and simulated fleets: what
// happens at a deadline happens exactly there, however slow the machine.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <utility>

#include "net/clock.h"

namespace otakit::net {

// Not thread-safe, like the handlers of one io_context: call advance() where those run (post it
// there from another thread). Timers started for a time that has already come run as a posted
// handler on their io_context, as an expired asio timer would.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(uint32_t start_ms = 0) : now_(start_ms) {}
  ~ManualClock() override;
  ManualClock(const ManualClock&) = delete;
  ManualClock& operator=(const ManualClock&) = delete;

  uint32_t now_ms() const override { return static_cast<uint32_t>(now_); }
  std::unique_ptr<Timer> make_timer(boost::asio::io_context& io) override;

  // Moves time forward by ms. Every timer that falls due on the way runs synchronously in this
  // call, in deadline order (ties in the order they were started), with now_ms() at its deadline;
  // that includes timers the handlers start for a time within the span.
  void advance(uint32_t ms);

  size_t pending() const { return queue_.size(); }
  // The deadline of the earliest pending timer; false when none is pending.
  bool next_deadline(uint32_t* at_ms) const;

 private:
  class ManualTimer;
  struct Arm;
  using Key = std::pair<uint64_t, uint64_t>;  // (deadline on the unwrapped time line, start order)

  std::shared_ptr<Arm> arm(uint32_t at_ms, Timer::Handler handler);
  Timer::Handler disarm(Arm& arm);  // takes it out of the queue; returns its handler
  void fire(const std::shared_ptr<Arm>& arm);

  uint64_t now_;  // unwrapped, so deadlines order correctly across the 32-bit wrap
  uint64_t started_ = 0;
  std::map<Key, std::shared_ptr<Arm>> queue_;  // owns the handlers, as an io_context owns asio's
};

}  // namespace otakit::net
