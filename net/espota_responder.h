// The device side of espota on Boost.Asio: listens for invitations on a chosen address and UDP
// port, connects back to the uploader, feeds the image into an Updater and answers like
// ArduinoOTA (byte-count acks, "OK" / "ERROR[n]: ..."). All protocol decisions are made by
// espota::DeviceSession; this class only moves bytes and time. Non-blocking, no threads: many
// responders can share one io_context.
#pragma once
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/espota/device_session.h"
#include "core/updater/update_sink.h"
#include "net/clock.h"
#include "net/espota_asio.h"
#include "net/log.h"

namespace otakit::net {

struct EspotaResponderOptions {
  std::string bind_address = "0.0.0.0";  // the device's address; connect-backs leave from it too
  uint16_t port = espota::kDefaultDevicePort;  // 0 picks a free port (see local_port())
  std::string password;       // ArduinoOTA setPassword(): stored as its MD5
  std::string password_hash;  // ArduinoOTA setPasswordHash(): 32 hex digits, any case
  uint32_t auth_timeout_ms = 10000;
  uint32_t connect_timeout_ms = 5000;
  uint32_t receive_timeout_ms = 10000;
  uint32_t result_delay_ms = 50;  // keeps the last ack and "OK" in separate segments
  uint32_t linger_ms = 2000;      // after the result: wait this long for the uploader to close
  bool reboot_on_success = true;  // call hooks.reboot once the result was delivered
  Logger log;                     // the device's lines ("espota: ..."), in the device's name
  proto::RandomSource random = secure_random_source();  // the nonces; tests may make them repeatable
};

// ArduinoOTA's callbacks. Each fires once per session: on_start when the update began, then
// on_end on success or on_error on failure (also for a wrong password, as the original does).
struct EspotaHooks {
  std::function<void(espota::Command)> on_start;
  std::function<void(uint32_t done, uint32_t total)> on_progress;
  std::function<void()> on_end;
  std::function<void(espota::OtaError, const std::string& message)> on_error;
  std::function<void()> reboot;  // after a successful update (when reboot_on_success)
};

struct EspotaResponderStats {
  uint64_t datagrams = 0;
  uint64_t dropped = 0;
  uint64_t sessions_ok = 0;
  uint64_t sessions_failed = 0;
};

class EspotaResponder {
 public:
  // The sessions' time and every timeout come from clock. Throws std::invalid_argument for a
  // malformed password hash or bind address.
  EspotaResponder(boost::asio::io_context& io, Clock& clock, const EspotaResponderOptions& options, UpdateSink& sink);
  EspotaResponder(boost::asio::io_context& io, Clock& clock, const EspotaResponderOptions& options, Updater& updater);
  ~EspotaResponder();
  EspotaResponder(const EspotaResponder&) = delete;
  EspotaResponder& operator=(const EspotaResponder&) = delete;

  void set_hooks(EspotaHooks hooks);
  // Binds the UDP port; throws std::system_error naming the address when it cannot.
  void start();
  // Closes every socket; a running session ends without touching the Updater's staged image.
  void stop();

  uint16_t local_port() const;
  espota::DeviceState state() const;
  EspotaResponderStats stats() const;

 private:
  class Impl;
  std::unique_ptr<UpdaterSink> owned_sink_;
  std::shared_ptr<Impl> impl_;
};

}  // namespace otakit::net
