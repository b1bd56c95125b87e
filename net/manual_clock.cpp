#include "net/manual_clock.h"

#include <boost/asio/post.hpp>
#include <map>
#include <utility>

namespace otakit::net {
namespace {

using Key = std::pair<uint64_t, uint64_t>;  // (deadline on the unwrapped time line, start order)

struct Arm {
  Key key;
  Timer::Handler handler;
  bool queued = true;
};

}  // namespace

// The time and the pending timers. It owns the handlers, as an io_context owns asio's; a timer
// refers to its arm only weakly, so one left armed does not keep its owner alive in a cycle.
struct ManualClock::Queue {
  uint64_t now;  // unwrapped, so deadlines order correctly across the 32-bit wrap
  uint64_t started = 0;
  std::map<Key, std::shared_ptr<Arm>> pending;

  std::shared_ptr<Arm> arm(uint32_t at_ms, Timer::Handler handler) {
    int32_t ahead = static_cast<int32_t>(at_ms - static_cast<uint32_t>(now));
    auto armed = std::make_shared<Arm>();
    armed->key = {ahead > 0 ? now + uint64_t(ahead) : now, started++};
    armed->handler = std::move(handler);
    pending.emplace(armed->key, armed);
    return armed;
  }

  // Takes the arm out of the queue and hands back its handler (empty when it was not queued).
  Timer::Handler disarm(Arm& armed) {
    if (!armed.queued) return nullptr;
    armed.queued = false;
    Timer::Handler handler = std::move(armed.handler);
    pending.erase(armed.key);
    return handler;
  }

  void fire(const std::shared_ptr<Arm>& armed) {
    if (Timer::Handler handler = disarm(*armed)) handler();
  }
};

class ManualClock::ManualTimer final : public Timer {
 public:
  ManualTimer(ManualClock& clock, boost::asio::io_context& io) : Timer(clock), queue_(clock.queue_), io_(io) {}
  ~ManualTimer() override { cancel(); }

  void start_at(uint32_t at_ms, Handler handler) override {
    cancel();
    auto queue = queue_.lock();
    if (!queue) return;
    std::shared_ptr<Arm> armed = queue->arm(at_ms, std::move(handler));
    armed_ = armed;
    if (armed->key.first > queue->now) return;
    boost::asio::post(io_, [weak_queue = queue_, weak_arm = armed_] {
      auto due = weak_arm.lock();  // alive only while a queue holds it
      auto live = weak_queue.lock();
      if (due && live) live->fire(due);
    });
  }

  // As with asio, a cancelled handler is released on the io_context, never inside cancel(): it
  // may hold the last reference to this timer's owner.
  void cancel() override {
    auto queue = queue_.lock();
    auto armed = armed_.lock();
    armed_.reset();
    if (!queue || !armed) return;
    if (Handler handler = queue->disarm(*armed)) boost::asio::post(io_, [released = std::move(handler)] {});
  }

 private:
  std::weak_ptr<Queue> queue_;
  boost::asio::io_context& io_;
  std::weak_ptr<Arm> armed_;
};

ManualClock::ManualClock(uint32_t start_ms) : queue_(std::make_shared<Queue>()) { queue_->now = start_ms; }

// The handlers go after the queue is gone: one that owns a timer finds nothing left to cancel.
ManualClock::~ManualClock() {
  auto pending = std::move(queue_->pending);
  queue_.reset();
}

uint32_t ManualClock::now_ms() const { return static_cast<uint32_t>(queue_->now); }

std::unique_ptr<Timer> ManualClock::make_timer(boost::asio::io_context& io) {
  return std::make_unique<ManualTimer>(*this, io);
}

void ManualClock::advance(uint32_t ms) {
  const uint64_t until = queue_->now + ms;
  while (!queue_->pending.empty() && queue_->pending.begin()->first.first <= until) {
    std::shared_ptr<Arm> due = queue_->pending.begin()->second;
    if (due->key.first > queue_->now) queue_->now = due->key.first;
    queue_->fire(due);
  }
  queue_->now = until;
}

size_t ManualClock::pending() const { return queue_->pending.size(); }

bool ManualClock::next_deadline(uint32_t* at_ms) const {
  if (queue_->pending.empty()) return false;
  *at_ms = static_cast<uint32_t>(queue_->pending.begin()->first.first);
  return true;
}

}  // namespace otakit::net
