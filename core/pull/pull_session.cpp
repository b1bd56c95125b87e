#include "core/pull/pull_session.h"

#include <string.h>

#include "core/http/device_report.h"
#include "core/proto/time.h"
#include "core/util/hex.h"
#include "core/util/text.h"

namespace otakit::pull {
namespace {

using http::Text;

constexpr uint8_t kEspImageMagic = 0xE9;
constexpr uint8_t kGzipMagic = 0x1F;
constexpr size_t kImageHeadBytes = 4;  // ESP8266httpUpdate peeks this many before the Updater begins
constexpr int32_t kUnnumberedSinkError = int32_t(UpdateError::aborted);

// ESP.magicFlashChipSize(): the flash size an image header's code (byte 3 >> 4) stands for,
// 0 for a code the original does not know (which then passes its check).
uint32_t flash_size_for_code(uint8_t code) {
  switch (code) {
    case 0x0: return 512u << 10;
    case 0x1: return 256u << 10;
    case 0x2: return 1u << 20;
    case 0x3: return 2u << 20;
    case 0x4: return 4u << 20;
    case 0x8: return 8u << 20;
    case 0x9: return 16u << 20;
  }
  return 0;
}

bool is_redirect(uint16_t status) { return status == 301 || status == 302 || status == 303 || status == 307; }

bool is_empty(const char* text) { return text == nullptr || text[0] == '\0'; }

bool copy_text(Text text, char* out, size_t capacity) {
  if (text.size >= capacity) return false;
  memcpy(out, text.data, text.size);
  out[text.size] = '\0';
  return true;
}

// n of the Updater's "ERROR[n]: text"; 0 if the message is not one.
int32_t updater_code(const char* message) {
  if (message == nullptr || strncmp(message, "ERROR[", 6) != 0) return 0;
  int32_t n = 0;
  const char* p = message + 6;
  while (*p >= '0' && *p <= '9' && n < 1000) n = n * 10 + (*p++ - '0');
  return *p == ']' ? n : 0;
}

// A pull that failed because the download broke off keeps its resume record for the next pull.
bool download_broke_off(PullResult result, int32_t code) {
  return result == PullResult::failed && (code == error::kStreamTimeout || code == error::kConnectionLost ||
                                          code == error::kConnectionFailed || code == error::kReadTimeout);
}

}  // namespace

const char* describe(PullResult result) {
  switch (result) {
    case PullResult::failed: return "HTTP_UPDATE_FAILED";
    case PullResult::no_updates: return "HTTP_UPDATE_NO_UPDATES";
    case PullResult::ok: return "HTTP_UPDATE_OK";
  }
  return "unknown";
}

const char* original_error_text(int32_t code) {
  switch (code) {
    case error::kTooLessSpace: return "Not Enough space";
    case error::kServerNotReportSize: return "Server Did Not Report Size";
    case error::kServerFileNotFound: return "File Not Found (404)";
    case error::kServerForbidden: return "Forbidden (403)";
    case error::kServerWrongHttpCode: return "Wrong HTTP Code";
    case error::kServerFaultyMd5: return "Wrong MD5";
    case error::kBinVerifyHeaderFailed: return "Verify Bin Header Failed";
    case error::kBinForWrongFlash: return "New Binary Does Not Fit Flash Size";
    case error::kServerUnauthorized: return "Unauthorized (401)";
    case -1: return "HTTP error: connection failed";
    case -2: return "HTTP error: send header failed";
    case -3: return "HTTP error: send payload failed";
    case -4: return "HTTP error: not connected";
    case -5: return "HTTP error: connection lost";
    case -6: return "HTTP error: no stream";
    case -7: return "HTTP error: no HTTP server";
    case -8: return "HTTP error: not enough ram";
    case -9: return "HTTP error: Transfer-Encoding not supported";
    case -10: return "HTTP error: Stream write error";
    case -11: return "HTTP error: read Timeout";
  }
  return "";  // 0, -109 (the original has no text for it) and the Updater's numbers
}

PullSession::PullSession(const PullConfig& config, UpdateSink& sink)
    : config_(config), sink_(sink), parser_(head_storage_), decoder_(http::BodyFraming{}) {}

void PullSession::reset_pull() {
  http_status_ = 0;
  connection_open_ = false;
  has_deadline_ = false;
  has_overall_deadline_ = false;
  started_ = sink_running_ = chunked_ = resumable_ = resuming_ = false;
  total_ = written_ = progress_reported_ = 0;
  peeked_ = 0;
  md5_given_ = md5_valid_ = false;
  md5_[0] = etag_[0] = available_version_[0] = withheld_[0] = error_text_[0] = message_[0] = '\0';
  redirects_ = resumes_ = 0;
  from_record_ = store_touched_ = save_failed_ = false;
  saved_offset_ = resumed_from_ = 0;
}

bool PullSession::start(uint32_t now) {
  if (state_ != PullState::idle && state_ != PullState::done) return false;
  reset_pull();
  if (config_.overall_timeout_ms > 0) {
    overall_deadline_ = now + config_.overall_timeout_ms;
    has_overall_deadline_ = true;
  }
  http::UrlError error = http::parse_url(config_.url, &origin_);
  if (error != http::UrlError::ok) {
    char why[120];
    TextBuilder(why, sizeof(why)).add("bad update URL: ").add(http::describe(error));
    fail(error::kConnectionFailed, why);
    return true;
  }
  url_ = origin_;
  if (config_.resume_store != nullptr) resume_url_hash(config_.url, url_sha256_);
  resume_from_store();
  open_connection(now);
  return true;
}

// A record of an interrupted download of this URL reopens the Updater where the flash holds the
// image up to, and the first request asks for the rest (Range, and If-Range with the ETag); the
// server's answer decides in continue_download() or begin_download(). Any other record is
// dropped: this pull will overwrite the staging area anyway.
void PullSession::resume_from_store() {
  ResumeStore* store = config_.resume_store;
  if (store == nullptr || config_.mode == http::UpdateMode::version || config_.max_resumes == 0) return;
  ResumeRecord record;
  if (!store->load(&record)) return;
  store_touched_ = true;
  const char* ignored = nullptr;
  if (memcmp(record.url_sha256, url_sha256_, sizeof(url_sha256_)) != 0) {
    ignored = "it was for another URL";
  } else if (record.command != update_command()) {
    ignored = "it was for another kind of update";
  } else if (!is_empty(config_.md5) &&
             !(strlen(config_.md5) == 32 && record.md5[0] != '\0' && hex_equal_ci(config_.md5, record.md5, 32))) {
    ignored = "setMD5sum names another image";
  } else if (record.total > capacity()) {
    ignored = "the image no longer fits";
  }
  char line[120];
  TextBuilder text(line, sizeof(line));
  if (ignored != nullptr) {
    text.add("the download interrupted at byte ").add_u32(record.offset).add(" is not resumed: ").add(ignored);
    log(proto::LogLevel::info, line);
    return forget_resume_point();
  }
  if (!sink_.resume(record.total, update_command(), record.md5[0] != '\0' ? record.md5 : nullptr, record.offset,
                    record.prefix_sha256)) {
    text.add("not resumed: ").add(sink_.error_message());
    log(proto::LogLevel::warn, line);
    return forget_resume_point();
  }
  sink_running_ = resuming_ = from_record_ = resumable_ = true;
  chunked_ = false;
  total_ = record.total;
  written_ = progress_reported_ = saved_offset_ = record.offset;
  memcpy(etag_, record.etag, sizeof(etag_));
  md5_given_ = md5_valid_ = record.md5[0] != '\0';
  memcpy(md5_, record.md5, sizeof(md5_));
  text.add("the download interrupted at byte ").add_u32(written_).add(" of ").add_u32(total_)
      .add(" is on flash: asking for the rest");
  log(proto::LogLevel::info, line);
}

// The record's image is not what the server has (or it will not send a range of it): the
// reopened update is dropped and the pull begins again with a plain request.
void PullSession::restart_fresh(const char* why, uint32_t now) {
  char line[120];
  TextBuilder(line, sizeof(line)).add(why).add(": starting over from byte 0");
  log(proto::LogLevel::warn, line);
  if (sink_running_) sink_.abort();
  sink_running_ = resuming_ = from_record_ = resumable_ = false;
  written_ = progress_reported_ = total_ = 0;
  peeked_ = 0;
  md5_given_ = md5_valid_ = false;
  md5_[0] = etag_[0] = '\0';
  forget_resume_point();
  close_connection();
  url_ = origin_;
  open_connection(now);
}

// After each write: once another whole sector is on flash, the store learns the new offset.
void PullSession::save_resume_point() {
  ResumeStore* store = config_.resume_store;
  if (store == nullptr || !resumable_ || chunked_ || config_.mode == http::UpdateMode::version) return;
  uint32_t durable = sink_.durable_offset();
  if (durable <= saved_offset_ || durable >= total_) return;
  ResumeRecord record;
  memcpy(record.url_sha256, url_sha256_, sizeof(url_sha256_));
  memcpy(record.etag, etag_, sizeof(record.etag));
  if (md5_valid_) memcpy(record.md5, md5_, sizeof(record.md5));
  record.total = total_;
  record.command = update_command();
  record.offset = durable;
  if (!sink_.durable_sha256(record.prefix_sha256)) return;
  store_touched_ = true;
  if (store->save(record)) {
    saved_offset_ = durable;
    return;
  }
  if (save_failed_) return;
  save_failed_ = true;
  char line[120];
  TextBuilder(line, sizeof(line)).add("cannot save the resume point at byte ").add_u32(durable)
      .add(": a reset now starts this download over");
  log(proto::LogLevel::warn, line);
}

void PullSession::forget_resume_point() {
  if (config_.resume_store != nullptr && store_touched_) config_.resume_store->clear();
  store_touched_ = false;
  saved_offset_ = 0;
}

// Credentials as ESP8266HTTPClient picks them (setAuthorization(base64) over user and password
// over the URL's userinfo), but only for the configured URL's origin: a redirect elsewhere gets
// only what its own Location carries.
void PullSession::choose_credentials(http::UpdateRequest* request) {
  const http::Url& userinfo_url = url_.same_origin(origin_) && !url_.has_userinfo() ? origin_ : url_;
  if (userinfo_url.has_userinfo()) {
    base64_encode(reinterpret_cast<const uint8_t*>(userinfo_url.userinfo), strlen(userinfo_url.userinfo),
                  url_authorization_);
    request->authorization = url_authorization_;
  }
  if (!url_.same_origin(origin_)) return;
  if (!is_empty(config_.user) && !is_empty(config_.password)) {
    request->authorization = nullptr;
    request->user = config_.user;
    request->password = config_.password;
  }
  if (!is_empty(config_.authorization)) request->authorization = config_.authorization;
}

bool PullSession::build_request() {
  http::UpdateRequest request;
  if (http::format_request_host(url_, request_host_, sizeof(request_host_)) == 0) {
    fail(error::kSendHeaderFailed, "the host does not fit the request");
    return false;
  }
  request.host = request_host_;
  request.port = url_.port;
  request.path = url_.path;
  request.device = config_.device;
  request.mode = config_.mode;
  request.version = config_.current_version;
  choose_credentials(&request);
  if (resuming_) {
    request.has_range_start = true;
    request.range_start = written_;
    request.if_range = etag_[0] != '\0' ? etag_ : nullptr;
  }
  http::BuildError error = http::build_update_request(request, request_, sizeof(request_), &request_length_);
  if (error == http::BuildError::ok) return true;
  char why[120];
  TextBuilder(why, sizeof(why)).add("cannot build the request: ").add(http::describe(error));
  fail(error::kSendHeaderFailed, why);
  return false;
}

void PullSession::open_connection(uint32_t now) {
  if (!build_request()) return;
  parser_.reset();
  state_ = PullState::connecting;
  set_deadline(now + config_.connect_timeout_ms);
  connection_open_ = true;
  char line[120];
  TextBuilder(line, sizeof(line)).add(resuming_ ? "resuming: GET " : "GET ").add(url_.secure ? "https://" : "http://")
      .add(request_host_).add_char(':').add_u32(url_.port).add(url_.path);
  log(proto::LogLevel::info, line);
  PullEvent event;
  event.action = PullAction::connect;
  event.host = url_.host;
  event.port = url_.port;
  event.secure = url_.secure;
  event.ipv6 = url_.ipv6;
  emit(event);
}

void PullSession::on_connected(uint32_t now) {
  if (state_ != PullState::connecting) return;
  state_ = PullState::reading_head;
  set_deadline(now + config_.header_timeout_ms);
  PullEvent event;
  event.action = PullAction::send;
  event.data = reinterpret_cast<const uint8_t*>(request_);
  event.len = request_length_;
  emit(event);
}

void PullSession::on_connect_failed(uint32_t now) {
  if (state_ != PullState::connecting) return;
  connection_open_ = false;
  if (resuming_ && try_resume("the new connection failed", now)) return;
  fail(error::kConnectionFailed, "could not connect to the server");
}

void PullSession::on_data(const uint8_t* data, size_t len, uint32_t now) {
  size_t used = 0;
  while (used < len) {
    size_t before = used;
    if (state_ == PullState::reading_head) {
      take_head_bytes(data, len, &used, now);
    } else if (state_ == PullState::reading_body) {
      take_body_bytes(data, len, &used, now);
    } else {
      break;  // before the request went out, after the body ended, or after a failure
    }
    if (used == before && (state_ == PullState::reading_head || state_ == PullState::reading_body)) break;
  }
}

void PullSession::take_head_bytes(const uint8_t* data, size_t len, size_t* used, uint32_t now) {
  *used += parser_.feed(data + *used, len - *used);
  set_deadline(now + config_.header_timeout_ms);
  if (parser_.status() == http::HeadStatus::complete) return handle_head(now);
  if (parser_.status() != http::HeadStatus::failed) return;
  char why[120];
  TextBuilder(why, sizeof(why)).add("bad response head: ").add(http::describe(parser_.error()));
  fail(parser_.error() == http::HeadError::unsupported_transfer_encoding ? error::kEncoding : error::kNoHttpServer, why);
}

void PullSession::handle_head(uint32_t now) {
  const http::ResponseHead& head = parser_.head();
  http_status_ = head.status;
  if (head.status < 200) return parser_.reset();  // 1xx: the real answer follows
  if (is_redirect(head.status) && config_.redirects != RedirectPolicy::off) return follow_redirect(now);
  if (config_.mode == http::UpdateMode::version) return handle_version_answer();
  if (head.status == 206 && resuming_) return continue_download(now);
  if (head.status == 200) return begin_download(now);
  if (head.status == 416 && resuming_) {
    if (from_record_) return restart_fresh("the server will not send the rest (416)", now);
    return fail(error::kServerWrongHttpCode, "the server refused to send the rest of the image (416 Range Not Satisfiable)");
  }
  fail_status(head.status);
}

// ESP8266HTTPClient follows a redirect that has a Location, up to the limit; then (or without a
// Location) the 3xx is the answer, which the update treats as a wrong code.
void PullSession::follow_redirect(uint32_t now) {
  const http::ResponseHead& head = parser_.head();
  char why[160];
  TextBuilder text(why, sizeof(why));
  text.add("redirect ").add_u32(head.status);
  if (!head.location.present()) return fail(error::kServerWrongHttpCode, text.add(" without a Location").c_str());
  if (redirects_ >= config_.redirect_limit) {
    return fail(error::kServerWrongHttpCode, text.add(" after ").add_u32(redirects_).add(" redirects: the limit").c_str());
  }
  http::UrlError error = http::resolve_location(url_, head.location, &location_);
  if (error != http::UrlError::ok) return fail(error::kServerWrongHttpCode, text.add(": ").add(http::describe(error)).c_str());
  if (url_.secure && !location_.secure) {
    return fail(error::kServerWrongHttpCode, text.add(" from https to http: refused").c_str());
  }
  ++redirects_;
  text.add(" to ").add(location_.secure ? "https://" : "http://").add(location_.host).add(location_.path);
  log(proto::LogLevel::info, why);
  url_ = location_;
  close_connection();
  open_connection(now);
}

void PullSession::handle_version_answer() {
  const http::ResponseHead& head = parser_.head();
  if (head.status != 200) return fail_status(head.status);
  if (!head.x_version.present()) return fail(error::kServerNotReportVersion, "200 without an x-version header");
  if (!copy_text(head.x_version, available_version_, sizeof(available_version_))) {
    return fail(error::kServerNotReportVersion, "the x-version header is longer than 64 characters");
  }
  char what[120];
  TextBuilder(what, sizeof(what)).add("the server offers version ").add(available_version_);
  finish(PullResult::ok, 0, what);
}

void PullSession::fail_status(uint16_t status) {
  char why[120];
  TextBuilder text(why, sizeof(why));
  text.add("the server answered ").add_u32(status);
  switch (status) {
    case 304: {
      const http::HeaderField* reason = parser_.head().fields.find(http::field::kWithheld);
      if (reason == nullptr || !copy_text(reason->value, withheld_, sizeof(withheld_))) withheld_[0] = '\0';
      return finish(PullResult::no_updates, 0, "no update: the server answered 304 Not Modified");
    }
    case 401: return fail(error::kServerUnauthorized, text.add(": wrong or missing credentials").c_str());
    case 403: return fail(error::kServerForbidden, why);
    case 404: return fail(error::kServerFileNotFound, why);
  }
  if (is_redirect(status)) text.add(" (a redirect; following redirects is off)");
  fail(error::kServerWrongHttpCode, why);
}

void PullSession::begin_download(uint32_t now) {
  const http::ResponseHead& head = parser_.head();
  if (resuming_) {
    log(proto::LogLevel::warn, "the image changed on the server (200 to the range request): starting over");
    sink_.abort();
    sink_running_ = resuming_ = from_record_ = false;
    written_ = progress_reported_ = 0;
    peeked_ = 0;
    forget_resume_point();
  }
  http::BodyFraming framing = head.body_framing();
  chunked_ = framing.kind == http::Framing::chunked;
  if (!chunked_ && (framing.kind == http::Framing::until_close || framing.length == 0)) {
    return fail(error::kServerNotReportSize, "200 without a Content-Length (or with 0)");
  }
  total_ = chunked_ ? 0 : framing.length;
  if (!check_space()) return;
  remember_identity();
  if (!started_) {
    started_ = true;
    PullEvent event;
    event.action = PullAction::started;
    emit(event);
  }
  decoder_ = http::BodyDecoder(framing);
  state_ = PullState::reading_body;
  set_deadline(now + config_.body_idle_timeout_ms);
}

UpdateCommand PullSession::update_command() const {
  return config_.mode == http::UpdateMode::sketch ? UpdateCommand::flash : UpdateCommand::filesystem;
}

uint32_t PullSession::capacity() const {
  return config_.mode == http::UpdateMode::sketch ? config_.device.free_space : config_.fs_size;
}

bool PullSession::check_space() {
  if (chunked_ ? capacity() > 0 : total_ <= capacity()) return true;
  char why[120];
  TextBuilder text(why, sizeof(why));
  if (chunked_) {
    text.add("no space for an image");
  } else {
    text.add("the image of ").add_u32(total_).add(" bytes does not fit the ").add_u32(capacity()).add(" bytes free");
  }
  fail(error::kTooLessSpace, why);
  return false;
}

// The MD5 to check (setMD5sum() over x-MD5) and what identifies the image for a resume.
void PullSession::remember_identity() {
  const http::ResponseHead& head = parser_.head();
  Text md5 = !is_empty(config_.md5) ? Text{config_.md5, strlen(config_.md5)} : head.x_md5;
  md5_given_ = md5.present() && md5.size > 0;
  md5_valid_ = md5.size == 32 && is_hex(md5.data, 32) && copy_text(md5, md5_, sizeof(md5_));
  etag_[0] = '\0';
  // Only a strong ETag (If-Range takes no other, RFC 9110 §13.1.5) that a resume record can hold.
  if (head.etag.present() && resume_etag_usable(head.etag.data, head.etag.size))
    copy_text(head.etag, etag_, sizeof(etag_));
  bool ranges = head.accept_ranges.present() && http::list_has_token(head.accept_ranges, "bytes");
  resumable_ = config_.max_resumes > 0 && !chunked_ && ranges && (etag_[0] != '\0' || md5_valid_);
}

// A 206 to the range request must continue exactly where the Updater stands, for the same image.
// After a reset (from_record_) the server must also name the image (its ETag, or its x-MD5 when
// the record has no ETag), and any mismatch starts the pull over instead of failing it.
void PullSession::continue_download(uint32_t now) {
  const http::ResponseHead& head = parser_.head();
  http::ContentRange range;
  bool continues = head.content_range.present() && http::parse_content_range(head.content_range, &range) &&
                   range.satisfied && range.first == written_ && range.length_known &&
                   range.complete_length == total_ && range.last + 1 == total_;
  char why[160];
  TextBuilder text(why, sizeof(why));
  if (!continues) {
    text.add("206 that does not continue at byte ").add_u32(written_).add(" of ").add_u32(total_);
    return from_record_ ? restart_fresh(why, now) : fail(error::kServerWrongHttpCode, why);
  }
  http::BodyFraming framing = head.body_framing();
  if (framing.kind != http::Framing::length || framing.length != total_ - written_) {
    const char* what = "206 whose length does not match its Content-Range";
    return from_record_ ? restart_fresh(what, now) : fail(error::kServerWrongHttpCode, what);
  }
  bool etag_differs = etag_[0] != '\0' && head.etag.present() && !head.etag.equals(etag_);
  bool md5_differs =
      md5_valid_ && head.x_md5.present() && !(head.x_md5.size == 32 && hex_equal_ci(head.x_md5.data, md5_, 32));
  if (etag_differs || md5_differs) {
    const char* what = "206 for another image (its ETag or x-MD5 differs)";
    return from_record_ ? restart_fresh(what, now) : fail(error::kServerWrongHttpCode, what);
  }
  if (from_record_) {
    bool named = etag_[0] != '\0' ? head.etag.present() : head.x_md5.present();
    if (!named) return restart_fresh(etag_[0] != '\0' ? "206 without an ETag" : "206 without an x-MD5", now);
  }
  resuming_ = false;
  text.add("resumed at byte ").add_u32(written_).add(" of ").add_u32(total_);
  log(proto::LogLevel::info, why);
  if (from_record_) {
    from_record_ = false;
    resumed_from_ = written_;
    if (!started_) {
      started_ = true;
      PullEvent event;
      event.action = PullAction::started;
      emit(event);
    }
    PullEvent event;
    event.action = PullAction::progress;
    event.done = written_;
    event.total = total_;
    emit(event);
  }
  decoder_ = http::BodyDecoder(framing);
  state_ = PullState::reading_body;
  set_deadline(now + config_.body_idle_timeout_ms);
}

void PullSession::take_body_bytes(const uint8_t* data, size_t len, size_t* used, uint32_t now) {
  set_deadline(now + config_.body_idle_timeout_ms);
  while (*used < len && state_ == PullState::reading_body) {
    http::Slice slice;
    size_t n = decoder_.decode(data + *used, len - *used, &slice);
    *used += n;
    if (slice.size > 0) accept_body_bytes(slice.data, uint32_t(slice.size));
    if (state_ != PullState::reading_body) return;
    if (decoder_.failed()) {
      char why[120];
      TextBuilder(why, sizeof(why)).add("bad chunked body: ").add(http::describe(decoder_.error()));
      return fail(error::kNoHttpServer, why);
    }
    if (decoder_.done()) return complete_body();
    if (n == 0) break;
  }
  report_progress();
}

void PullSession::accept_body_bytes(const uint8_t* data, uint32_t len) {
  if (!sink_running_) {
    bool sketch = config_.mode == http::UpdateMode::sketch;
    while (sketch && peeked_ < kImageHeadBytes && len > 0) {
      peek_[peeked_++] = *data++;
      --len;
    }
    if (sketch && peeked_ < kImageHeadBytes) return;
    if (!check_image_start() || !begin_sink()) return;
    if (peeked_ > 0 && !write_sink(peek_, peeked_)) return;
  }
  if (len > 0) write_sink(data, len);
}

// ESP8266httpUpdate's checks on the first four bytes of a sketch, before the Updater begins.
bool PullSession::check_image_start() {
  if (config_.mode != http::UpdateMode::sketch) return true;
  char why[120];
  TextBuilder text(why, sizeof(why));
  if (peek_[0] != kEspImageMagic && peek_[0] != kGzipMagic) {
    text.add("the image starts with byte ").add_u32(peek_[0]).add(", not 0xE9 (an image) or 0x1F (gzip)");
    fail(error::kBinVerifyHeaderFailed, why);
    return false;
  }
  uint32_t built_for = peek_[0] == kEspImageMagic ? flash_size_for_code(uint8_t(peek_[3] >> 4)) : 0;
  if (built_for <= config_.device.chip_size) return true;
  text.add("the image is built for a flash of ").add_u32(built_for).add(" bytes, this chip has ")
      .add_u32(config_.device.chip_size);
  fail(error::kBinForWrongFlash, why);
  return false;
}

bool PullSession::begin_sink() {
  if (md5_given_ && !md5_valid_) {
    fail(error::kServerFaultyMd5, "the expected MD5 (x-MD5 or setMD5sum) is not 32 hex digits");
    return false;
  }
  if (!sink_.begin(chunked_ ? capacity() : total_, update_command(), md5_valid_ ? md5_ : nullptr)) {
    fail_updater("the Updater did not begin");
    return false;
  }
  sink_running_ = true;
  PullEvent event;
  event.action = PullAction::progress;
  event.done = 0;
  event.total = total_;
  emit(event);
  return true;
}

bool PullSession::write_sink(const uint8_t* data, uint32_t len) {
  if (chunked_ && len > capacity() - written_) {
    char why[120];
    TextBuilder(why, sizeof(why)).add("the chunked image grew past the ").add_u32(capacity()).add(" bytes free");
    fail(error::kTooLessSpace, why);
    return false;
  }
  uint32_t taken = sink_.write(data, len);
  written_ += taken;
  if (taken == len) {
    save_resume_point();
    return true;
  }
  fail_updater("writing the image failed");
  return false;
}

void PullSession::report_progress() {
  if (!sink_running_ || written_ == progress_reported_) return;
  progress_reported_ = written_;
  PullEvent event;
  event.action = PullAction::progress;
  event.done = written_;
  event.total = total_;
  emit(event);
}

void PullSession::complete_body() {
  if (!sink_running_) {
    char why[120];
    TextBuilder(why, sizeof(why)).add("the body has only ").add_u32(peeked_).add(" bytes, too few for an image");
    return fail(config_.mode == http::UpdateMode::sketch ? error::kBinVerifyHeaderFailed : error::kServerNotReportSize,
                why);
  }
  report_progress();
  bool ended = chunked_ ? sink_.end_at_received() : sink_.end();
  sink_running_ = false;  // ended or failed, the sink holds nothing running
  if (!ended) return fail_updater("the image was refused");
  char what[120];
  TextBuilder(what, sizeof(what)).add(config_.mode == http::UpdateMode::sketch ? "image staged: " : "filesystem written: ")
      .add_u32(written_).add(" bytes");
  finish(PullResult::ok, 0, what);
}

void PullSession::on_closed(uint32_t now) {
  if (!connection_open_) return;
  if (state_ == PullState::connecting) return on_connect_failed(now);
  connection_open_ = false;
  if (state_ == PullState::reading_head) {
    if (resuming_ && try_resume("the server closed before answering", now)) return;
    return fail(error::kConnectionLost, "the server closed the connection before the response head ended");
  }
  if (state_ != PullState::reading_body) return;
  http::BodyError error = decoder_.finish();
  if (error == http::BodyError::ok) return complete_body();
  body_broke_off("the connection closed", now);
}

void PullSession::on_tick(uint32_t now) {
  if (state_ == PullState::idle || state_ == PullState::done) return;
  if (has_overall_deadline_ && proto::time_reached(now, overall_deadline_)) {
    char why[120];
    TextBuilder(why, sizeof(why)).add("the pull took longer than ").add_u32(config_.overall_timeout_ms).add(" ms");
    int32_t code = sink_running_ ? error::kStreamTimeout
                   : state_ == PullState::connecting ? error::kConnectionFailed : error::kReadTimeout;
    return fail(code, why);
  }
  if (!has_deadline_ || !proto::time_reached(now, deadline_)) return;
  switch (state_) {
    case PullState::connecting:
      if (resuming_ && try_resume("the new connection timed out", now)) return;
      return fail(error::kConnectionFailed, "no connection within the connect timeout");
    case PullState::reading_head:
      if (resuming_ && try_resume("no answer to the range request", now)) return;
      return fail(error::kReadTimeout, "no response head within the header timeout");
    case PullState::reading_body:
      return body_broke_off("no data within the body idle timeout", now);
    case PullState::resume_waiting:
      return open_connection(now);
    case PullState::idle:
    case PullState::done:
      return;
  }
}

void PullSession::body_broke_off(const char* why, uint32_t now) {
  if (try_resume(why, now)) return;
  char text[160];
  TextBuilder(text, sizeof(text)).add(why).add(" after ").add_u32(written_).add(" of ")
      .add_u32(total_).add(" bytes");
  fail(error::kStreamTimeout, text);
}

bool PullSession::try_resume(const char* why, uint32_t now) {
  if (!sink_running_ || !resumable_ || resumes_ >= config_.max_resumes) return false;
  ++resumes_;
  resuming_ = true;
  close_connection();
  char line[120];
  TextBuilder(line, sizeof(line)).add(why).add(" at byte ").add_u32(written_).add(" of ").add_u32(total_)
      .add(": resuming (try ").add_u32(resumes_).add(" of ").add_u32(config_.max_resumes).add_char(')');
  log(proto::LogLevel::warn, line);
  state_ = PullState::resume_waiting;
  set_deadline(now + config_.resume_delay_ms);
  return true;
}

void PullSession::abandon() {
  if (sink_running_) sink_.abort();
  sink_running_ = from_record_ = false;
  connection_open_ = false;
  has_deadline_ = has_overall_deadline_ = false;
  state_ = PullState::idle;
  PullEvent drop;
  while (events_.pop(&drop)) {
  }
}

bool PullSession::next_deadline(uint32_t* at) const {
  if (state_ == PullState::idle || state_ == PullState::done) return false;
  if (!has_deadline_ && !has_overall_deadline_) return false;
  if (!has_deadline_ || (has_overall_deadline_ && int32_t(overall_deadline_ - deadline_) < 0)) {
    *at = overall_deadline_;
  } else {
    *at = deadline_;
  }
  return true;
}

// The Updater's own number and "ERROR[n]: text", which getLastErrorString() prefixes.
void PullSession::fail_updater(const char* what) {
  const char* message = sink_.error_message();
  int32_t code = updater_code(message);
  if (code == 0) code = kUnnumberedSinkError;
  TextBuilder(error_text_, sizeof(error_text_)).add("Update error: ").add(message != nullptr ? message : "");
  char why[200];
  TextBuilder(why, sizeof(why)).add(what).add(": ").add(message != nullptr ? message : "");
  fail(code, why);
}

void PullSession::fail(int32_t code, const char* detail) { finish(PullResult::failed, code, detail); }

void PullSession::finish(PullResult result, int32_t code, const char* detail) {
  if (sink_running_) sink_.abort();
  sink_running_ = false;
  from_record_ = false;
  if (!(resumable_ && download_broke_off(result, code))) forget_resume_point();
  close_connection();
  has_deadline_ = has_overall_deadline_ = false;
  TextBuilder(message_, sizeof(message_)).add(detail);
  if (error_text_[0] == '\0') {
    TextBuilder text(error_text_, sizeof(error_text_));
    if (code > 0) {
      text.add("Update error: ERROR[").add_u32(uint32_t(code)).add("]: ").add(describe(UpdateError(code)));
    } else {
      text.add(original_error_text(code));
    }
  }
  state_ = PullState::done;
  PullEvent event;
  event.action = PullAction::finished;
  event.result = result;
  event.error = code;
  event.error_text = error_text_;
  event.http_status = http_status_;
  event.message = message_;
  event.available_version = available_version_;
  event.withheld = withheld_;
  emit(event);
}

void PullSession::close_connection() {
  if (!connection_open_) return;
  connection_open_ = false;
  PullEvent event;
  event.action = PullAction::close;
  emit(event);
}

void PullSession::log(proto::LogLevel level, const char* text) {
  char* slot = log_text_[next_log_];
  next_log_ = uint8_t((next_log_ + 1) % (sizeof(log_text_) / sizeof(log_text_[0])));
  TextBuilder(slot, sizeof(log_text_[0])).add(text);
  PullEvent event;
  event.action = PullAction::log;
  event.level = level;
  event.text = slot;
  emit(event);
}

}  // namespace otakit::pull
