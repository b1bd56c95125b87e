#include "net/espota_uploader.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>

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
  UploadRun(asio::io_context& io, EspotaImage image, std::vector<EspotaTarget> targets, EspotaUploadOptions options,
            EspotaProgressFn progress, EspotaDoneFn done)
      : io_(io),
        image_(std::move(image)),
        targets_(std::move(targets)),
        options_(std::move(options)),
        progress_(std::move(progress)),
        done_(std::move(done)),
        results_(targets_.size()),
        started_(targets_.size()) {}

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
      started_[index] = std::chrono::steady_clock::now();
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
        io_, image_, targets_[index], options_, port, progress, progress_,
        [self, index, number](EspotaUploadResult result) { self->attempt_done(index, number, std::move(result)); });
    attempt->start();
  }

  void attempt_done(size_t index, unsigned number, EspotaUploadResult result) {
    if (espota::safe_to_retry(result.outcome) && number <= options_.retries) {
      // Nothing reached the device's flash: try again after 1x, 2x, 4x... the delay.
      auto timer = std::make_shared<asio::steady_timer>(io_);
      timer->expires_after(std::chrono::milliseconds(uint64_t(options_.retry_delay_ms) << (number - 1)));
      timer->async_wait([self = shared_from_this(), timer, index, number](const boost::system::error_code&) {
        self->attempt(index, number + 1);
      });
      return;
    }
    result.attempts = number;
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_[index]).count();
    results_[index] = std::move(result);
    --active_;
    ++finished_;
    if (finished_ == targets_.size()) return done_(std::move(results_));
    launch_more();
  }

  asio::io_context& io_;
  EspotaImage image_;
  std::vector<EspotaTarget> targets_;
  EspotaUploadOptions options_;
  EspotaProgressFn progress_;
  EspotaDoneFn done_;
  std::vector<EspotaUploadResult> results_;
  std::vector<std::chrono::steady_clock::time_point> started_;
  size_t next_ = 0;
  size_t finished_ = 0;
  unsigned active_ = 0;
};

}  // namespace

void async_upload_all(asio::io_context& io, const EspotaImage& image, std::vector<EspotaTarget> targets,
                      const EspotaUploadOptions& options, EspotaProgressFn progress, EspotaDoneFn done) {
  std::make_shared<UploadRun>(io, image, std::move(targets), options, std::move(progress), std::move(done))->start();
}

std::vector<EspotaUploadResult> upload_all(const EspotaImage& image, std::vector<EspotaTarget> targets,
                                           const EspotaUploadOptions& options, EspotaProgressFn progress) {
  asio::io_context io;
  std::vector<EspotaUploadResult> results;
  async_upload_all(io, image, std::move(targets), options, std::move(progress),
                   [&results](std::vector<EspotaUploadResult> r) { results = std::move(r); });
  io.run();
  return results;
}

}  // namespace otakit::net
