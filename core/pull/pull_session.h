// The pull client (ESP8266httpUpdate: update(), updateFS(), getAvailableVersion()) as a sans-IO
// state machine: connection events, server bytes and the time go in; connect / send / close
// requests, callbacks and log lines come out of poll(), and the image goes into the UpdateSink.
// The original's request, result codes and texts (facts §6), plus chunked bodies, bounded
// timeouts, redirects only to http(s) without downgrade, and resuming a broken download with a
// Range request, within one pull or, with a ResumeStore, after a reset or power cut.
// docs/http.md, "The pull client", has the result table.
//
// What a driver does with each event (one connection at a time; TLS lives in the driver):
//   connect   Open TCP to host:port (resolve the name; host is an IPv6 literal without brackets
//             when ipv6). If secure, run TLS over it and check the server's certificate by the
//             driver's policy. Then on_connected(), or on_connect_failed() for any failure,
//             including TLS. The session keeps its own connect timeout.
//   send      Write data/len on the connection, all of it, in order (plaintext; TLS encrypts).
//   close     Close the connection and report nothing more about it: no on_data, no on_closed.
//             A connect may follow in the same batch (a redirect or a resume).
//   started   onStart(): a download begins (once per start(), even when a resume starts over).
//   progress  onProgress(done, total): image bytes given to the Updater so far; total 0 while
//             the size is unknown (a chunked body).
//   finished  The end, exactly once per start(): onEnd() when result is ok, else onError(error).
//             After an ok sketch update the image is staged: the driver reboots when it wants to
//             (rebootOnUpdate). Every text stays valid until the next start().
//   log       A line for the driver's log at `level`.
// Everything the session reads from the server it reports by on_data(); when the server closes,
// on_closed(). Call on_tick() at next_deadline() (or simply every so often).
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "core/http/body_framing.h"
#include "core/http/request_builder.h"
#include "core/http/response_head.h"
#include "core/http/url.h"
#include "core/proto/event_queue.h"
#include "core/proto/log_level.h"
#include "core/pull/resume_store.h"
#include "core/updater/update_sink.h"
#include "core/util/base64.h"

namespace otakit::pull {

// ESP8266HTTPClient's followRedirects_t. We only send GET, for which strict and force follow the
// same codes: 301, 302, 303 and 307 (308 is not handled, as in the original).
enum class RedirectPolicy : uint8_t { off, strict, force };

// HTTPUpdateResult, with the original's numbers.
enum class PullResult : uint8_t { failed = 0, no_updates = 1, ok = 2 };
const char* describe(PullResult result);

// getLastError(): ESP8266httpUpdate's codes (-100..-109), ESP8266HTTPClient's (-1..-11), or the
// Updater's own number (> 0). 0 = no error.
namespace error {
constexpr int32_t kTooLessSpace = -100;
constexpr int32_t kServerNotReportSize = -101;
constexpr int32_t kServerFileNotFound = -102;
constexpr int32_t kServerForbidden = -103;
constexpr int32_t kServerWrongHttpCode = -104;
constexpr int32_t kServerFaultyMd5 = -105;
constexpr int32_t kBinVerifyHeaderFailed = -106;
constexpr int32_t kBinForWrongFlash = -107;
constexpr int32_t kServerUnauthorized = -108;
constexpr int32_t kServerNotReportVersion = -109;
constexpr int32_t kConnectionFailed = -1;
constexpr int32_t kSendHeaderFailed = -2;
constexpr int32_t kConnectionLost = -5;
constexpr int32_t kNoHttpServer = -7;
constexpr int32_t kEncoding = -9;
constexpr int32_t kReadTimeout = -11;
constexpr int32_t kStreamTimeout = 6;  // the Updater's UPDATE_ERROR_STREAM: the body stopped
}  // namespace error

// getLastErrorString() for a code, as the original words it (facts §6.4), for codes whose text
// does not depend on the Updater: "" for 0, -109 and positive codes.
const char* original_error_text(int32_t code);

struct PullConfig {
  // The update URL, http:// or https://; "user:password@" in it becomes Basic credentials, as in
  // ESP8266HTTPClient. Every pointer here must stay valid until finished.
  const char* url = nullptr;
  http::DeviceFacts device;  // the x-ESP8266-* values. free_space is also the space check for
                             //   sketches and what a chunked sketch may fill: give the Updater's
                             //   staging capacity (ESP.getFreeSketchSpace()).
  http::UpdateMode mode = http::UpdateMode::sketch;
  uint32_t fs_size = 0;                  // updateFS(): FS_end - FS_start; 0 = no filesystem
  const char* current_version = nullptr; // x-ESP8266-version, sent when non-empty
  const char* user = nullptr;            // setAuthorization(user, password): both non-empty
  const char* password = nullptr;
  const char* authorization = nullptr;   // setAuthorization(base64): wins over the others
  const char* md5 = nullptr;             // setMD5sum(): wins over the x-MD5 header when non-empty

  RedirectPolicy redirects = RedirectPolicy::off;  // setFollowRedirects(); the original's default
  uint8_t redirect_limit = 10;                     // setRedirectLimit()

  uint32_t connect_timeout_ms = 8000;     // connect (and TLS handshake): HTTPClient's 8000
  uint32_t header_timeout_ms = 8000;      // no response byte for this long before the head ends
  uint32_t body_idle_timeout_ms = 60000;  // no body byte for this long (writeStream's 60 s)
  uint32_t overall_timeout_ms = 0;        // from start() to finished, redirects and resumes
                                          //   included; 0 = no limit

  // Our addition: a download that breaks off (closed early, idle timeout) continues with
  // "Range: bytes=<done>-" when the server offered byte ranges and a strong ETag or an x-MD5
  // that identifies the image. 0 turns it off (the original's behaviour).
  uint8_t max_resumes = 3;
  uint32_t resume_delay_ms = 1000;  // between the break and the new connection

  // Resuming across a reset or power cut (docs/http.md, "Across a reset"); nullptr: off. While a
  // resumable download runs, the session saves a record each time another sector of the image
  // is on flash; a later start() with the same URL reopens the Updater at the recorded offset
  // (UpdateSink::resume) and asks for the rest. The record is cleared when the pull ends, except
  // when it ends because the download broke off (error 6, -1, -5, -11), so the next pull can
  // still continue it. Needs max_resumes > 0; unused in version mode.
  ResumeStore* resume_store = nullptr;
};

enum class PullState : uint8_t {
  idle,            // before start()
  connecting,      // connect emitted, waiting for on_connected() / on_connect_failed()
  reading_head,    // request sent, reading the response head
  reading_body,    // image bytes flow into the sink
  resume_waiting,  // the download broke off; a new connection follows after resume_delay_ms
  done,            // finished was emitted; start() may run another pull
};

enum class PullAction : uint8_t { connect, send, close, started, progress, finished, log };

struct PullEvent {
  PullAction action = PullAction::log;
  // connect
  const char* host = nullptr;
  uint16_t port = 0;
  bool secure = false;
  bool ipv6 = false;
  // send: valid until the next call into the session
  const uint8_t* data = nullptr;
  size_t len = 0;
  // progress
  uint32_t done = 0;
  uint32_t total = 0;
  // finished
  PullResult result = PullResult::failed;
  int32_t error = 0;                     // getLastError()
  const char* error_text = "";           // getLastErrorString(), exactly as the original's
  uint16_t http_status = 0;              // of the last response; 0 if none arrived
  const char* message = "";              // what happened, for a person
  const char* available_version = "";    // mode version with result ok: the x-version value
  const char* withheld = "";             // no_updates: the server's x-OTAKit-withheld, if it sent one
  // log
  proto::LogLevel level = proto::LogLevel::debug;
  const char* text = nullptr;
};

class PullSession {
 public:
  static constexpr size_t kRequestSize = 1536;
  static constexpr size_t kHeadBytes = 2048;
  static constexpr size_t kHeadFields = 24;
  static constexpr size_t kMaxEtag = kResumeMaxEtag;
  static constexpr size_t kMaxVersion = 64;
  static constexpr size_t kMaxWithheld = 24;

  // The session begins, writes, ends and aborts updates on sink from inside its inputs; the sink
  // must not call back into the session. config's pointers must outlive every pull.
  PullSession(const PullConfig& config, UpdateSink& sink);

  // Inputs. Each may queue events: drain poll() after every call.
  bool start(uint32_t now_ms);  // false (and no event) unless idle or done
  void on_connected(uint32_t now_ms);
  void on_connect_failed(uint32_t now_ms);
  void on_data(const uint8_t* data, size_t len, uint32_t now_ms);
  void on_closed(uint32_t now_ms);
  void on_tick(uint32_t now_ms);
  // The driver shuts down: an update in progress is aborted, the session is idle, no event follows.
  void abandon();

  bool poll(PullEvent* out) { return events_.pop(out); }
  // When on_tick() next has work; false when no timer is needed.
  bool next_deadline(uint32_t* at_ms) const;

  PullState state() const { return state_; }
  uint32_t written() const { return written_; }  // image bytes given to the sink this pull
  uint8_t redirects_followed() const { return redirects_; }
  uint8_t resumes() const { return resumes_; }
  // The byte this pull continued at from the ResumeStore's record; 0 when it did not.
  uint32_t resumed_from() const { return resumed_from_; }
  const http::Url& url() const { return url_; }  // where the last request went
  bool queue_overflowed() const { return events_.overflowed(); }

 private:
  void reset_pull();
  void open_connection(uint32_t now);
  bool build_request();
  void choose_credentials(http::UpdateRequest* request);
  void take_head_bytes(const uint8_t* data, size_t len, size_t* used, uint32_t now);
  void take_body_bytes(const uint8_t* data, size_t len, size_t* used, uint32_t now);
  void handle_head(uint32_t now);
  void follow_redirect(uint32_t now);
  void handle_version_answer();
  void fail_status(uint16_t status);
  void begin_download(uint32_t now);
  void continue_download(uint32_t now);
  uint32_t capacity() const;
  bool check_space();
  UpdateCommand update_command() const;
  void resume_from_store();
  void restart_fresh(const char* why, uint32_t now);
  void save_resume_point();
  void forget_resume_point();
  void remember_identity();
  void accept_body_bytes(const uint8_t* data, uint32_t len);
  bool check_image_start();
  bool begin_sink();
  bool write_sink(const uint8_t* data, uint32_t len);
  void report_progress();
  void complete_body();
  void body_broke_off(const char* why, uint32_t now);
  bool try_resume(const char* why, uint32_t now);
  void fail_updater(const char* what);
  void fail(int32_t code, const char* detail);
  void finish(PullResult result, int32_t code, const char* detail);
  void close_connection();
  void log(proto::LogLevel level, const char* text);
  void emit(const PullEvent& event) { events_.push(event); }
  void set_deadline(uint32_t at) {
    deadline_ = at;
    has_deadline_ = true;
  }

  PullConfig config_;
  UpdateSink& sink_;
  PullState state_ = PullState::idle;

  http::Url origin_;    // the configured URL: credentials go only to its scheme, host and port
  http::Url url_;       // where the current request goes
  http::Url location_;  // a redirect's target, resolved
  char request_host_[http::Url::kMaxHost + 3] = {};
  char url_authorization_[base64_encoded_length(http::Url::kMaxUserinfo) + 1] = {};  // its userinfo
  char request_[kRequestSize] = {};
  size_t request_length_ = 0;

  http::HeadStorage<kHeadBytes, kHeadFields> head_storage_;
  http::ResponseHeadParser parser_;
  http::BodyDecoder decoder_;
  uint16_t http_status_ = 0;

  bool connection_open_ = false;
  uint32_t deadline_ = 0;
  bool has_deadline_ = false;
  uint32_t overall_deadline_ = 0;
  bool has_overall_deadline_ = false;

  // The download: what identifies it for a resume, and how far it got.
  bool started_ = false;
  bool sink_running_ = false;
  bool chunked_ = false;
  bool resumable_ = false;
  bool resuming_ = false;  // the request in flight asks for the rest
  uint32_t total_ = 0;     // Content-Length of the whole image (0 while chunked)
  uint32_t written_ = 0;
  uint32_t progress_reported_ = 0;
  uint8_t peek_[4] = {};
  uint8_t peeked_ = 0;
  bool md5_given_ = false;
  bool md5_valid_ = false;
  char md5_[33] = {};
  char etag_[kMaxEtag + 1] = {};
  uint8_t redirects_ = 0;
  uint8_t resumes_ = 0;

  // Across a reset: the record this pull resumed from or saved.
  uint8_t url_sha256_[crypto::kSha256Size] = {};
  bool from_record_ = false;    // the Updater was reopened from the record; its 206 is awaited
  bool store_touched_ = false;  // the store may hold a record of this pull
  bool save_failed_ = false;    // logged once per pull
  uint32_t saved_offset_ = 0;   // the durable offset in the store
  uint32_t resumed_from_ = 0;

  char available_version_[kMaxVersion + 1] = {};
  char withheld_[kMaxWithheld + 1] = {};
  char error_text_[24 + Updater::kMessageSize] = {};
  char message_[200] = {};
  char log_text_[4][120] = {};
  uint8_t next_log_ = 0;
  proto::EventQueue<PullEvent, 16> events_;
};

}  // namespace otakit::pull
