#include "core/util/text.h"

#include <string.h>

namespace otakit {

TextBuilder::TextBuilder(char* buffer, size_t capacity) : buf_(buffer), cap_(capacity) {
  if (cap_ > 0) buf_[0] = '\0';
}

TextBuilder& TextBuilder::add(const char* text, size_t len) {
  size_t room = cap_ == 0 ? 0 : cap_ - 1 - len_;
  if (len > room) truncated_ = true;
  if (cap_ == 0) return *this;
  size_t n = len < room ? len : room;
  memcpy(buf_ + len_, text, n);
  len_ += n;
  buf_[len_] = '\0';
  return *this;
}

TextBuilder& TextBuilder::add(const char* text) { return add(text, strlen(text)); }

TextBuilder& TextBuilder::add_char(char c) { return add(&c, 1); }

TextBuilder& TextBuilder::add_u32(uint32_t value) {
  char digits[10];
  size_t n = 0;
  do {
    digits[n++] = char('0' + value % 10);
    value /= 10;
  } while (value != 0);
  while (n > 0) add_char(digits[--n]);
  return *this;
}

}  // namespace otakit
