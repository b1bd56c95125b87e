// HTTP Basic credentials (RFC 7617): decoding the Authorization a browser or curl sends to the
// device's update page, checking it in constant time, and encoding it for the pull client.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "core/http/message.h"

namespace otakit::http {

// The longest "user:password" format_basic_authorization encodes.
constexpr size_t kMaxBasicCredentials = 192;

enum class BasicAuthError : uint8_t {
  ok,
  missing,            // no Authorization field
  not_basic,          // another scheme (Digest, Bearer, ...)
  bad_base64,         // the credentials are not canonical base64
  too_long,           // they do not fit the caller's scratch
  missing_colon,      // the decoded text has no ':' between user and password
  control_character,  // RFC 7617 §2 forbids control characters in both
};

const char* describe(BasicAuthError error);

struct BasicCredentials {
  Text user;
  Text password;
};

// Decodes "Basic <base64>" (scheme case-insensitive). The credentials point into scratch, which
// needs three quarters of the base64's length.
BasicAuthError decode_basic_authorization(Text authorization, char* scratch, size_t capacity, BasicCredentials* out);

// Compares both without stopping at the first difference: the time depends on the lengths only.
bool credentials_match(const BasicCredentials& given, const char* user, const char* password);

// Writes "Basic " + base64(user ":" password) and a NUL; returns the length without the NUL, or 0
// if out is too small, the user holds a ':' or the pair is longer than kMaxBasicCredentials.
size_t format_basic_authorization(const char* user, const char* password, char* out, size_t capacity);

}  // namespace otakit::http
