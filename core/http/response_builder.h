// Response heads the device web server sends, in ESP8266WebServer's order (status line,
// Content-Type, the handler's extra headers, Content-Length, Connection), so the replies the
// original gets right, such as the CORS preflight and the 401, come out byte for byte the same.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "core/http/message.h"

namespace otakit::http {

struct ServerResponse {
  Version version = Version::http11;  // answer in the request's version
  uint16_t status = 200;
  const char* content_type = "text/html";  // nullptr: no Content-Type
  uint32_t content_length = 0;
  bool cors = false;                  // Access-Control-Allow-Headers: * and -Allow-Origin: *
  const char* basic_realm = nullptr;  // WWW-Authenticate: Basic realm="<realm>", for a 401
  const char* location = nullptr;     // Location, for a redirect (our addition)
  const char* allow = nullptr;        // Allow, which a 405 must carry (RFC 9110 §15.5.6)
  bool no_store = false;              // Cache-Control: no-store, for answers that change (ours)
  bool keep_alive = false;            // false: Connection: close
  // Keep-Alive: timeout=<value>, printed as given. ESP8266WebServer sends 2000 (it means
  // milliseconds; clients read seconds).
  uint32_t keep_alive_timeout = 2000;
};

// RFC 9110's reason phrase, or "" for a code it does not name.
const char* reason_phrase(uint16_t status);

// Writes the head (ending in the blank line) and a NUL; returns its length, or 0 if it does not
// fit or the realm, content type or location could break out of their header.
size_t build_response_head(const ServerResponse& response, char* out, size_t capacity);

}  // namespace otakit::http
