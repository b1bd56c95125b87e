#include "core/util/base64.h"

namespace otakit {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Decodes one group of four characters, of which the last `padding` are '='.
bool decode_group(const char* group, size_t padding, uint8_t* out) {
  uint32_t bits = 0;
  for (size_t i = 0; i < 4; ++i) {
    int value = i < 4 - padding ? sextet(group[i]) : 0;
    if (value < 0) return false;
    bits = bits << 6 | uint32_t(value);
  }
  // Canonical form: the bits the padding hides are zero.
  if ((padding == 1 && (bits & 0xFF) != 0) || (padding == 2 && (bits & 0xFFFF) != 0)) return false;
  out[0] = uint8_t(bits >> 16);
  out[1] = uint8_t(bits >> 8);
  out[2] = uint8_t(bits);
  return true;
}

size_t padding_of(const char* text, size_t len) {
  if (len >= 2 && text[len - 2] == '=') return 2;
  if (len >= 1 && text[len - 1] == '=') return 1;
  return 0;
}

}  // namespace

size_t base64_encode(const uint8_t* data, size_t len, char* out) {
  size_t n = 0;
  for (size_t i = 0; i < len; i += 3) {
    size_t left = len - i;
    uint32_t bits = uint32_t(data[i]) << 16;
    if (left > 1) bits |= uint32_t(data[i + 1]) << 8;
    if (left > 2) bits |= data[i + 2];
    out[n++] = kAlphabet[bits >> 18 & 0x3F];
    out[n++] = kAlphabet[bits >> 12 & 0x3F];
    out[n++] = left > 1 ? kAlphabet[bits >> 6 & 0x3F] : '=';
    out[n++] = left > 2 ? kAlphabet[bits & 0x3F] : '=';
  }
  out[n] = '\0';
  return n;
}

bool base64_decode(const char* text, size_t len, uint8_t* out, size_t capacity, size_t* decoded) {
  if (len % 4 != 0) return false;
  size_t padding = padding_of(text, len);
  size_t total = len / 4 * 3 - padding;
  if (total > capacity) return false;
  size_t n = 0;
  for (size_t i = 0; i < len; i += 4) {
    bool last = i + 4 == len;
    uint8_t bytes[3];
    if (!decode_group(text + i, last ? padding : 0, bytes)) return false;
    for (size_t k = 0; k < 3 && n < total; ++k) out[n++] = bytes[k];
  }
  *decoded = total;
  return true;
}

}  // namespace otakit
