#include "net/clock.h"

#include <boost/asio/steady_timer.hpp>

namespace otakit::net {
namespace {

class SteadyTimer final : public Timer {
 public:
  SteadyTimer(const SteadyClock& clock, boost::asio::io_context& io) : Timer(clock), clock_(clock), timer_(io) {}
  ~SteadyTimer() override { cancel(); }

  void start_at(uint32_t at_ms, Handler handler) override {
    cancel();
    live_ = std::make_shared<bool>(true);
    timer_.expires_at(clock_.time_point_of(at_ms));
    timer_.async_wait([live = live_, handler = std::move(handler)](const boost::system::error_code& error) {
      if (error || !*live) return;
      *live = false;
      handler();
    });
  }

  // The flag covers what asio's cancel cannot: a wait that completed and sits in the queue.
  void cancel() override {
    if (live_) *live_ = false;
    live_.reset();
    timer_.cancel();
  }

 private:
  const SteadyClock& clock_;
  boost::asio::steady_timer timer_;
  std::shared_ptr<bool> live_;  // shared with the pending wait: false once it must not run
};

}  // namespace

void Timer::start_after(uint32_t delay_ms, Handler handler) {
  start_at(clock_.now_ms() + delay_ms, std::move(handler));
}

uint32_t SteadyClock::now_ms() const {
  auto elapsed = std::chrono::steady_clock::now() - origin_;
  return static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count());
}

std::chrono::steady_clock::time_point SteadyClock::time_point_of(uint32_t at_ms) const {
  auto now = std::chrono::steady_clock::now();
  auto now_ms = static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::milliseconds>(now - origin_).count());
  int32_t ahead = static_cast<int32_t>(at_ms - now_ms);
  return now + std::chrono::milliseconds(ahead > 0 ? ahead : 0);
}

std::unique_ptr<Timer> SteadyClock::make_timer(boost::asio::io_context& io) {
  return std::make_unique<SteadyTimer>(*this, io);
}

}  // namespace otakit::net
