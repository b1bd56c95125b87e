// The time drivers run on: a millisecond clock like the ESP8266's millis() and timers that fire at
// a clock time on an io_context. SteadyClock is real time; ManualClock (manual_clock.h) moves only
// when told to, for tests and simulated fleets.
#pragma once
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

namespace otakit::net {

class Clock;

// One pending wake-up of one user (a session deadline, a linger, a retry). Starting it again
// replaces what was pending. After cancel() or destruction the handler never runs, even when its
// completion was already queued on the io_context, so an owner may go away with a timer armed.
class Timer {
 public:
  using Handler = std::function<void()>;
  virtual ~Timer() = default;
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // handler runs on the io_context once the clock reaches at_ms (compared across the 32-bit
  // wrap), or as soon as the io_context gets to it when that time has already come.
  virtual void start_at(uint32_t at_ms, Handler handler) = 0;
  void start_after(uint32_t delay_ms, Handler handler);
  virtual void cancel() = 0;

 protected:
  explicit Timer(const Clock& clock) : clock_(clock) {}

 private:
  const Clock& clock_;
};

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds from an arbitrary origin; wraps after 49 days, as the sans-IO sessions expect.
  virtual uint32_t now_ms() const = 0;
  // A timer whose handlers run on io. The clock must outlive its timers.
  virtual std::unique_ptr<Timer> make_timer(boost::asio::io_context& io) = 0;
};

// Real time: std::chrono::steady_clock counted from the clock's making, timers on
// asio::steady_timer. Nothing in it changes after construction, so any number of drivers and
// io_contexts can share one.
class SteadyClock final : public Clock {
 public:
  uint32_t now_ms() const override;
  std::unique_ptr<Timer> make_timer(boost::asio::io_context& io) override;
  // The steady_clock instant of clock time at_ms (now, when it has passed).
  std::chrono::steady_clock::time_point time_point_of(uint32_t at_ms) const;

 private:
  const std::chrono::steady_clock::time_point origin_ = std::chrono::steady_clock::now();
};

}  // namespace otakit::net
