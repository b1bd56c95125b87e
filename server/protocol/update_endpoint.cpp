// Answering one update check (docs/server.md "The update endpoint").
#include "server/protocol/update_endpoint.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <variant>

#include "core/http/device_report.h"
#include "server/protocol/check_request.h"

namespace otakit::server {

UpdateEndpoint::UpdateEndpoint(CheckService& service, Metrics& metrics, MillisecondClock now)
    : service_(service), metrics_(metrics), now_(std::move(now)) {}

void CheckService::check_async(const CheckReport& report, int64_t now, CheckDone done) {
  CheckOutcome outcome;
  try {
    outcome = check(report, now);
  } catch (const std::exception&) {
    return done(CheckOutcome{}, std::current_exception());
  }
  done(std::move(outcome), nullptr);
}

namespace {
// The check, or the answer that refuses it.
std::variant<CheckReport, Response> admit(const Request& request, Metrics& metrics) {
  if (request.method != "GET" && request.method != "HEAD")
    return Response::text(405, "update checks are GET requests").set("Allow", "GET, HEAD");
  auto read = read_check(request);
  if (auto* refusal = std::get_if<Response>(&read)) {
    metrics.refused();
    spdlog::info("check refused peer={} reason=\"{}\"", request.peer, refusal->body.substr(0, refusal->body.size() - 1));
  }
  return read;
}
}  // namespace

void UpdateEndpoint::answer_async(const Request& request, RequestHandler::Reply reply) {
  const auto started = std::chrono::steady_clock::now();
  auto admitted = admit(request, metrics_);
  if (auto* refusal = std::get_if<Response>(&admitted)) {
    auto response = std::make_shared<Response>(std::move(*refusal));
    return reply([response] { return std::move(*response); });
  }
  auto report = std::make_shared<CheckReport>(std::get<CheckReport>(admitted));
  // What the answer still reads from the request: its method and any Range/If-Range.
  auto copy = std::make_shared<Request>();
  copy->method = request.method;
  for (const char* name : {"Range", "If-Range"})
    if (const std::string* value = request.header(name)) copy->headers.emplace_back(name, *value);
  service_.check_async(*report, now_(), [this, reply, report, copy, started](CheckOutcome outcome, std::exception_ptr error) {
    auto result = std::make_shared<CheckOutcome>(std::move(outcome));
    reply([this, report, copy, started, result, error]() -> Response {
      if (error) {
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          return Response::text(503, fmt::format("the check could not be recorded: {}; try again later", e.what()));
        }
      }
      return respond(*copy, *report, *result, started);
    });
  });
}

Response UpdateEndpoint::respond(const Request& request, const CheckReport& report, const CheckOutcome& outcome,
                                 std::chrono::steady_clock::time_point started) {
  for (int i = 0; i < outcome.outcomes_updated; ++i) metrics_.outcome(true);
  for (int i = 0; i < outcome.outcomes_failed; ++i) metrics_.outcome(false);
  Response response;
  if (outcome.decision.answer == Answer::offer) {
    response = offer(request, report, outcome);
  } else {
    response.status = 304;
    response.set(http::field::kWithheld, to_string(outcome.decision.why));
    spdlog::debug("check mac={} answer=304 why={} {}", report.sta_mac, to_string(outcome.decision.why),
                  outcome.decision.reason);
    if (outcome.decision.incompatible())
      spdlog::warn("check mac={} withheld: {}", report.sta_mac, outcome.decision.reason);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  metrics_.check_answered(response.status == 206 ? 200 : response.status, outcome.decision.why, seconds);
  return response;
}

Response UpdateEndpoint::offer(const Request& request, const CheckReport& report, const CheckOutcome& outcome) {
  const Firmware& fw = *outcome.firmware;
  Response r;
  r.set("x-MD5", fw.md5);
  if (!fw.version.empty()) r.set("x-version", fw.version);
  if (report.mode == CheckReport::Mode::version) {  // getAvailableVersion(): the answer is the header
    spdlog::info("check mac={} answer=200 version={} ({})", report.sta_mac, fw.version, outcome.decision.reason);
    return r;
  }
  const std::string etag = "\"" + fw.sha256 + "\"";
  const RangeResult range = select_range(request, fw.size, etag);
  if (range.answer == RangeAnswer::unsatisfiable) {
    Response refusal = Response::text(416, "the range starts past the end of the image");
    refusal.set("Content-Range", fmt::format("bytes */{}", fw.size));
    return refusal;
  }
  r.set("Content-Type", "application/octet-stream");
  r.set("Content-Disposition", fmt::format("attachment; filename={}", fw.name));
  r.set("ETag", etag);
  r.set("Accept-Ranges", "bytes");
  FileSpan span{service_.file_of(fw), 0, fw.size};
  if (range.answer == RangeAnswer::partial) {
    r.status = 206;
    span.offset = range.range.first;
    span.length = range.range.length;
    r.set("Content-Range", fmt::format("bytes {}-{}/{}", span.offset, span.offset + span.length - 1, fw.size));
  }
  r.file = span;
  spdlog::info("check mac={} answer={} {} bytes {}-{}", report.sta_mac, r.status, outcome.decision.reason, span.offset,
               span.offset + span.length);
  if (request.method == "HEAD") return r;
  r.on_sent = [this, report, outcome, first = span.offset](uint64_t sent, bool complete) {
    metrics_.download_ended(sent, complete);
    service_.download_ended(report, outcome, first, sent, complete, now_());
  };
  return r;
}

}  // namespace otakit::server
