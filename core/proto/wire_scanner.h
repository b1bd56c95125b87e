// A cursor over an untrusted text datagram: strict decimal fields, single spaces, fixed-length
// hex fields and the optional line end. The espota invitation and auth-reply parsers read with it.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace otakit::proto {

enum class ScanStatus : uint8_t { ok, missing, malformed, too_large };

class WireScanner {
 public:
  WireScanner(const uint8_t* data, size_t len) : data_(data), len_(len) {}

  // Decimal digits only, no sign, no leading zero unless the value is 0, value <= max.
  ScanStatus decimal(uint32_t max, uint32_t* out);

  bool separator() {
    if (pos_ < len_ && data_[pos_] == ' ') {
      ++pos_;
      return true;
    }
    return false;
  }

  // Exactly n hex digits followed by a space, the line end or the end of the datagram; copied to
  // out (n + 1 chars, NUL-terminated) in lowercase.
  ScanStatus hex_field(size_t n, char* out);

  // The rest is empty, "\n" or "\r\n" (espota.py ends with "\n", npm esp-ota with nothing).
  bool only_line_end_left() const;

  bool at_end() const { return pos_ >= len_; }

 private:
  const uint8_t* data_;
  size_t len_;
  size_t pos_ = 0;
};

}  // namespace otakit::proto
