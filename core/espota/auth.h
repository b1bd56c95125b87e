// espota authentication (Digest-MD5-like): the device's "AUTH <nonce>" challenge, the host's
// "200 <cnonce> <response>\n" reply and response = md5hex(md5hex(password) ":" nonce ":" cnonce).
// All hex is lowercase on the wire; received hex is accepted in either case and compared in
// constant time.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "core/espota/protocol.h"

namespace otakit::espota {

// A 32-hex-digit value plus NUL (nonce, cnonce, response, password hash).
struct Hex32 {
  char text[kMd5HexLength + 1] = {};
};

struct AuthReply {
  Hex32 cnonce;
  Hex32 response;
};

enum class AuthReplyError : uint8_t {
  ok,
  empty,
  too_long,
  not_auth_command,  // first field is not 200
  missing_field,
  bad_separator,
  bad_cnonce,        // not exactly 32 hex digits
  bad_response,      // not exactly 32 hex digits
  trailing_bytes,
};

const char* describe(AuthReplyError error);

AuthReplyError parse_auth_reply(const uint8_t* data, size_t len, AuthReply* out);
// "200 <cnonce> <response>\n"; returns the length (70) or 0 if cap < 71.
size_t format_auth_reply(const AuthReply& reply, char* out, size_t cap);

// "AUTH <nonce>" (37 bytes, no newline); returns the length or 0 if cap < 38.
size_t format_auth_challenge(const Hex32& nonce, char* out, size_t cap);
// Host side: accepts exactly "AUTH " + 32 hex digits (optionally followed by a line end).
bool parse_auth_challenge(const uint8_t* data, size_t len, Hex32* nonce);

// md5hex(password): what ArduinoOTA's setPassword() stores.
Hex32 password_hash(const char* password, size_t len);
// setPasswordHash() input: 32 hex digits in any case, stored lowercase. False if not 32 hex.
bool normalize_password_hash(const char* hash, size_t len, Hex32* out);
// A nonce (or cnonce) from kNonceRandomBytes random bytes.
Hex32 nonce_from_random(const uint8_t random[kNonceRandomBytes]);
// md5hex(password_hash ":" nonce ":" cnonce).
Hex32 auth_response(const Hex32& password_hash, const Hex32& nonce, const Hex32& cnonce);
// Constant-time, case-insensitive comparison of two 32-hex-digit values.
bool auth_response_matches(const Hex32& expected, const Hex32& received);

}  // namespace otakit::espota
