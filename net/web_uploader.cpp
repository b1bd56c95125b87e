#include "net/web_uploader.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <array>
#include <memory>

#include "core/http/basic_auth.h"
#include "core/http/body_framing.h"
#include "core/http/response_head.h"
#include "core/util/hex.h"
#include "net/endpoint.h"
#include "net/espota_asio.h"
#include "net/upload_run.h"

namespace otakit::net {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using espota::UploadOutcome;

std::optional<WebTarget> parse_web_target(const std::string& url) {
  const std::string scheme = "http://";
  if (url.compare(0, scheme.size(), scheme) != 0) return std::nullopt;
  const std::string rest = url.substr(scheme.size());
  const size_t slash = rest.find('/');
  auto host_port = parse_host_port(rest.substr(0, slash), 80);
  if (!host_port || host_port->host.empty()) return std::nullopt;
  WebTarget target;
  target.url = url;
  target.host = host_port->host;
  target.port = host_port->port;
  if (slash != std::string::npos && slash + 1 < rest.size()) target.path = rest.substr(slash);
  for (char c : target.path)
    if (static_cast<unsigned char>(c) <= ' ') return std::nullopt;
  return target;
}

EspotaTarget display_target(const WebTarget& target) { return {target.host, target.port}; }

WebUploadRequest build_web_upload_request(const WebTarget& target, const WebUploadOptions& options,
                                          const EspotaImage& image, const std::string& boundary) {
  WebUploadRequest request;
  if (options.send_md5) {
    request.preamble += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"md5\"\r\n\r\n" + image.md5 + "\r\n";
  }
  request.preamble += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" +
                      std::string(options.filesystem ? "filesystem" : "firmware") + "\"; filename=\"" +
                      options.filename + "\"\r\nContent-Type: application/octet-stream\r\n\r\n";
  request.epilogue = "\r\n--" + boundary + "--\r\n";
  const size_t length = request.preamble.size() + image.bytes->size() + request.epilogue.size();
  const bool default_port = target.port == 80;
  const bool bracket = target.host.find(':') != std::string::npos;
  const std::string host = (bracket ? "[" + target.host + "]" : target.host) +
                           (default_port ? "" : ":" + std::to_string(target.port));
  request.head = "POST " + target.path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: otakit-upload\r\n";
  if (!options.user.empty() && !options.password.empty()) {
    char authorization[http::kMaxBasicCredentials * 2];
    if (http::format_basic_authorization(options.user.c_str(), options.password.c_str(), authorization,
                                         sizeof(authorization)) > 0)
      request.head += std::string("Authorization: ") + authorization + "\r\n";
  }
  request.head += "Content-Type: multipart/form-data; boundary=" + boundary + "\r\nContent-Length: " +
                  std::to_string(length) + "\r\nConnection: close\r\n\r\n";
  return request;
}

namespace {

// The n of "ERROR[n]" in a reply body, or -1.
int device_error_in(const std::string& body) {
  const size_t at = body.find("ERROR[");
  if (at == std::string::npos) return -1;
  int n = 0;
  size_t i = at + 6;
  for (; i < body.size() && body[i] >= '0' && body[i] <= '9'; ++i) n = n * 10 + (body[i] - '0');
  return i > at + 6 ? n : -1;
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  return text;
}

std::string random_boundary() {
  uint8_t random[12];
  if (!fill_secure_random(nullptr, random, sizeof(random))) throw std::runtime_error("no random source for the boundary");
  char hex[sizeof(random) * 2 + 1] = {};
  to_hex(random, sizeof(random), hex);
  return std::string("otakit-") + hex;
}

// One POST to one web updater: connect, send head, form framing and image, read the answer
// (which may come early, e.g. a 401 or 413 before the image is all sent).
class WebUploadAttempt : public std::enable_shared_from_this<WebUploadAttempt> {
 public:
  using Done = std::function<void(EspotaUploadResult)>;

  WebUploadAttempt(asio::io_context& io, Clock& clock, const EspotaImage& image, const WebTarget& target,
                   const WebUploadOptions& options, EspotaProgress progress, EspotaProgressFn on_progress, Done done)
      : clock_(clock),
        image_(image),
        target_(target),
        options_(options),
        progress_(progress),
        on_progress_(std::move(on_progress)),
        done_(std::move(done)),
        log_(options.log.with_identity(target.host)),
        resolver_(io),
        socket_(io),
        timer_(clock.make_timer(io)),
        parser_(head_storage_),
        body_(http::BodyFraming{}) {
    request_ = build_web_upload_request(target_, options_, image_, random_boundary());
    result_.target = display_target(target_);
    result_.size = uint32_t(image_.bytes->size());
  }

  void start() {
    report(EspotaPhase::resolving);
    arm(options_.timeout_ms, "no answer from " + target_.url + " within the timeout: check the address and port");
    resolver_.async_resolve(target_.host, std::to_string(target_.port),
                            [self = shared_from_this()](const error_code& error, tcp::resolver::results_type results) {
                              if (self->finished_) return;
                              if (error) {
                                return self->finish(UploadOutcome::no_answer,
                                                    "cannot resolve '" + self->target_.host + "': " + error.message());
                              }
                              self->connect(results);
                            });
  }

 private:
  void connect(const tcp::resolver::results_type& results) {
    report(EspotaPhase::waiting_connection);
    asio::async_connect(socket_, results, [self = shared_from_this()](const error_code& error, const tcp::endpoint&) {
      if (self->finished_) return;
      if (error) {
        return self->finish(UploadOutcome::no_answer, "cannot connect to " + self->target_.host + ":" +
                                                          std::to_string(self->target_.port) + ": " + error.message());
      }
      set_close_on_exec(self->socket_.native_handle());
      self->read();
      self->send_head();
    });
  }

  void send_head() {
    report(EspotaPhase::sending);
    head_and_preamble_ = request_.head + request_.preamble;
    write(asio::buffer(head_and_preamble_), [](WebUploadAttempt& self) { self.send_image(0); });
  }

  void send_image(size_t offset) {
    const auto& bytes = *image_.bytes;
    if (offset >= bytes.size()) {
      return write(asio::buffer(request_.epilogue), [](WebUploadAttempt& self) { self.sent_all(); });
    }
    const size_t n = std::min<size_t>(options_.chunk, bytes.size() - offset);
    write(asio::buffer(bytes.data() + offset, n), [offset, n](WebUploadAttempt& self) {
      self.progress_.sent = self.result_.sent = uint32_t(offset + n);
      self.report(EspotaPhase::sending);
      self.send_image(offset + n);
    });
  }

  template <typename Next>
  void write(asio::const_buffer buffer, Next next) {
    arm(options_.timeout_ms, "the upload to " + target_.url + " stalled: the device took no data within the timeout");
    asio::async_write(socket_, buffer, [self = shared_from_this(), next](const error_code& error, size_t) {
      if (self->finished_ || self->answered_) return;
      if (error) return self->on_broken(error);
      next(*self);
    });
  }

  void sent_all() {
    report(EspotaPhase::verifying);
    arm(options_.result_timeout_ms, "the device took the image but did not answer within the result timeout");
  }

  void read() {
    socket_.async_read_some(asio::buffer(buffer_), [self = shared_from_this()](const error_code& error, size_t n) {
      if (self->finished_) return;
      if (n > 0) self->take(self->buffer_.data(), n);
      if (self->finished_) return;
      if (error) return self->on_broken(error);
      self->read();
    });
  }

  void take(const uint8_t* data, size_t n) {
    size_t used = 0;
    if (parser_.status() == http::HeadStatus::incomplete) {
      used = parser_.feed(data, n);
      if (parser_.status() == http::HeadStatus::failed) {
        return finish(UploadOutcome::protocol_error,
                      std::string("the answer is not HTTP: ") + http::describe(parser_.error()));
      }
      if (parser_.status() != http::HeadStatus::complete) return;
      if (parser_.head().status == 100) {  // an interim 100 Continue: the real answer follows
        parser_.reset();
        return take(data + used, n - used);
      }
      answered_ = true;  // whatever is still unsent is not wanted
      body_ = http::BodyDecoder(parser_.head().body_framing());
    }
    while (used < n && !body_.done() && !body_.failed()) {
      http::Slice piece;
      used += body_.decode(data + used, n - used, &piece);
      if (reply_.size() < 4096) reply_.append(reinterpret_cast<const char*>(piece.data), piece.size);
    }
    if (body_.failed()) return finish(UploadOutcome::protocol_error, http::describe(body_.error()));
    if (body_.done()) judge();
  }

  void on_broken(const error_code& error) {
    if (parser_.status() == http::HeadStatus::complete) {
      if (body_.finish() == http::BodyError::ok) return judge();
      return finish(UploadOutcome::protocol_error, "the answer broke off: " + std::string(http::describe(body_.error())));
    }
    if (result_.sent < result_.size) {
      return finish(UploadOutcome::transfer_failed, "the connection broke after " + std::to_string(result_.sent) +
                                                        " of " + std::to_string(result_.size) +
                                                        " bytes: " + error.message());
    }
    finish(UploadOutcome::no_result, "the device closed the connection without an answer: " + error.message());
  }

  // The original answers 200 on error too, with "Update error: ..." in the body.
  void judge() {
    const http::ResponseHead& head = parser_.head();
    const std::string body = trimmed(reply_);
    result_.device_error = device_error_in(body);
    if (head.status == 200 && body.find("Update Success") != std::string::npos) {
      result_.sent = result_.size;
      return finish(UploadOutcome::ok, "");
    }
    if (head.status == 401) {
      return finish(UploadOutcome::auth_failed, options_.user.empty()
                                                    ? "the device asks for credentials (401): pass --user and --password"
                                                    : "the device refused the user name or password (401)");
    }
    if (head.status == 409) return finish(UploadOutcome::device_busy, "the device is busy (409): " + body);
    const std::string status = std::to_string(head.status);
    if (head.status == 200 && body.rfind("Update error", 0) == 0) return finish(UploadOutcome::device_rejected, body);
    if (head.status >= 400) {
      return finish(UploadOutcome::device_rejected,
                    "HTTP " + status + (body.empty() ? std::string() : ": " + body));
    }
    finish(UploadOutcome::protocol_error, "unexpected answer, HTTP " + status + (body.empty() ? "" : ": " + body));
  }

  void arm(uint32_t ms, std::string message) {
    timer_->start_after(ms, [weak = std::weak_ptr<WebUploadAttempt>(shared_from_this()), message = std::move(message)] {
      auto self = weak.lock();
      if (!self || self->finished_) return;
      UploadOutcome outcome = UploadOutcome::no_answer;
      if (self->progress_.phase == EspotaPhase::sending) outcome = UploadOutcome::transfer_failed;
      if (self->progress_.phase == EspotaPhase::verifying) outcome = UploadOutcome::no_result;
      self->finish(outcome, message);
    });
  }

  void report(EspotaPhase phase) {
    progress_.phase = phase;
    progress_.size = result_.size;
    progress_.acked = progress_.sent;
    if (on_progress_) on_progress_(progress_);
  }

  void finish(UploadOutcome outcome, const std::string& message) {
    if (finished_) return;
    finished_ = true;
    timer_->cancel();
    resolver_.cancel();
    error_code ignored;
    socket_.close(ignored);
    result_.outcome = outcome;
    result_.message = message;
    if (outcome == UploadOutcome::ok) log_.info("upload to {} done", target_.url);
    else log_.debug("upload to {} failed: {}", target_.url, message);
    report(EspotaPhase::done);
    auto self = shared_from_this();
    asio::post(socket_.get_executor(), [self] { self->done_(std::move(self->result_)); });
  }

  Clock& clock_;
  EspotaImage image_;
  WebTarget target_;
  WebUploadOptions options_;
  EspotaProgress progress_;
  EspotaProgressFn on_progress_;
  Done done_;
  Logger log_;
  WebUploadRequest request_;
  std::string head_and_preamble_;
  tcp::resolver resolver_;
  tcp::socket socket_;
  std::unique_ptr<Timer> timer_;
  http::HeadStorage<4096, 32> head_storage_;
  http::ResponseHeadParser parser_;
  http::BodyDecoder body_;
  std::string reply_;
  std::array<uint8_t, 4096> buffer_{};
  EspotaUploadResult result_;
  bool answered_ = false;
  bool finished_ = false;
};

}  // namespace

void async_web_upload_all(asio::io_context& io, Clock& clock, const EspotaImage& image, std::vector<WebTarget> targets,
                          const WebUploadOptions& options, EspotaProgressFn progress, EspotaDoneFn done) {
  UploadRunOptions run;
  run.targets = targets.size();
  run.parallel = options.parallel;
  run.retries = options.retries;
  run.retry_delay_ms = options.retry_delay_ms;
  auto start = [&io, &clock, image, targets = std::move(targets), options, progress = std::move(progress)](
                   size_t index, unsigned number, std::function<void(EspotaUploadResult)> attempt_done) {
    EspotaProgress initial;
    initial.index = index;
    initial.attempt = number;
    std::make_shared<WebUploadAttempt>(io, clock, image, targets[index], options, initial, progress,
                                       std::move(attempt_done))
        ->start();
  };
  run_uploads(io, clock, run, std::move(start), std::move(done));
}

std::vector<EspotaUploadResult> web_upload_all(const EspotaImage& image, std::vector<WebTarget> targets,
                                               const WebUploadOptions& options, EspotaProgressFn progress) {
  asio::io_context io;
  SteadyClock clock;
  std::vector<EspotaUploadResult> results;
  async_web_upload_all(io, clock, image, std::move(targets), options, std::move(progress),
                       [&results](std::vector<EspotaUploadResult> r) { results = std::move(r); });
  io.run();
  return results;
}

}  // namespace otakit::net
