#include "core/http/url.h"

#include <string.h>

#include "core/util/hex.h"

namespace otakit::http {
namespace {

bool is_alnum(uint8_t c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// What no part of a URL may hold unencoded: a request line or Host field would carry it wrongly.
bool is_bad_url_char(uint8_t c) { return c <= 0x20 || c >= 0x7F || c == '\\' || c == '"' || c == '<' || c == '>'; }

// RFC 3986 reg-name without percent-encoding (DNS names and IPv4 addresses).
bool is_host_char(uint8_t c) { return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~'; }

bool is_ipv6_char(uint8_t c) { return hex_digit_value(char(c)) >= 0 || c == ':' || c == '.'; }

bool starts_with_ci(Text text, const char* prefix) {
  size_t n = strlen(prefix);
  return text.size >= n && Text{text.data, n}.equals_ci(prefix);
}

bool copy_text(Text text, char* out, size_t capacity) {
  if (text.size >= capacity) return false;
  memcpy(out, text.data, text.size);
  out[text.size] = '\0';
  return true;
}

// Every character allowed, and every '%' followed by two hex digits.
bool is_clean(Text text) {
  for (size_t i = 0; i < text.size; ++i) {
    uint8_t c = uint8_t(text.data[i]);
    if (is_bad_url_char(c)) return false;
    if (c == '%' && (i + 2 >= text.size || !is_hex(text.data + i + 1, 2))) return false;
  }
  return true;
}

UrlError parse_port(Text text, uint16_t* out) {
  uint32_t port = 0;
  if (text.size > 5 || parse_decimal(text, &port) != DecimalResult::ok || port == 0 || port > 65535) {
    return UrlError::bad_port;
  }
  *out = uint16_t(port);
  return UrlError::ok;
}

UrlError parse_userinfo(Text userinfo, Url* out) {
  if (userinfo.size == 0 || userinfo.find(':') == 0 || userinfo.find('@') != userinfo.size ||
      !copy_text(userinfo, out->userinfo, sizeof(out->userinfo))) {
    return UrlError::bad_userinfo;
  }
  return UrlError::ok;
}

// host [":" port], the host a name, an IPv4 address or "[" IPv6 "]".
UrlError parse_host_port(Text text, Url* out) {
  Text host = text;
  size_t after_host = text.size;
  out->ipv6 = text.size > 0 && text.data[0] == '[';
  if (out->ipv6) {
    size_t close = text.find(']');
    if (close == text.size) return UrlError::bad_host;
    host = text.sub(1, close);
    after_host = close + 1;
  } else {
    after_host = text.find(':');
    host = text.sub(0, after_host);
  }
  if (host.size == 0) return UrlError::missing_host;
  if (out->ipv6 && host.find(':') == host.size) return UrlError::bad_host;
  for (size_t i = 0; i < host.size; ++i) {
    uint8_t c = uint8_t(host.data[i]);
    if (!(out->ipv6 ? is_ipv6_char(c) : is_host_char(c))) return UrlError::bad_host;
  }
  if (!copy_text(host, out->host, sizeof(out->host))) return UrlError::host_too_long;
  out->port = out->secure ? 443 : 80;
  if (after_host == text.size) return UrlError::ok;
  if (text.data[after_host] != ':') return UrlError::bad_host;
  return parse_port(text.sub(after_host + 1, text.size), &out->port);
}

// path-abempty ["?" query] ["#" fragment]: stored without the fragment, "/" when empty.
UrlError parse_path(Text text, Url* out) {
  Text path = text.sub(0, text.find('#'));
  if (path.size == 0 || path.data[0] == '?') {
    if (path.size + 1 >= sizeof(out->path)) return UrlError::path_too_long;
    out->path[0] = '/';
    copy_text(path, out->path + 1, sizeof(out->path) - 1);
    return UrlError::ok;
  }
  return copy_text(path, out->path, sizeof(out->path)) ? UrlError::ok : UrlError::path_too_long;
}

// Everything after "scheme://".
UrlError parse_after_scheme(bool secure, Text rest, Url* out) {
  if (!is_clean(rest)) return UrlError::bad_character;
  out->secure = secure;
  out->userinfo[0] = '\0';
  size_t authority_end = rest.size;
  for (size_t i = 0; i < rest.size; ++i) {
    char c = rest.data[i];
    if (c == '/' || c == '?' || c == '#') {
      authority_end = i;
      break;
    }
  }
  Text authority = rest.sub(0, authority_end);
  size_t at = authority.size;  // the last '@': one inside the userinfo is refused there
  for (size_t i = 0; i < authority.size; ++i)
    if (authority.data[i] == '@') at = i;
  if (at < authority.size) {
    UrlError error = parse_userinfo(authority.sub(0, at), out);
    if (error != UrlError::ok) return error;
    authority = authority.sub(at + 1, authority.size);
  }
  UrlError error = parse_host_port(authority, out);
  if (error != UrlError::ok) return error;
  return parse_path(rest.sub(authority_end, rest.size), out);
}

}  // namespace

const char* describe(UrlError error) {
  switch (error) {
    case UrlError::ok: return "ok";
    case UrlError::empty: return "the URL is empty";
    case UrlError::bad_scheme: return "the URL does not start with http:// or https://";
    case UrlError::bad_character: return "the URL has a space, control character, non-ASCII byte or bad %-escape";
    case UrlError::missing_host: return "the URL has no host";
    case UrlError::bad_host: return "the URL's host has a character a host cannot have";
    case UrlError::host_too_long: return "the URL's host is longer than 253 characters";
    case UrlError::bad_port: return "the URL's port is not a number from 1 to 65535";
    case UrlError::bad_userinfo: return "the URL's user:password@ part is empty, has an '@' or is too long";
    case UrlError::path_too_long: return "the URL's path and query are longer than 512 characters";
    case UrlError::relative_location: return "the Location is a relative path, which is not followed";
  }
  return "unknown";
}

bool Url::same_origin(const Url& other) const {
  return secure == other.secure && port == other.port && strcmp(host, other.host) == 0;
}

UrlError parse_url(Text text, Url* out) {
  if (text.size == 0) return UrlError::empty;
  if (starts_with_ci(text, "http://")) return parse_after_scheme(false, text.sub(7, text.size), out);
  if (starts_with_ci(text, "https://")) return parse_after_scheme(true, text.sub(8, text.size), out);
  return UrlError::bad_scheme;
}

UrlError parse_url(const char* text, Url* out) {
  return parse_url(Text{text, text == nullptr ? 0 : strlen(text)}, out);
}

UrlError resolve_location(const Url& base, Text location, Url* out) {
  if (location.size == 0) return UrlError::empty;
  if (starts_with_ci(location, "http://") || starts_with_ci(location, "https://")) return parse_url(location, out);
  if (location.size >= 2 && location.data[0] == '/' && location.data[1] == '/') {
    return parse_after_scheme(base.secure, location.sub(2, location.size), out);
  }
  if (location.data[0] != '/') return UrlError::relative_location;
  if (!is_clean(location)) return UrlError::bad_character;
  *out = base;
  out->userinfo[0] = '\0';
  return parse_path(location, out);
}

size_t format_request_host(const Url& url, char* out, size_t capacity) {
  size_t host = strlen(url.host), length = host + (url.ipv6 ? 2 : 0);
  if (length >= capacity) return 0;
  char* p = out;
  if (url.ipv6) *p++ = '[';
  memcpy(p, url.host, host);
  p += host;
  if (url.ipv6) *p++ = ']';
  *p = '\0';
  return length;
}

}  // namespace otakit::http
