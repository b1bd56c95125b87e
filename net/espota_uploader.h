// The host side of espota on Boost.Asio: uploads one image to one or many devices, each with its
// own UDP socket, TCP listener and espota::HostSession, all on one io_context. Uploads run in
// parallel up to a bound; ones that failed before the device took any data (no answer, busy) are
// retried with a growing delay.
#pragma once
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/espota/host_session.h"
#include "net/clock.h"
#include "net/log.h"

namespace otakit::net {

struct EspotaTarget {
  std::string host;  // IP address or name
  uint16_t port = espota::kDefaultDevicePort;
};

struct EspotaImage {
  std::shared_ptr<const std::vector<uint8_t>> bytes;
  std::string md5;  // lowercase hex
  static EspotaImage from(std::vector<uint8_t> bytes);
};

struct EspotaUploadOptions {
  std::string host_ip = "0.0.0.0";     // -I: where the TCP listener binds (and UDP is sent from)
  std::optional<uint16_t> host_port;   // -P: fixed port (target i uses port + i); else random 10000-60000
  std::string password;                // -a: answers a challenge with md5("") when empty, like espota.py
  bool filesystem = false;             // -s: command 100
  bool stop_and_wait = false;          // espota.py pacing: one 1460-byte chunk per ack
  uint32_t timeout_ms = 10000;         // -t: per UDP exchange, for the connect-back, and for stalls
  uint32_t result_timeout_ms = 60000;  // after the last byte
  uint32_t stream_block = 16384;
  unsigned parallel = 4;               // uploads at once
  unsigned retries = 1;                // extra attempts after no answer / busy
  uint32_t retry_delay_ms = 1000;      // doubles per retry
  Logger log;                          // each target's lines go out in its host's name
};

enum class EspotaPhase : uint8_t { resolving, inviting, authenticating, waiting_connection, sending, verifying, done };
const char* describe(EspotaPhase phase);

struct EspotaProgress {
  size_t index = 0;  // into the targets
  EspotaPhase phase = EspotaPhase::resolving;
  uint32_t sent = 0;
  uint32_t acked = 0;  // from the device's acks (an estimate when they arrive joined)
  uint32_t size = 0;
  unsigned attempt = 1;
};

struct EspotaUploadResult {
  EspotaTarget target;
  espota::UploadOutcome outcome = espota::UploadOutcome::local_error;
  int device_error = -1;  // n of ERROR[n] when the device sent one
  std::string message;
  uint32_t sent = 0;
  uint32_t size = 0;
  unsigned attempts = 0;
  double seconds = 0;  // from the first attempt to the end, on the uploads' clock
  uint16_t host_port = 0;
};

using EspotaProgressFn = std::function<void(const EspotaProgress&)>;
using EspotaDoneFn = std::function<void(std::vector<EspotaUploadResult>)>;

// Starts the uploads on `io` and returns at once; `done` runs once, on io, when all have ended.
// Every timeout, retry delay and elapsed time is on `clock`.
void async_upload_all(boost::asio::io_context& io, Clock& clock, const EspotaImage& image,
                      std::vector<EspotaTarget> targets, const EspotaUploadOptions& options, EspotaProgressFn progress,
                      EspotaDoneFn done);

// The same on a private io_context in real time (a SteadyClock); returns the results in target order.
std::vector<EspotaUploadResult> upload_all(const EspotaImage& image, std::vector<EspotaTarget> targets,
                                           const EspotaUploadOptions& options, EspotaProgressFn progress = {});

}  // namespace otakit::net
