#include "core/webupdate/web_update_server.h"

#include <string.h>

#include "core/http/basic_auth.h"
#include "core/http/response_builder.h"
#include "core/util/text.h"
#include "core/webupdate/status_json.h"

namespace otakit::webupdate {
namespace {

// The original's success body, byte for byte: scripts look for it.
constexpr char kSuccessBody[] = "<META http-equiv=\"refresh\" content=\"15;URL=/\">Update Success! Rebooting...";
constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
constexpr char kRealm[] = "Login Required";
constexpr char kNoBody[] = "the request has no body: attach the image as a firmware or filesystem file";

bool is_set(const char* text) { return text != nullptr && text[0] != '\0'; }

// The n of the sink's "ERROR[n]: ..." (0 when the text has none).
uint32_t update_error_number(const char* message) {
  const char* at = strstr(message, "ERROR[");
  if (at == nullptr) return 0;
  uint32_t n = 0;
  for (at += 6; *at >= '0' && *at <= '9'; ++at) n = n * 10 + uint32_t(*at - '0');
  return n;
}

// What an Updater failure means for the client: its image (4xx) or the device (5xx).
uint16_t status_for_update_error(uint32_t number) {
  switch (UpdateError(number)) {
    case UpdateError::space:
    case UpdateError::size:
    case UpdateError::too_much_data:
    case UpdateError::gzip_too_large: return 413;
    case UpdateError::running_already:
    case UpdateError::trial_pending: return 409;
    case UpdateError::write:
    case UpdateError::erase:
    case UpdateError::read:
    case UpdateError::oom:
    case UpdateError::aborted:
    case UpdateError::not_running:
    case UpdateError::ok: return 500;
    default: return 422;  // md5, magic, signature, flash config, no data, downgrade, bad image
  }
}

}  // namespace

WebUpdateServer::Connection::Connection()
    : request(head_storage), body(http::BodyFraming{}), multipart(http::Text{}, part_storage) {}

WebUpdateServer::WebUpdateServer(const ServerConfig& config, UpdateSink& sink, StatusSource& status)
    : config_(config), auth_required_(is_set(config.user) && is_set(config.password)), sink_(sink), status_(status) {
  if (!is_set(config_.path)) config_.path = "/update";
}

uint8_t WebUpdateServer::on_accept(uint32_t now) {
  uint8_t slot = kNoSlot;
  for (uint8_t id = 0; id < kConnections && slot == kNoSlot; ++id)
    if (connections_[id].phase == Phase::free) slot = id;
  // A browser's spare kept-alive connection gives way to the new one: the one idle longest, whose
  // idle deadline comes first (each is its last activity plus the same timeout).
  const bool full = slot == kNoSlot;
  for (uint8_t id = 0; id < kConnections && full; ++id) {
    if (connections_[id].phase != Phase::idle) continue;
    if (slot == kNoSlot || int32_t(connections_[id].deadline - connections_[slot].deadline) < 0) slot = id;
  }
  if (full && slot != kNoSlot) close(slot);
  if (slot == kNoSlot) {
    log(proto::LogLevel::warn, "web: every connection slot is busy with a request; a new connection is refused");
    return kNoSlot;
  }
  Connection& c = connections_[slot];
  c.phase = Phase::idle;
  c.request.reset();
  c.deadline = now + config_.idle_timeout_ms;
  return slot;
}

size_t WebUpdateServer::on_data(uint8_t id, const uint8_t* data, size_t len, uint32_t now) {
  if (id >= kConnections) return len;
  Connection& c = connections_[id];
  c.answered = false;
  size_t used = 0;
  while (used < len && !c.answered) {
    switch (c.phase) {
      case Phase::idle:
      case Phase::head: used += take_head(id, data + used, len - used, now); break;
      case Phase::upload:
      case Phase::discard: used += take_body(id, data + used, len - used, now); break;
      case Phase::free:
      case Phase::closing: return len;  // after the close: nothing more is read
    }
  }
  return used;
}

void WebUpdateServer::on_closed(uint8_t id, uint32_t now) {
  (void)now;
  if (id >= kConnections || connections_[id].phase == Phase::free) return;
  if (uploader_ == id) {
    const bool had_file = connections_[id].had_file;
    TextBuilder text(message_, sizeof(message_));
    text.add("the connection closed after ").add_u32(written_).add(" bytes of the upload; the running image is unchanged");
    sink_.abort();
    uploader_ = kNoSlot;
    if (had_file) finish(false, message_);
  }
  free_slot(id);
}

void WebUpdateServer::on_tick(uint32_t now) {
  for (uint8_t id = 0; id < kConnections; ++id) {
    Connection& c = connections_[id];
    if (c.phase == Phase::free || c.phase == Phase::closing || int32_t(now - c.deadline) < 0) continue;
    switch (c.phase) {
      case Phase::idle: close(id); break;
      case Phase::head: answer_text(id, 408, "the request head did not arrive in time\n", now); break;
      case Phase::upload:
        fail_upload(id, 408, "no data arrived for the receive timeout; the running image is unchanged", now);
        answer_pending(id, now);
        break;
      case Phase::discard:  // the refusal waited for a body that stopped: send it now, and close
        c.keep_alive = false;
        answer_pending(id, now);
        break;
      default: close(id); break;
    }
  }
}

void WebUpdateServer::abandon() {
  if (uploader_ != kNoSlot) sink_.abort();
  uploader_ = kNoSlot;
  for (uint8_t id = 0; id < kConnections; ++id) free_slot(id);
  ServerEvent drained;
  while (events_.pop(&drained)) {
  }
}

bool WebUpdateServer::next_deadline(uint32_t* at) const {
  bool any = false;
  for (const Connection& c : connections_) {
    if (c.phase == Phase::free || c.phase == Phase::closing) continue;
    if (!any || int32_t(c.deadline - *at) < 0) *at = c.deadline;
    any = true;
  }
  return any;
}

bool WebUpdateServer::uploading() const { return uploader_ != kNoSlot; }

// --- requests ---

size_t WebUpdateServer::take_head(uint8_t id, const uint8_t* data, size_t len, uint32_t now) {
  Connection& c = connections_[id];
  if (c.phase == Phase::idle) {
    c.phase = Phase::head;
    c.deadline = now + config_.head_timeout_ms;
  }
  size_t used = c.request.feed(data, len);
  if (c.request.status() == http::HeadStatus::failed) {
    TextBuilder body(c.out_body, sizeof(c.out_body));
    body.add("bad request: ").add(http::describe(c.request.error())).add("\n");
    c.keep_alive = false;
    answer_text(id, http::status_for(c.request.error()), c.out_body, now);
    return len;
  }
  if (c.request.status() == http::HeadStatus::complete) route(id, now);
  return used;
}

void WebUpdateServer::route(uint8_t id, uint32_t now) {
  Connection& c = connections_[id];
  const http::RequestHead& head = c.request.head();
  c.keep_alive = head.keep_alive;
  c.pending_status = 0;
  const bool is_get = head.method == http::Method::get || head.method == http::Method::head;
  if (!head.path.equals(config_.path)) {
    if (is_get && head.path.equals("/")) {
      Reply reply;
      reply.status = 303;
      reply.location = config_.path;
      return answer(id, reply, now);
    }
    TextBuilder body(c.out_body, sizeof(c.out_body));
    body.add("not found: the update page is at ").add(config_.path).add("\n");
    return refuse(id, 404, c.out_body, false, now);
  }
  if (head.method == http::Method::options) {
    // The original's CORS preflight answer, byte for byte; preflights carry no credentials.
    Reply reply;
    reply.body = "y";
    reply.body_len = 1;
    reply.cors = true;
    return answer(id, reply, now);
  }
  if (!authorized(head)) {
    log(proto::LogLevel::warn, "web: a request without valid credentials was refused (401)");
    return refuse(id, 401, "", true, now);
  }
  if (is_get) {
    if (head.query.present() && head.query.equals("status")) return answer_status(id, now);
    Reply reply;
    reply.body = kUpdatePage;
    reply.body_len = kUpdatePageSize;
    return answer(id, reply, now);
  }
  if (head.method == http::Method::post) return start_upload(id, now);
  refuse(id, 405, "method not allowed: GET the page, POST the image as multipart/form-data\n", false, now);
}

bool WebUpdateServer::authorized(const http::RequestHead& head) {
  if (!auth_required_) return true;
  char scratch[http::kMaxBasicCredentials + 4];
  http::BasicCredentials given;
  if (http::decode_basic_authorization(head.authorization, scratch, sizeof(scratch), &given) != http::BasicAuthError::ok)
    return false;
  return http::credentials_match(given, config_.user, config_.password);
}

void WebUpdateServer::start_upload(uint8_t id, uint32_t now) {
  Connection& c = connections_[id];
  const http::RequestHead& head = c.request.head();
  if (uploader_ != kNoSlot) {
    log(proto::LogLevel::warn, "web: a second upload was refused while one is in progress (409)");
    return refuse(id, 409, "Update error: another upload is in progress; try again when it has finished\n", false, now);
  }
  if (!head.media_type.equals_ci("multipart/form-data")) {
    return refuse(id, 415,
                  "unsupported media type: send the image as multipart/form-data in a field named firmware or "
                  "filesystem (curl -F firmware=@fw.bin)\n",
                  false, now);
  }
  const http::MultipartError boundary = http::MultipartParser::check_boundary(head.boundary);
  if (boundary != http::MultipartError::ok) {
    TextBuilder body(c.out_body, sizeof(c.out_body));
    body.add("bad multipart/form-data: ").add(http::describe(boundary)).add("\n");
    return refuse(id, 400, c.out_body, false, now);
  }
  if (!head.body.chunked && !head.body.has_content_length) {
    return refuse(id, 411, "length required: send the body with a Content-Length or chunked\n", false, now);
  }
  const http::BodyFraming framing = head.body_framing();
  if (framing.kind == http::Framing::length && framing.length == 0) {
    TextBuilder(c.out_body, sizeof(c.out_body)).add(kNoBody).add("\n");
    return refuse(id, 400, c.out_body, false, now);
  }
  if (head.expects_continue) {
    ServerEvent event;
    event.action = ServerAction::send;
    event.connection = id;
    event.data = reinterpret_cast<const uint8_t*>(kContinue);
    event.len = sizeof(kContinue) - 1;
    emit(event);
  }
  c.body = http::BodyDecoder(framing);
  c.multipart = http::MultipartParser(head.boundary, c.part_storage);
  c.body_length = framing.kind == http::Framing::length ? framing.length : 0;
  c.begun = c.in_file = c.in_md5_field = c.had_file = c.file_ended = false;
  c.md5_length = 0;
  c.md5[0] = '\0';
  c.phase = Phase::upload;
  c.deadline = now + config_.receive_timeout_ms;
  uploader_ = id;
  written_ = 0;
}

size_t WebUpdateServer::take_body(uint8_t id, const uint8_t* data, size_t len, uint32_t now) {
  Connection& c = connections_[id];
  c.deadline = now + config_.receive_timeout_ms;
  const uint32_t written_before = written_;
  size_t used = 0;
  while (used < len && !c.body.done() && !c.body.failed() && !c.answered) {
    http::Slice piece;
    used += c.body.decode(data + used, len - used, &piece);
    size_t fed = 0;
    while (fed < piece.size && c.phase == Phase::upload) {
      http::MultipartEvent event;
      fed += c.multipart.feed(piece.data + fed, piece.size - fed, &event);
      on_multipart(id, event, now);
    }
  }
  // One progress event per read, not per slice: a CR in the image splits the multipart data, and
  // an image full of them would overflow the event queue (losing the answer and the reboot).
  if (uploader_ == id && written_ != written_before) {
    ServerEvent event;
    event.action = ServerAction::progress;
    event.connection = id;
    event.done = written_;
    event.total = c.body_length;
    emit(event);
  }
  if (c.answered) return used;
  if (c.body.failed()) {
    // The reason goes to message_: fail_upload rebuilds out_body from its message.
    TextBuilder text(message_, sizeof(message_));
    text.add("bad request body: ").add(http::describe(c.body.error()));
    if (c.phase == Phase::upload) fail_upload(id, 400, message_, now);
    TextBuilder(c.out_body, sizeof(c.out_body)).add(message_).add("\n");
    c.keep_alive = false;
    answer_text(id, 400, c.out_body, now);
    return len;
  }
  if (c.body.done()) {
    if (c.phase == Phase::upload) complete_upload(id, now);
    if (!c.answered) answer_pending(id, now);
  }
  return used;
}

// --- the upload ---

void WebUpdateServer::on_multipart(uint8_t id, http::MultipartEvent event, uint32_t now) {
  Connection& c = connections_[id];
  switch (event) {
    case http::MultipartEvent::part_begin: {
      const http::PartInfo& part = c.multipart.part();
      if (part.filename.present()) {
        if (c.had_file) return fail_upload(id, 400, "one image per upload: the form holds a second file", now);
        return begin_file(id, now);
      }
      // Only an md5 field replaces the md5: another field between it and the file keeps it.
      c.in_md5_field = part.name.equals("md5");
      if (c.in_md5_field) c.md5_length = 0;
      return;
    }
    case http::MultipartEvent::part_data: {
      const http::Slice data = c.multipart.data();
      if (c.in_file) return write_file(id, data, now);
      if (!c.in_md5_field) return;
      if (c.md5_length + data.size > 32) return fail_upload(id, 400, "the md5 field is longer than 32 hex digits", now);
      memcpy(c.md5 + c.md5_length, data.data, data.size);
      c.md5_length += data.size;
      c.md5[c.md5_length] = '\0';
      return;
    }
    case http::MultipartEvent::part_end:
      if (c.in_file) return end_file(id);
      c.in_md5_field = false;
      return;
    case http::MultipartEvent::failed: {
      TextBuilder text(message_, sizeof(message_));
      text.add("bad multipart/form-data: ").add(http::describe(c.multipart.error()));
      return fail_upload(id, 400, message_, now);
    }
    case http::MultipartEvent::need_input:
    case http::MultipartEvent::body_end: return;
  }
}

void WebUpdateServer::begin_file(uint8_t id, uint32_t now) {
  Connection& c = connections_[id];
  c.had_file = true;
  // The original: a field named exactly "filesystem" is a filesystem image, anything else firmware.
  command_ = c.multipart.part().name.equals("filesystem") ? UpdateCommand::filesystem : UpdateCommand::flash;
  // The file's size is known only at its end: the body's length bounds it, and so does the room
  // there is (a larger file then fails as too_much_data, 413).
  const DeviceStatus status = status_.device_status();
  const uint32_t room = command_ == UpdateCommand::filesystem ? status.filesystem_size : status.free_space;
  const uint32_t bound = c.body_length > 0 && c.body_length < room ? c.body_length : room;
  const char* md5 = c.md5_length > 0 ? c.md5 : nullptr;
  if (!sink_.begin(bound, command_, md5)) {
    TextBuilder text(message_, sizeof(message_));
    text.add("Update error: ").add(sink_.error_message());
    return fail_upload(id, status_for_update_error(update_error_number(sink_.error_message())), message_, now);
  }
  c.begun = c.in_file = true;
  ServerEvent event;
  event.action = ServerAction::started;
  event.connection = id;
  event.command = command_;
  emit(event);
  log(proto::LogLevel::info, command_ == UpdateCommand::filesystem ? "web: filesystem upload started"
                                                                   : "web: firmware upload started");
}

void WebUpdateServer::write_file(uint8_t id, http::Slice data, uint32_t now) {
  if (data.size == 0) return;
  const uint32_t taken = sink_.write(data.data, uint32_t(data.size));
  if (taken != data.size) {
    TextBuilder text(message_, sizeof(message_));
    text.add("Update error: ").add(sink_.error_message());
    return fail_upload(id, status_for_update_error(update_error_number(sink_.error_message())), message_, now);
  }
  written_ += taken;
}

// The file's part ended, but the form may still be cut off before its closing boundary: the
// sink ends (stages) only in complete_upload, once the whole body has parsed.
void WebUpdateServer::end_file(uint8_t id) {
  Connection& c = connections_[id];
  c.in_file = false;
  c.file_ended = true;
}

void WebUpdateServer::complete_upload(uint8_t id, uint32_t now) {
  Connection& c = connections_[id];
  if (c.body.received() == 0) return fail_upload(id, 400, kNoBody, now);  // chunked: "0" at once
  if (c.multipart.finish() != http::MultipartError::ok) {
    TextBuilder text(message_, sizeof(message_));
    text.add("bad multipart/form-data: ").add(http::describe(c.multipart.finish()));
    return fail_upload(id, 400, message_, now);
  }
  if (!c.had_file) {
    return fail_upload(id, 400, "the form holds no file: attach the image as a firmware or filesystem file", now);
  }
  c.begun = false;
  if (!sink_.end_at_received()) {
    TextBuilder text(message_, sizeof(message_));
    text.add("Update error: ").add(sink_.error_message());
    return fail_upload(id, status_for_update_error(update_error_number(sink_.error_message())), message_, now);
  }
  uploader_ = kNoSlot;
  finish(true, "staged; the device reboots into it");
  Reply reply;
  reply.body = kSuccessBody;
  reply.body_len = sizeof(kSuccessBody) - 1;
  reply.cors = true;
  reply.close = true;  // the reply goes out completely, then the reboot
  answer(id, reply, now);
  ServerEvent event;
  event.action = ServerAction::reboot;
  emit(event);
}

// Ends the upload on a failure: the sink drops what it holds, onError fires once, and the rest of
// the body is read and dropped so that the client sees the answer.
void WebUpdateServer::fail_upload(uint8_t id, uint16_t status, const char* message, uint32_t now) {
  Connection& c = connections_[id];
  if (uploader_ == id) {
    sink_.abort();
    uploader_ = kNoSlot;
    if (c.had_file) finish(false, message);
  }
  c.begun = c.in_file = false;
  TextBuilder body(c.out_body, sizeof(c.out_body));
  body.add(message).add("\n");
  c.keep_alive = false;  // whatever follows in this body is not a request
  refuse(id, status, c.out_body, false, now);
}

void WebUpdateServer::refuse(uint8_t id, uint16_t status, const char* message, bool challenge, uint32_t now) {
  Connection& c = connections_[id];
  if (message != c.out_body) TextBuilder(c.out_body, sizeof(c.out_body)).add(message);
  c.pending_status = status;
  c.pending_challenge = challenge;
  const http::RequestHead& head = c.request.head();
  const bool has_body = head.body.chunked || head.body.content_length > 0;
  const bool body_read = c.phase == Phase::upload ? c.body.done() : !has_body;
  if (body_read || (head.expects_continue && c.phase != Phase::upload)) {
    // Before a 100 Continue the client waits for this answer instead of sending the body.
    if (!body_read) c.keep_alive = false;
    return answer_pending(id, now);
  }
  if (c.phase != Phase::upload) {
    c.body = http::BodyDecoder(head.body_framing());
    c.deadline = now + config_.receive_timeout_ms;
  }
  c.phase = Phase::discard;
}

// --- answers ---

void WebUpdateServer::answer_pending(uint8_t id, uint32_t now) {
  Connection& c = connections_[id];
  if (c.pending_status == 401) {
    // The original's 401, with the CORS headers on POST as it sends them.
    Reply reply;
    reply.status = 401;
    reply.challenge = true;
    reply.cors = c.request.head().method == http::Method::post;
    return answer(id, reply, now);
  }
  answer_text(id, c.pending_status == 0 ? 500 : c.pending_status, c.out_body, now);
}

void WebUpdateServer::answer_text(uint8_t id, uint16_t status, const char* text, uint32_t now) {
  Reply reply;
  reply.status = status;
  reply.content_type = "text/plain";
  reply.body = text;
  reply.body_len = strlen(text);
  reply.cors = true;
  reply.close = status >= 400 && status != 401 && status != 404;
  answer(id, reply, now);
}

void WebUpdateServer::answer_status(uint8_t id, uint32_t now) {
  Connection& c = connections_[id];
  DeviceStatus status = status_.device_status();
  const size_t length = format_status_json(status, uploading(), c.out_body, sizeof(c.out_body));
  Reply reply;
  reply.content_type = "application/json";
  reply.body = c.out_body;
  reply.body_len = length;
  reply.no_store = true;
  reply.cors = true;
  if (length == 0) {
    reply.status = 500;
    reply.content_type = "text/plain";
    reply.body = "the status does not fit the reply buffer\n";
    reply.body_len = strlen(reply.body);
  }
  answer(id, reply, now);
}

void WebUpdateServer::answer(uint8_t id, const Reply& reply, uint32_t now) {
  Connection& c = connections_[id];
  const http::RequestHead& head = c.request.head();
  // A body the route did not read (a GET with one) would be parsed as the next request.
  const bool body_unread = c.phase == Phase::head && (head.body.chunked || head.body.content_length > 0);
  const bool keep_alive = c.keep_alive && !reply.close && !body_unread;
  http::ServerResponse response;
  response.version = head.version;
  response.status = reply.status;
  response.content_type = reply.content_type;
  response.content_length = uint32_t(reply.body_len);
  response.cors = reply.cors;
  response.basic_realm = reply.challenge ? kRealm : nullptr;
  response.location = reply.location;
  response.allow = reply.status == 405 ? "GET, HEAD, POST, OPTIONS" : nullptr;
  response.no_store = reply.no_store;
  response.keep_alive = keep_alive;
  const size_t head_length = http::build_response_head(response, c.out_head, sizeof(c.out_head));
  c.answered = true;
  ServerEvent event;
  event.action = ServerAction::send;
  event.connection = id;
  event.data = reinterpret_cast<const uint8_t*>(c.out_head);
  event.len = head_length;
  emit(event);
  // Every answer to HEAD is its head alone (RFC 9110 §9.3.2), whatever the route.
  if (reply.body_len > 0 && head.method != http::Method::head) {
    event.data = reinterpret_cast<const uint8_t*>(reply.body);
    event.len = reply.body_len;
    emit(event);
  }
  if (!keep_alive) return close(id);
  c.phase = Phase::idle;
  c.request.reset();
  c.deadline = now + config_.idle_timeout_ms;
}

void WebUpdateServer::close(uint8_t id) {
  ServerEvent event;
  event.action = ServerAction::close;
  event.connection = id;
  emit(event);
  free_slot(id);
}

void WebUpdateServer::free_slot(uint8_t id) {
  if (uploader_ == id) {
    sink_.abort();
    uploader_ = kNoSlot;
  }
  connections_[id].phase = Phase::free;
}

void WebUpdateServer::finish(bool success, const char* text) {
  ServerEvent event;
  event.action = ServerAction::finished;
  event.success = success;
  event.command = command_;
  event.done = written_;
  event.text = text;
  emit(event);
  log(success ? proto::LogLevel::info : proto::LogLevel::warn, text);
}

void WebUpdateServer::log(proto::LogLevel level, const char* text) {
  char* line = log_text_[next_log_];
  next_log_ = uint8_t((next_log_ + 1) % 4);
  TextBuilder(line, sizeof(log_text_[0])).add(text);
  ServerEvent event;
  event.action = ServerAction::log;
  event.level = level;
  event.text = line;
  emit(event);
}

}  // namespace otakit::webupdate
