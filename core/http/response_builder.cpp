#include "core/http/response_builder.h"

#include <string.h>

#include "core/util/text.h"

namespace otakit::http {
namespace {

struct Reason {
  uint16_t status;
  const char* phrase;
};
constexpr Reason kReasons[] = {
    {100, "Continue"},
    {200, "OK"},
    {204, "No Content"},
    {303, "See Other"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {411, "Length Required"},
    {413, "Content Too Large"},
    {414, "URI Too Long"},
    {415, "Unsupported Media Type"},
    {417, "Expectation Failed"},
    {422, "Unprocessable Content"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {503, "Service Unavailable"},
    {505, "HTTP Version Not Supported"},
    {507, "Insufficient Storage"},
};

// A realm goes inside a quoted string: no quote or backslash either.
bool is_realm(const char* realm) {
  return is_field_value(realm) && strchr(realm, '"') == nullptr && strchr(realm, '\\') == nullptr;
}

}  // namespace

const char* reason_phrase(uint16_t status) {
  for (const Reason& reason : kReasons)
    if (reason.status == status) return reason.phrase;
  return "";
}

size_t build_response_head(const ServerResponse& response, char* out, size_t capacity) {
  if (response.basic_realm != nullptr && !is_realm(response.basic_realm)) return 0;
  if (response.content_type != nullptr && !is_field_value(response.content_type)) return 0;
  if (response.location != nullptr && !is_field_value(response.location)) return 0;
  if (response.allow != nullptr && !is_field_value(response.allow)) return 0;
  TextBuilder text(out, capacity);
  text.add(response.version == Version::http10 ? "HTTP/1.0 " : "HTTP/1.1 ")
      .add_u32(response.status)
      .add_char(' ')
      .add(reason_phrase(response.status))
      .add("\r\n");
  if (response.content_type != nullptr) text.add("Content-Type: ").add(response.content_type).add("\r\n");
  if (response.cors) text.add("Access-Control-Allow-Headers: *\r\nAccess-Control-Allow-Origin: *\r\n");
  if (response.basic_realm != nullptr) {
    text.add("WWW-Authenticate: Basic realm=\"").add(response.basic_realm).add("\"\r\n");
  }
  if (response.location != nullptr) text.add("Location: ").add(response.location).add("\r\n");
  if (response.allow != nullptr) text.add("Allow: ").add(response.allow).add("\r\n");
  if (response.no_store) text.add("Cache-Control: no-store\r\n");
  text.add("Content-Length: ").add_u32(response.content_length).add("\r\n");
  if (response.keep_alive) {
    text.add("Connection: keep-alive\r\nKeep-Alive: timeout=").add_u32(response.keep_alive_timeout).add("\r\n");
  } else {
    text.add("Connection: close\r\n");
  }
  text.add("\r\n");
  return text.truncated() ? 0 : text.size();
}

}  // namespace otakit::http
