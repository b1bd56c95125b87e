#include "core/http/basic_auth.h"

#include <string.h>

#include "core/util/base64.h"

namespace otakit::http {
namespace {

constexpr char kScheme[] = "Basic";
constexpr size_t kSchemeLength = sizeof(kScheme) - 1;

bool has_control_character(const char* text, size_t len) {
  for (size_t i = 0; i < len; ++i) {
    uint8_t c = uint8_t(text[i]);
    if (c < 0x20 || c == 0x7F) return true;
  }
  return false;
}

// Nonzero if they differ; looks at every given byte whatever it finds.
unsigned difference(Text given, const char* expected) {
  size_t n = strlen(expected);
  unsigned diff = given.size != n ? 1u : 0u;
  for (size_t i = 0; i < given.size; ++i) diff |= uint8_t(given.data[i]) ^ uint8_t(i < n ? expected[i] : 0);
  return diff;
}

}  // namespace

const char* describe(BasicAuthError error) {
  switch (error) {
    case BasicAuthError::ok: return "ok";
    case BasicAuthError::missing: return "no Authorization header";
    case BasicAuthError::not_basic: return "the Authorization scheme is not Basic";
    case BasicAuthError::bad_base64: return "the Basic credentials are not valid base64";
    case BasicAuthError::too_long: return "the Basic credentials are too long";
    case BasicAuthError::missing_colon: return "the Basic credentials have no ':' between user and password";
    case BasicAuthError::control_character: return "a control character in the Basic credentials";
  }
  return "unknown";
}

BasicAuthError decode_basic_authorization(Text authorization, char* scratch, size_t capacity, BasicCredentials* out) {
  if (!authorization.present() || authorization.size == 0) return BasicAuthError::missing;
  size_t scheme_end = authorization.find(' ');
  if (!authorization.sub(0, scheme_end).equals_ci(kScheme)) return BasicAuthError::not_basic;
  size_t begin = scheme_end;
  while (begin < authorization.size && authorization.data[begin] == ' ') ++begin;
  Text token = authorization.sub(begin, authorization.size);
  if (token.size == 0) return BasicAuthError::bad_base64;
  if (token.size / 4 * 3 > capacity) return BasicAuthError::too_long;
  size_t decoded = 0;
  if (!base64_decode(token.data, token.size, reinterpret_cast<uint8_t*>(scratch), capacity, &decoded)) {
    return BasicAuthError::bad_base64;
  }
  Text text{scratch, decoded};
  size_t colon = text.find(':');
  if (colon == text.size) return BasicAuthError::missing_colon;
  if (has_control_character(scratch, decoded)) return BasicAuthError::control_character;
  out->user = text.sub(0, colon);
  out->password = text.sub(colon + 1, text.size);
  return BasicAuthError::ok;
}

bool credentials_match(const BasicCredentials& given, const char* user, const char* password) {
  return (difference(given.user, user) | difference(given.password, password)) == 0;
}

size_t format_basic_authorization(const char* user, const char* password, char* out, size_t capacity) {
  size_t user_length = strlen(user);
  size_t password_length = strlen(password);
  size_t pair_length = user_length + 1 + password_length;
  if (strchr(user, ':') != nullptr || pair_length > kMaxBasicCredentials) return 0;
  size_t total = kSchemeLength + 1 + base64_encoded_length(pair_length);
  if (total + 1 > capacity) return 0;
  uint8_t pair[kMaxBasicCredentials];
  memcpy(pair, user, user_length);
  pair[user_length] = ':';
  memcpy(pair + user_length + 1, password, password_length);
  memcpy(out, kScheme, kSchemeLength);
  out[kSchemeLength] = ' ';
  base64_encode(pair, pair_length, out + kSchemeLength + 1);
  return total;
}

}  // namespace otakit::http
