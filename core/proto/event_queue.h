// The bounded FIFO through which a sans-IO session hands its events to the driver, without a heap.
#pragma once
#include <stddef.h>

namespace otakit::proto {

// N covers the most events one input can cause.
template <typename Event, size_t N>
class EventQueue {
 public:
  void push(const Event& event) {
    if (count_ == N) {
      overflowed_ = true;  // a session bug; tests assert it never happens
      return;
    }
    items_[(head_ + count_) % N] = event;
    ++count_;
  }
  bool pop(Event* out) {
    if (count_ == 0) return false;
    *out = items_[head_];
    head_ = (head_ + 1) % N;
    --count_;
    return true;
  }
  size_t size() const { return count_; }
  bool overflowed() const { return overflowed_; }

 private:
  Event items_[N];
  size_t head_ = 0;
  size_t count_ = 0;
  bool overflowed_ = false;
};

}  // namespace otakit::proto
