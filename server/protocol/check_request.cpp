// The update check's request side.
#include "server/protocol/check_request.h"

#include <fmt/format.h>

#include "core/http/device_report.h"

namespace otakit::server {
namespace {

Response forbidden(const std::string& why) { return Response::text(403, "only for ESP8266 updater! " + why); }

CheckReport to_check(const http::DeviceReport& d, const std::string& peer) {
  CheckReport r;
  char mac[18];
  http::format_mac(d.sta_mac, mac);
  r.sta_mac = mac;
  http::format_mac(d.ap_mac, mac);
  r.ap_mac = mac;
  r.chip_id = d.chip_id;
  r.free_space = d.free_space;
  r.sketch_size = d.sketch_size;
  r.sketch_md5 = d.sketch_md5;
  r.chip_size = d.chip_size;
  r.sdk_version = d.sdk_version;
  r.version = d.version;
  r.mode = d.mode == http::UpdateMode::spiffs    ? CheckReport::Mode::spiffs
           : d.mode == http::UpdateMode::version ? CheckReport::Mode::version
                                                 : CheckReport::Mode::sketch;
  r.address = peer;
  r.image = d.image;
  return r;
}

bool parse_u64(const std::string& s, uint64_t* out) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = n;
  return true;
}

}  // namespace

std::variant<CheckReport, Response> read_check(const Request& request) {
  const std::string* agent = request.header("User-Agent");
  if (agent == nullptr || *agent != http::field::kUserAgent)
    return forbidden(fmt::format("(the User-Agent must be {})", http::field::kUserAgent));
  http::DeviceReport report;
  for (const auto& [name, value] : request.headers) {
    const http::ReportError e = http::add_report_field(report, name.data(), name.size(), value.data(), value.size());
    if (e == http::ReportError::ok || e == http::ReportError::not_a_report_field) continue;
    return forbidden(fmt::format("(header {}: {})", name, http::describe(e)));
  }
  const char* missing = nullptr;
  if (http::check_report(report, &missing) != http::ReportError::ok)
    return forbidden(fmt::format("(header {} is missing)", missing));
  return to_check(report, request.peer);
}

RangeResult select_range(const Request& request, uint64_t size, const std::string& etag) {
  const std::string* range = request.header("Range");
  if (range == nullptr) return {};
  if (const std::string* if_range = request.header("If-Range"); if_range != nullptr && *if_range != etag) return {};
  const std::string prefix = "bytes=";
  if (range->compare(0, prefix.size(), prefix) != 0) return {};
  const std::string spec = range->substr(prefix.size());
  const size_t dash = spec.find('-');
  if (dash == std::string::npos || spec.find(',') != std::string::npos) return {};
  uint64_t first = 0, last = 0;
  if (!parse_u64(spec.substr(0, dash), &first)) return {};  // suffix ranges ("-500") are not asked by devices
  const std::string end = spec.substr(dash + 1);
  if (end.empty()) last = size == 0 ? 0 : size - 1;
  else if (!parse_u64(end, &last) || last < first) return {};
  if (first >= size) return {RangeAnswer::unsatisfiable, {}};
  if (last >= size) last = size - 1;
  return {RangeAnswer::partial, {first, last - first + 1}};
}

}  // namespace otakit::server
