// A bounded text builder for error messages: no heap, no printf, truncates instead of overflowing.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace otakit {

class TextBuilder {
 public:
  TextBuilder(char* buffer, size_t capacity);

  TextBuilder& add(const char* text);
  TextBuilder& add(const char* text, size_t len);
  TextBuilder& add_u32(uint32_t value);
  TextBuilder& add_char(char c);

  const char* c_str() const { return buf_; }
  size_t size() const { return len_; }
  // True once anything was cut off: wire formats check it, where a short message is a wrong one.
  bool truncated() const { return truncated_; }

 private:
  char* buf_;
  size_t cap_;
  size_t len_ = 0;
  bool truncated_ = false;
};

}  // namespace otakit
