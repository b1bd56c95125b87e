#include "net/upload_run.h"

#include <boost/asio/post.hpp>
#include <cstdint>
#include <memory>

namespace otakit::net {
namespace {

class UploadRun : public std::enable_shared_from_this<UploadRun> {
 public:
  UploadRun(boost::asio::io_context& io, Clock& clock, const UploadRunOptions& options, StartAttemptFn attempt,
            EspotaDoneFn done)
      : io_(io),
        clock_(clock),
        options_(options),
        attempt_(std::move(attempt)),
        done_(std::move(done)),
        results_(options.targets),
        started_ms_(options.targets) {}

  void start() {
    if (options_.targets == 0) {
      boost::asio::post(io_, [self = shared_from_this()] { self->done_({}); });
      return;
    }
    launch_more();
  }

 private:
  void launch_more() {
    const unsigned bound = options_.parallel == 0 ? 1 : options_.parallel;
    while (active_ < bound && next_ < options_.targets) {
      const size_t index = next_++;
      ++active_;
      started_ms_[index] = clock_.now_ms();
      attempt(index, 1);
    }
  }

  void attempt(size_t index, unsigned number) {
    attempt_(index, number, [self = shared_from_this(), index, number](EspotaUploadResult result) {
      self->attempt_done(index, number, std::move(result));
    });
  }

  void attempt_done(size_t index, unsigned number, EspotaUploadResult result) {
    if (espota::safe_to_retry(result.outcome) && number <= options_.retries) {
      // Nothing reached the device's flash: try again after 1x, 2x, 4x... the delay.
      std::shared_ptr<Timer> timer = clock_.make_timer(io_);
      timer->start_after(retry_delay_ms(number), [self = shared_from_this(), timer, index, number] {
        self->attempt(index, number + 1);
      });
      return;
    }
    result.attempts = number;
    result.seconds = (clock_.now_ms() - started_ms_[index]) / 1000.0;
    results_[index] = std::move(result);
    --active_;
    ++finished_;
    if (finished_ == options_.targets) return done_(std::move(results_));
    launch_more();
  }

  // Capped below 2^31 ms, the furthest ahead a 32-bit clock time can be.
  uint32_t retry_delay_ms(unsigned number) const {
    constexpr uint64_t kLongest = INT32_MAX;
    uint64_t delay = options_.retry_delay_ms;
    for (unsigned i = 1; i < number && delay < kLongest; ++i) delay *= 2;
    return static_cast<uint32_t>(delay < kLongest ? delay : kLongest);
  }

  boost::asio::io_context& io_;
  Clock& clock_;
  UploadRunOptions options_;
  StartAttemptFn attempt_;
  EspotaDoneFn done_;
  std::vector<EspotaUploadResult> results_;
  std::vector<uint32_t> started_ms_;
  size_t next_ = 0;
  size_t finished_ = 0;
  unsigned active_ = 0;
};

}  // namespace

void run_uploads(boost::asio::io_context& io, Clock& clock, const UploadRunOptions& options, StartAttemptFn attempt,
                 EspotaDoneFn done) {
  std::make_shared<UploadRun>(io, clock, options, std::move(attempt), std::move(done))->start();
}

}  // namespace otakit::net
