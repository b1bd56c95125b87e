// Absolute http:// and https:// URLs for the pull client, and a redirect's Location resolved
// against the URL it answered. Strict: anything a request line or Host field could not carry as
// it is (spaces, control characters, non-ASCII) is refused, never repaired.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "core/http/message.h"

namespace otakit::http {

struct Url {
  static constexpr size_t kMaxHost = 253;      // a DNS name's limit; an IPv6 literal is shorter
  static constexpr size_t kMaxPath = 512;      // path and query
  static constexpr size_t kMaxUserinfo = 128;  // "user:password" before the '@'

  bool secure = false;     // https
  bool ipv6 = false;       // host is an IPv6 literal (given in brackets, stored without them)
  char host[kMaxHost + 1] = {};
  uint16_t port = 80;      // 80 or 443 when the URL has none
  char path[kMaxPath + 1] = {};  // starts with '/'; the fragment is dropped (it is never sent)
  // "user:password@" as written (not percent-decoded): ESP8266HTTPClient turns it into Basic
  // credentials, base64 of exactly these bytes. Empty when the URL has none.
  char userinfo[kMaxUserinfo + 1] = {};

  bool has_userinfo() const { return userinfo[0] != '\0'; }
  // Same scheme, host and port: where credentials may follow a redirect.
  bool same_origin(const Url& other) const;
};

enum class UrlError : uint8_t {
  ok,
  empty,
  bad_scheme,         // not http:// or https:// (case-insensitive)
  bad_character,      // a space, control character, non-ASCII byte or backslash anywhere
  missing_host,
  bad_host,           // a character a host name cannot have, or an unclosed/invalid IPv6 literal
  host_too_long,
  bad_port,           // not 1..65535 in plain decimal
  bad_userinfo,       // an '@' in it, or more than kMaxUserinfo bytes, or an empty user
  path_too_long,
  relative_location,  // a Location that is neither absolute nor an absolute path ("/...")
};

const char* describe(UrlError error);

// Parses a whole absolute URL: scheme "://" [userinfo "@"] host [":" port] [path-abempty]
// ["?" query] ["#" fragment].
UrlError parse_url(Text text, Url* out);
UrlError parse_url(const char* text, Url* out);

// A redirect target: an absolute URL, a network-path ("//host/...", the base's scheme) or an
// absolute path ("/..." on the base's scheme, host and port, without its userinfo), as
// ESP8266HTTPClient follows them; relative paths ("file.bin", "../x") are refused.
UrlError resolve_location(const Url& base, Text location, Url* out);

// The host as the Host field carries it, an IPv6 literal in brackets (build_update_request adds
// the port). Writes it and a NUL; returns the length, or 0 if out is too small.
size_t format_request_host(const Url& url, char* out, size_t capacity);

}  // namespace otakit::http
