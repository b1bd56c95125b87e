// The device's browser upload page (ESP8266HTTPUpdateServer) as a sans-IO state machine: accepted
// connections, their bytes and the time go in; bytes to send, closes, the OTA hooks and the
// reboot come out of poll(), and the uploaded file streams into the UpdateSink as it arrives.
//
// Compatible with the original (facts §7): GET <path> serves the upload page, POST <path> takes
// multipart/form-data with a `firmware` or `filesystem` file, OPTIONS answers the CORS preflight,
// Basic auth when both a user and a password are set. Better than it: credentials are checked on
// every request; the status code says what happened (413, 422, 409, 401, 500 rather than 200
// with an error text); an optional `md5` form field before the file is checked by the Updater;
// `GET <path>?status` gives the running image as JSON for the page; a broken-off upload leaves
// the running image as it was; the success reply is queued in full before the reboot event.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "core/http/body_framing.h"
#include "core/http/multipart.h"
#include "core/http/request_head.h"
#include "core/proto/event_queue.h"
#include "core/proto/log_level.h"
#include "core/updater/update_sink.h"

namespace otakit::webupdate {

struct ServerConfig {
  const char* path = "/update";  // the upload page; "/" redirects to it
  const char* user = nullptr;    // Basic auth only when user and password are both non-empty
  const char* password = nullptr;
  uint32_t idle_timeout_ms = 10000;     // a kept-alive connection without a new request is closed
  uint32_t head_timeout_ms = 10000;     // a started request head must be complete within this
  uint32_t receive_timeout_ms = 10000;  // an upload that brings no byte for this long fails
};

// What the page and `?status` show about the running image.
struct DeviceStatus {
  const char* hostname = "";
  const char* version = "";  // from the image's OTAKit descriptor; empty when it has none
  const char* md5 = "";      // of the running sketch
  uint32_t sketch_size = 0;
  uint32_t free_space = 0;       // the largest firmware image an upload may bring
  uint32_t filesystem_size = 0;  // the largest filesystem image
  uint32_t chip_id = 0;
  uint32_t boots = 0;            // the page sees the reboot when this changes
  bool on_trial = false;
};

class StatusSource {
 public:
  virtual DeviceStatus device_status() = 0;

 protected:
  ~StatusSource() = default;
};

enum class ServerAction : uint8_t {
  send,      // queue data/len on `connection`
  close,     // close `connection` once what was queued on it is written
  started,   // onStart(command): an upload began
  progress,  // onProgress(done, total); total is the request's body length, an upper bound
  finished,  // the upload ended: success, or text says why (onEnd / onError, once per upload)
  reboot,    // restart the device once every connection's queued bytes are written
  log,       // a line at `level`; text says what
};

struct ServerEvent {
  ServerAction action = ServerAction::log;
  uint8_t connection = 0;
  const uint8_t* data = nullptr;  // valid until the next call into the server
  size_t len = 0;
  UpdateCommand command = UpdateCommand::flash;
  uint32_t done = 0;
  uint32_t total = 0;
  bool success = false;
  proto::LogLevel level = proto::LogLevel::info;
  const char* text = nullptr;
};

// The page the device serves on GET (core/webupdate/update_page.cpp).
extern const char kUpdatePage[];
extern const size_t kUpdatePageSize;

class WebUpdateServer {
 public:
  // A browser keeps spare connections open; an idle one is closed when a new one needs its slot.
  static constexpr uint8_t kConnections = 2;
  static constexpr uint8_t kNoSlot = 0xFF;

  // The server begins, writes, ends and aborts updates on sink; status is asked on every page
  // view and `?status`. Neither may call back into the server.
  WebUpdateServer(const ServerConfig& config, UpdateSink& sink, StatusSource& status);

  // A connection was accepted: its slot, or kNoSlot when every slot is busy with a request (close
  // the socket). May first close an idle kept-alive connection to make room.
  uint8_t on_accept(uint32_t now_ms);
  // Takes bytes up to the end of one answered request and returns how many it used: drain
  // poll(), then call again with the rest (a pipelined request) until everything is used.
  size_t on_data(uint8_t connection, const uint8_t* data, size_t len, uint32_t now_ms);
  // The peer closed or the socket failed; an upload in progress is aborted. Not for a connection
  // the server closed itself: after a close event its slot is free and may be given out again.
  void on_closed(uint8_t connection, uint32_t now_ms);
  void on_tick(uint32_t now_ms);
  // The driver shuts down: an upload in progress is aborted, no event follows.
  void abandon();

  bool poll(ServerEvent* out) { return events_.pop(out); }
  bool next_deadline(uint32_t* at_ms) const;

  bool uploading() const;
  bool queue_overflowed() const { return events_.overflowed(); }

 private:
  enum class Phase : uint8_t {
    free,       // no connection in this slot
    idle,       // waiting for a request (the first, or the next on a kept-alive connection)
    head,       // a request head is arriving
    upload,     // a POST body streams through the multipart parser into the sink
    discard,    // a body is read and dropped; the answer waits for its end
    closing,    // the answer is queued with a close; later bytes are ignored
  };

  struct Connection {
    Connection();
    Phase phase = Phase::free;
    uint32_t deadline = 0;
    http::HeadStorage<2048, 24> head_storage;
    http::RequestHeadParser request;
    http::BodyDecoder body;
    http::HeadStorage<512, 8> part_storage;
    http::MultipartParser multipart;
    bool keep_alive = false;
    uint32_t body_length = 0;
    // The upload: whether the sink began it, which part is being read, the md5 field.
    bool begun = false;
    bool in_file = false;
    bool in_md5_field = false;
    bool had_file = false;
    char md5[33] = {};
    size_t md5_length = 0;
    bool file_ended = false;  // the file's part ended; the sink ends once the whole form has
    bool answered = false;    // on_data stops after an answer (its bytes live in out_*)
    // The answer waiting for a discarded body's end.
    uint16_t pending_status = 0;
    bool pending_challenge = false;
    char out_head[512] = {};
    char out_body[640] = {};
  };

  size_t take_head(uint8_t id, const uint8_t* data, size_t len, uint32_t now);
  size_t take_body(uint8_t id, const uint8_t* data, size_t len, uint32_t now);
  void route(uint8_t id, uint32_t now);
  void start_upload(uint8_t id, uint32_t now);
  void on_multipart(uint8_t id, http::MultipartEvent event, uint32_t now);
  void begin_file(uint8_t id, uint32_t now);
  void write_file(uint8_t id, http::Slice data, uint32_t now);
  void end_file(uint8_t id);
  void complete_upload(uint8_t id, uint32_t now);
  void fail_upload(uint8_t id, uint16_t status, const char* message, uint32_t now);
  // Answers once the request's body is read (at once with Expect: 100-continue or no body).
  void refuse(uint8_t id, uint16_t status, const char* message, bool challenge, uint32_t now);
  bool authorized(const http::RequestHead& head);

  struct Reply {
    uint16_t status = 200;
    const char* content_type = "text/html";
    const char* body = "";  // static text or the connection's out_body
    size_t body_len = 0;
    bool cors = false;
    bool challenge = false;  // WWW-Authenticate
    const char* location = nullptr;
    bool no_store = false;
    bool close = false;  // close after it even on a kept-alive connection
  };
  void answer(uint8_t id, const Reply& reply, uint32_t now);
  void answer_text(uint8_t id, uint16_t status, const char* text, uint32_t now);
  void answer_status(uint8_t id, uint32_t now);
  void answer_pending(uint8_t id, uint32_t now);
  void close(uint8_t id);
  void free_slot(uint8_t id);

  void finish(bool success, const char* text);
  void log(proto::LogLevel level, const char* text);
  void emit(const ServerEvent& event) { events_.push(event); }

  ServerConfig config_;
  bool auth_required_ = false;
  UpdateSink& sink_;
  StatusSource& status_;
  Connection connections_[kConnections];
  uint8_t uploader_ = kNoSlot;  // the slot whose upload the sink holds
  UpdateCommand command_ = UpdateCommand::flash;
  uint32_t written_ = 0;
  char message_[200] = {};
  char log_text_[4][120] = {};  // a ring: several lines may wait in the queue at once
  uint8_t next_log_ = 0;
  proto::EventQueue<ServerEvent, 16> events_;
};

}  // namespace otakit::webupdate
