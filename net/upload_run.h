// Runs one upload per target, at most `parallel` at a time, retrying an attempt that failed
// before the device took any data (espota::safe_to_retry) after 1x, 2x, 4x... the delay. Shared
// by the espota and the web uploaders; the attempt itself is the caller's.
#pragma once
#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <functional>
#include <vector>

#include "net/clock.h"
#include "net/espota_uploader.h"

namespace otakit::net {

struct UploadRunOptions {
  size_t targets = 0;
  unsigned parallel = 4;
  unsigned retries = 1;
  uint32_t retry_delay_ms = 1000;
};

// Starts attempt `number` (1 for the first) for target `index`; it calls `done` once, on io.
using StartAttemptFn = std::function<void(size_t index, unsigned number, std::function<void(EspotaUploadResult)> done)>;

// Returns at once; `done` runs once, on io, with the results in target order (attempts and
// seconds filled in).
void run_uploads(boost::asio::io_context& io, Clock& clock, const UploadRunOptions& options, StartAttemptFn attempt,
                 EspotaDoneFn done);

}  // namespace otakit::net
