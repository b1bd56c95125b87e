#include "net/espota_uploader.h"

#include <boost/asio/post.hpp>
#include <cstdint>

#include "core/crypto/digest.h"
#include "net/espota_upload_attempt.h"

namespace otakit::net {

namespace asio = boost::asio;

const char* describe(EspotaPhase phase) {
  switch (phase) {
    case EspotaPhase::resolving: return "resolving";
    case EspotaPhase::inviting: return "inviting";
    case EspotaPhase::authenticating: return "authenticating";
    case EspotaPhase::waiting_connection: return "waiting for the device";
    case EspotaPhase::sending: return "sending";
    case EspotaPhase::verifying: return "verifying";
    case EspotaPhase::done: return "done";
  }
  return "unknown";
}

EspotaImage EspotaImage::from(std::vector<uint8_t> bytes) {
  char hex[crypto::kMd5HexSize];
  crypto::md5_hex(bytes.data(), bytes.size(), hex);
  EspotaImage image;
  image.bytes = std::make_shared<const std::vector<uint8_t>>(std::move(bytes));
  image.md5 = hex;
  return image;
}

namespace {

// Runs the targets through at most `parallel` attempts at a time and collects the results.
class UploadRun : public std::enable_shared_from_this<UploadRun> {
 public:
  UploadRun(asio::io_context& io, Clock& clock, EspotaImage image, std::vector<EspotaTarget> targets,
            EspotaUploadOptions options, EspotaProgressFn progress, EspotaDoneFn done)
      : io_(io),
        clock_(clock),
        image_(std::move(image)),
        targets_(std::move(targets)),
        options_(std::move(options)),
        progress_(std::move(progress)),
        done_(std::move(done)),
        results_(targets_.size()),
        started_ms_(targets_.size()) {}

  void start() {
    if (targets_.empty()) {
      asio::post(io_, [self = shared_from_this()] { self->done_({}); });
      return;
    }
    launch_more();
  }

 private:
  void launch_more() {
    unsigned bound = options_.parallel == 0 ? 1 : options_.parallel;
    while (active_ < bound && next_ < targets_.size()) {
      size_t index = next_++;
      ++active_;
      started_ms_[index] = clock_.now_ms();
      attempt(index, 1);
    }
  }

  void attempt(size_t index, unsigned number) {
    std::optional<uint16_t> port;
    if (options_.host_port) port = static_cast<uint16_t>(*options_.host_port + index);
    EspotaProgress progress;
    progress.index = index;
    progress.attempt = number;
    auto self = shared_from_this();
    auto attempt = std::make_shared<EspotaUploadAttempt>(
        io_, clock_, image_, targets_[index], options_, port, progress, progress_,
        [self, index, number](EspotaUploadResult result) { self->attempt_done(index, number, std::move(result)); });
    attempt->start();
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
    if (finished_ == targets_.size()) return done_(std::move(results_));
    launch_more();
  }

  // Capped below 2^31 ms, the furthest ahead a 32-bit clock time can be.
  uint32_t retry_delay_ms(unsigned number) const {
    constexpr uint64_t kLongest = INT32_MAX;
    uint64_t delay = options_.retry_delay_ms;
    for (unsigned i = 1; i < number && delay < kLongest; ++i) delay *= 2;
    return static_cast<uint32_t>(delay < kLongest ? delay : kLongest);
  }

  asio::io_context& io_;
  Clock& clock_;
  EspotaImage image_;
  std::vector<EspotaTarget> targets_;
  EspotaUploadOptions options_;
  EspotaProgressFn progress_;
  EspotaDoneFn done_;
  std::vector<EspotaUploadResult> results_;
  std::vector<uint32_t> started_ms_;
  size_t next_ = 0;
  size_t finished_ = 0;
  unsigned active_ = 0;
};

}  // namespace

void async_upload_all(asio::io_context& io, Clock& clock, const EspotaImage& image, std::vector<EspotaTarget> targets,
                      const EspotaUploadOptions& options, EspotaProgressFn progress, EspotaDoneFn done) {
  std::make_shared<UploadRun>(io, clock, image, std::move(targets), options, std::move(progress), std::move(done))
      ->start();
}

std::vector<EspotaUploadResult> upload_all(const EspotaImage& image, std::vector<EspotaTarget> targets,
                                           const EspotaUploadOptions& options, EspotaProgressFn progress) {
  asio::io_context io;
  SteadyClock clock;
  std::vector<EspotaUploadResult> results;
  async_upload_all(io, clock, image, std::move(targets), options, std::move(progress),
                   [&results](std::vector<EspotaUploadResult> r) { results = std::move(r); });
  io.run();
  return results;
}

}  // namespace otakit::net
