// Reading an update check off an HTTP request: the original's User-Agent and x-ESP8266-* fields
// through the core's codec (core/http/device_report.h), refused with 403 and a reason otherwise,
// as the seed's server script does; and the Range/If-Range a resuming client adds.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "server/fleet/model.h"
#include "server/http/exchange.h"

namespace otakit::server {

// The check, or the 403 to answer instead.
std::variant<CheckReport, Response> read_check(const Request& request);

// A single byte range of a body of `size` bytes, from "bytes=N-" or "bytes=N-M".
struct ByteRange {
  uint64_t first = 0;
  uint64_t length = 0;
};
enum class RangeAnswer { whole, partial, unsatisfiable };
struct RangeResult {
  RangeAnswer answer = RangeAnswer::whole;
  ByteRange range;
};
// etag: the strong ETag of the current body. A Range with an If-Range naming another ETag, a
// malformed Range or several ranges get the whole body (RFC 9110 §14.2 lets a server ignore them).
RangeResult select_range(const Request& request, uint64_t size, const std::string& etag);

}  // namespace otakit::server
