// The WireScanner's field readers (core/proto/wire_scanner.h).
#include "core/proto/wire_scanner.h"

#include "core/util/hex.h"

namespace otakit::proto {

ScanStatus WireScanner::decimal(uint32_t max, uint32_t* out) {
  size_t start = pos_;
  uint64_t value = 0;
  while (pos_ < len_ && data_[pos_] >= '0' && data_[pos_] <= '9') {
    value = value * 10 + (data_[pos_] - '0');
    ++pos_;
    if (value > max) return ScanStatus::too_large;
  }
  if (pos_ == start) return at_end() ? ScanStatus::missing : ScanStatus::malformed;
  if (data_[start] == '0' && pos_ - start > 1) return ScanStatus::malformed;
  *out = static_cast<uint32_t>(value);
  return ScanStatus::ok;
}

ScanStatus WireScanner::hex_field(size_t n, char* out) {
  size_t start = pos_;
  while (pos_ < len_ && data_[pos_] != ' ' && data_[pos_] != '\r' && data_[pos_] != '\n') ++pos_;
  size_t field = pos_ - start;
  if (field == 0) return ScanStatus::missing;
  if (field != n) return ScanStatus::malformed;
  const char* text = reinterpret_cast<const char*>(data_ + start);
  if (!is_hex(text, n)) return ScanStatus::malformed;
  for (size_t i = 0; i < n; ++i) {
    char c = text[i];
    out[i] = (c >= 'A' && c <= 'F') ? static_cast<char>(c + 32) : c;
  }
  out[n] = '\0';
  return ScanStatus::ok;
}

bool WireScanner::only_line_end_left() const {
  size_t rest = len_ - pos_;
  const uint8_t* p = data_ + pos_;
  return rest == 0 || (rest == 1 && p[0] == '\n') || (rest == 2 && p[0] == '\r' && p[1] == '\n');
}

}  // namespace otakit::proto
