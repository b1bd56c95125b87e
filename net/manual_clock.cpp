#include "net/manual_clock.h"

#include <boost/asio/post.hpp>

namespace otakit::net {

struct ManualClock::Arm {
  Key key;
  Timer::Handler handler;
  bool queued = true;
};

// Holds only a weak reference to its arm: the handler (which may own this timer's owner) lives
// in the clock's queue, so a timer left armed does not keep its owner alive in a cycle.
class ManualClock::ManualTimer final : public Timer {
 public:
  ManualTimer(ManualClock& clock, boost::asio::io_context& io) : Timer(clock), clock_(clock), io_(io) {}
  ~ManualTimer() override { cancel(); }

  void start_at(uint32_t at_ms, Handler handler) override {
    cancel();
    std::shared_ptr<Arm> arm = clock_.arm(at_ms, std::move(handler));
    armed_ = arm;
    if (arm->key.first > clock_.now_) return;
    boost::asio::post(io_, [&clock = clock_, weak = armed_] {
      if (auto due = weak.lock()) clock.fire(due);  // alive only while the clock's queue holds it
    });
  }

  // As with asio, a cancelled handler is released on the io_context, never inside cancel(): it
  // may hold the last reference to this timer's owner.
  void cancel() override {
    if (auto arm = armed_.lock()) {
      if (Handler handler = clock_.disarm(*arm)) boost::asio::post(io_, [released = std::move(handler)] {});
    }
    armed_.reset();
  }

 private:
  ManualClock& clock_;
  boost::asio::io_context& io_;
  std::weak_ptr<Arm> armed_;
};

// Handlers are destroyed after the queue is emptied: one that owns a timer may cancel it then.
ManualClock::~ManualClock() {
  auto queue = std::move(queue_);
  queue_.clear();
  for (auto& entry : queue) entry.second->queued = false;
}

std::unique_ptr<Timer> ManualClock::make_timer(boost::asio::io_context& io) {
  return std::make_unique<ManualTimer>(*this, io);
}

std::shared_ptr<ManualClock::Arm> ManualClock::arm(uint32_t at_ms, Timer::Handler handler) {
  int32_t ahead = static_cast<int32_t>(at_ms - now_ms());
  auto arm = std::make_shared<Arm>();
  arm->key = {ahead > 0 ? now_ + uint64_t(ahead) : now_, started_++};
  arm->handler = std::move(handler);
  queue_.emplace(arm->key, arm);
  return arm;
}

Timer::Handler ManualClock::disarm(Arm& arm) {
  if (!arm.queued) return nullptr;
  arm.queued = false;
  Timer::Handler handler = std::move(arm.handler);
  queue_.erase(arm.key);
  return handler;
}

void ManualClock::fire(const std::shared_ptr<Arm>& arm) {
  if (Timer::Handler handler = disarm(*arm)) handler();
}

void ManualClock::advance(uint32_t ms) {
  const uint64_t until = now_ + ms;
  while (!queue_.empty() && queue_.begin()->first.first <= until) {
    std::shared_ptr<Arm> due = queue_.begin()->second;
    if (due->key.first > now_) now_ = due->key.first;
    fire(due);
  }
  now_ = until;
}

bool ManualClock::next_deadline(uint32_t* at_ms) const {
  if (queue_.empty()) return false;
  *at_ms = static_cast<uint32_t>(queue_.begin()->first.first);
  return true;
}

}  // namespace otakit::net
