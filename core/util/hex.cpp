#include "core/util/hex.h"

namespace otakit {

int hex_digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void to_hex(const uint8_t* data, size_t len, char* out) {
  static const char kDigits[] = "0123456789abcdef";
  for (size_t i = 0; i < len; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0xF];
  }
  out[2 * len] = '\0';
}

bool from_hex(const char* text, size_t len, uint8_t* out) {
  for (size_t i = 0; i < len; ++i) {
    int hi = hex_digit_value(text[2 * i]);
    int lo = hex_digit_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = uint8_t(hi << 4 | lo);
  }
  return true;
}

bool is_hex(const char* text, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (hex_digit_value(text[i]) < 0) return false;
  return true;
}

bool hex_equal_ci(const char* a, const char* b, size_t n) {
  unsigned diff = 0;
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = static_cast<unsigned char>(a[i]);
    unsigned char y = static_cast<unsigned char>(b[i]);
    if (x >= 'A' && x <= 'F') x = static_cast<unsigned char>(x + 32);
    if (y >= 'A' && y <= 'F') y = static_cast<unsigned char>(y + 32);
    diff |= unsigned(x ^ y);
  }
  return diff == 0;
}

}  // namespace otakit
