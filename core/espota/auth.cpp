#include "core/espota/auth.h"

#include <string.h>

#include "core/crypto/digest.h"
#include "core/proto/wire_scanner.h"
#include "core/util/hex.h"

namespace otakit::espota {

const char* describe(AuthReplyError error) {
  switch (error) {
    case AuthReplyError::ok: return "ok";
    case AuthReplyError::empty: return "empty datagram";
    case AuthReplyError::too_long: return "datagram too long for an auth reply";
    case AuthReplyError::not_auth_command: return "not an auth reply (command is not 200)";
    case AuthReplyError::missing_field: return "missing field (expected 200 <cnonce> <response>)";
    case AuthReplyError::bad_separator: return "fields must be separated by one space";
    case AuthReplyError::bad_cnonce: return "cnonce is not 32 hex digits";
    case AuthReplyError::bad_response: return "response is not 32 hex digits";
    case AuthReplyError::trailing_bytes: return "unexpected bytes after the response";
  }
  return "unknown";
}

AuthReplyError parse_auth_reply(const uint8_t* data, size_t len, AuthReply* out) {
  if (len == 0) return AuthReplyError::empty;
  if (len > kMaxRequestDatagram) return AuthReplyError::too_long;
  proto::WireScanner scan(data, len);
  uint32_t command = 0;
  if (scan.decimal(999, &command) != proto::ScanStatus::ok || command != static_cast<uint32_t>(Command::auth))
    return AuthReplyError::not_auth_command;
  AuthReply parsed;
  if (!scan.separator()) return scan.at_end() ? AuthReplyError::missing_field : AuthReplyError::bad_separator;
  proto::ScanStatus status = scan.hex_field(kMd5HexLength, parsed.cnonce.text);
  if (status != proto::ScanStatus::ok)
    return status == proto::ScanStatus::missing ? AuthReplyError::missing_field : AuthReplyError::bad_cnonce;
  if (!scan.separator()) return scan.at_end() ? AuthReplyError::missing_field : AuthReplyError::bad_separator;
  status = scan.hex_field(kMd5HexLength, parsed.response.text);
  if (status != proto::ScanStatus::ok)
    return status == proto::ScanStatus::missing ? AuthReplyError::missing_field : AuthReplyError::bad_response;
  if (!scan.only_line_end_left()) return AuthReplyError::trailing_bytes;
  *out = parsed;
  return AuthReplyError::ok;
}

size_t format_auth_reply(const AuthReply& reply, char* out, size_t cap) {
  const size_t length = 4 + kMd5HexLength + 1 + kMd5HexLength + 1;
  if (cap < length + 1) return 0;
  memcpy(out, "200 ", 4);
  memcpy(out + 4, reply.cnonce.text, kMd5HexLength);
  out[4 + kMd5HexLength] = ' ';
  memcpy(out + 5 + kMd5HexLength, reply.response.text, kMd5HexLength);
  out[length - 1] = '\n';
  out[length] = '\0';
  return length;
}

size_t format_auth_challenge(const Hex32& nonce, char* out, size_t cap) {
  const size_t prefix = sizeof(kReplyAuthPrefix) - 1;
  if (cap < prefix + kMd5HexLength + 1) return 0;
  memcpy(out, kReplyAuthPrefix, prefix);
  memcpy(out + prefix, nonce.text, kMd5HexLength);
  out[prefix + kMd5HexLength] = '\0';
  return prefix + kMd5HexLength;
}

bool parse_auth_challenge(const uint8_t* data, size_t len, Hex32* nonce) {
  const size_t prefix = sizeof(kReplyAuthPrefix) - 1;
  if (len < prefix + kMd5HexLength || memcmp(data, kReplyAuthPrefix, prefix) != 0) return false;
  proto::WireScanner scan(data + prefix, len - prefix);
  Hex32 parsed;
  if (scan.hex_field(kMd5HexLength, parsed.text) != proto::ScanStatus::ok || !scan.only_line_end_left()) return false;
  *nonce = parsed;
  return true;
}

namespace {

static_assert(sizeof(Hex32::text) == crypto::kMd5HexSize, "a Hex32 holds an MD5 in hex");

Hex32 md5_hex32(const void* data, size_t len) {
  Hex32 out;
  crypto::md5_hex(data, len, out.text);
  return out;
}

}  // namespace

Hex32 password_hash(const char* password, size_t len) { return md5_hex32(password, len); }

bool normalize_password_hash(const char* hash, size_t len, Hex32* out) {
  if (len != kMd5HexLength || !is_hex(hash, len)) return false;
  for (size_t i = 0; i < len; ++i) {
    char c = hash[i];
    out->text[i] = (c >= 'A' && c <= 'F') ? static_cast<char>(c + 32) : c;
  }
  out->text[len] = '\0';
  return true;
}

Hex32 nonce_from_random(const uint8_t random[kNonceRandomBytes]) {
  Hex32 out;
  to_hex(random, kNonceRandomBytes, out.text);
  return out;
}

Hex32 auth_response(const Hex32& password_hash_hex, const Hex32& nonce, const Hex32& cnonce) {
  char text[3 * kMd5HexLength + 2];
  memcpy(text, password_hash_hex.text, kMd5HexLength);
  text[kMd5HexLength] = ':';
  memcpy(text + kMd5HexLength + 1, nonce.text, kMd5HexLength);
  text[2 * kMd5HexLength + 1] = ':';
  memcpy(text + 2 * kMd5HexLength + 2, cnonce.text, kMd5HexLength);
  return md5_hex32(text, sizeof(text));
}

bool auth_response_matches(const Hex32& expected, const Hex32& received) {
  return hex_equal_ci(expected.text, received.text, kMd5HexLength);
}

}  // namespace otakit::espota
