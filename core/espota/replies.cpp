#include "core/espota/replies.h"

#include <string.h>

#include "core/util/text.h"

namespace otakit::espota {

namespace {

bool equals_literal(const uint8_t* data, size_t len, const char* literal) {
  size_t n = strlen(literal);
  return len == n && memcmp(data, literal, n) == 0;
}

bool starts_with(const uint8_t* data, size_t len, const char* literal) {
  size_t n = strlen(literal);
  return len >= n && memcmp(data, literal, n) == 0;
}

}  // namespace

UdpReply parse_udp_reply(const uint8_t* data, size_t len) {
  UdpReply reply;
  if (equals_literal(data, len, kReplyOk)) {
    reply.kind = UdpReplyKind::ok;
  } else if (equals_literal(data, len, kReplyAuthFailed)) {
    reply.kind = UdpReplyKind::auth_failed;
  } else if (parse_auth_challenge(data, len, &reply.nonce)) {
    reply.kind = UdpReplyKind::auth_challenge;
  } else if (starts_with(data, len, kReplyErrorPrefix)) {
    const size_t prefix = sizeof(kReplyErrorPrefix) - 1;
    reply.kind = UdpReplyKind::device_error;
    reply.error_code = parse_error_code(reinterpret_cast<const char*>(data + prefix), len - prefix);
  }
  return reply;
}

size_t format_error_reply(const char* message, char* out, size_t cap) {
  TextBuilder text(out, cap);
  text.add(kReplyErrorPrefix).add(message).add_char('\n');
  return text.size();
}

int parse_error_code(const char* text, size_t len) {
  static const char kPrefix[] = "ERROR[";
  const size_t prefix = sizeof(kPrefix) - 1;
  if (len < prefix + 2 || memcmp(text, kPrefix, prefix) != 0) return -1;
  int value = 0;
  size_t i = prefix;
  for (; i < len && i < prefix + 3 && text[i] >= '0' && text[i] <= '9'; ++i) value = value * 10 + (text[i] - '0');
  if (i == prefix || i >= len || text[i] != ']') return -1;
  return value;
}

size_t format_ack(uint32_t count, char* out) {
  TextBuilder text(out, 11);
  text.add_u32(count);
  return text.size();
}

}  // namespace otakit::espota
