// The device's pull client (ESP8266httpUpdate: update(), updateFS(), the version check) on
// Boost.Asio: pull::PullSession decides everything; this class resolves and connects, runs
// core/tls's BearSSL client between the socket and the session for https URLs, and moves bytes
// and time. Non-blocking, no threads: many clients can share one io_context.
#pragma once
#include <bearssl_x509.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/pull/pull_session.h"
#include "core/tls/pinned_certificate.h"
#include "core/tls/tls_buffer.h"
#include "core/tls/tls_error.h"
#include "core/updater/update_sink.h"
#include "net/clock.h"
#include "net/log.h"

namespace otakit::net {

// How an https server is trusted (core/tls/tls_error.h has the modes).
struct PullTrust {
  tls::TrustMode mode = tls::TrustMode::anchors;
  const br_x509_trust_anchor* anchors = nullptr;  // anchors mode; must outlive the client
  size_t anchor_count = 0;
  std::array<uint8_t, tls::kPublicKeyPinSize> public_key_sha256{};
  std::array<uint8_t, tls::kFingerprintSize> certificate_sha1{};
};

struct PullClientOptions {
  std::string url;  // http:// or https://, "user:password@" allowed as in ESP8266HTTPClient
  http::UpdateMode mode = http::UpdateMode::sketch;
  uint32_t fs_size = 0;         // updateFS(): the filesystem region's size
  std::string current_version;  // x-ESP8266-version, sent when set
  std::string user;             // setAuthorization(user, password)
  std::string password;
  std::string md5;              // setMD5sum(): wins over the server's x-MD5
  pull::RedirectPolicy redirects = pull::RedirectPolicy::off;
  uint8_t redirect_limit = 10;
  uint32_t connect_timeout_ms = 8000;
  uint32_t header_timeout_ms = 8000;
  uint32_t body_idle_timeout_ms = 60000;
  uint32_t overall_timeout_ms = 0;
  uint8_t max_resumes = 3;
  uint32_t resume_delay_ms = 1000;
  // Where an interrupted download is remembered across a reset or power cut (core/pull/
  // resume_store.h); null: only resumed within one pull. Must outlive the client.
  pull::ResumeStore* resume_store = nullptr;

  PullTrust trust;
  // The TLS record buffer: its size picks the maximum fragment length asked for (MFLN). 2 KiB
  // records in 4506 bytes, what a server that allows MFLN lets an ESP8266 get by with; a
  // server that refuses MFLN needs tls::kTlsBufferFull.
  size_t tls_buffer_size = tls::kTlsBuffer2048;
  bool tls_half_duplex = false;
  // The time certificates are checked at (anchors mode), in seconds since 1970: the device's
  // clock, as set by SNTP on a real one. Default: the host's time.
  std::function<uint64_t()> unix_time;
  Logger log;
};

// The x-ESP8266-* values of one pull (http::DeviceFacts, with the strings owned).
struct PullDeviceFacts {
  uint32_t chip_id = 0;
  std::array<uint8_t, 6> sta_mac{};
  std::array<uint8_t, 6> ap_mac{};
  uint32_t free_space = 0;  // ESP.getFreeSketchSpace(): what the Updater can stage
  uint32_t sketch_size = 0;
  std::string sketch_md5;
  uint32_t chip_size = 0;
  std::string sdk_version;
  http::ImageState image = http::ImageState::unreported;  // x-OTAKit-image; the original sends none
};

// How one pull ended: HTTPUpdateResult, getLastError(), getLastErrorString(), and more.
struct PullOutcome {
  pull::PullResult result = pull::PullResult::failed;
  int32_t error = 0;           // the original's code (-100..-109, -1..-11) or the Updater's (> 0)
  std::string error_text;      // the original's text for it
  uint16_t http_status = 0;    // of the last response; 0 when none arrived
  std::string message;         // what happened, for a person (with the TLS or socket reason)
  std::string available_version;  // version mode with result ok
  std::string withheld;           // a 304's x-OTAKit-withheld (otakit server): why nothing was offered
  uint32_t written = 0;        // image bytes given to the Updater
  uint8_t redirects = 0;
  uint8_t resumes = 0;            // broken off and continued within this pull
  uint32_t resumed_from = 0;      // the byte this pull continued at from a stored record; 0: none
  bool staged() const { return result == pull::PullResult::ok && written > 0; }
};

// ESP8266httpUpdate's callbacks (onStart, onProgress, onEnd, onError), each once per pull.
struct PullHooks {
  std::function<void()> on_start;
  std::function<void(uint32_t done, uint32_t total)> on_progress;  // total 0 while unknown
  std::function<void()> on_end;
  std::function<void(int32_t error, const std::string& message)> on_error;
};

class PullClient {
 public:
  PullClient(boost::asio::io_context& io, Clock& clock, PullClientOptions options, UpdateSink& sink);
  ~PullClient();
  PullClient(const PullClient&) = delete;
  PullClient& operator=(const PullClient&) = delete;

  void set_hooks(PullHooks hooks);
  // Begins one pull; done runs once, from the io_context, after the hooks. False (and nothing
  // happens) while a pull runs.
  bool start(const PullDeviceFacts& facts, std::function<void(const PullOutcome&)> done);
  // Drops a pull in progress (the Updater's update is aborted, done is not called).
  void stop();
  bool running() const;
  const PullClientOptions& options() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace otakit::net
