#include "core/mdns/dns_name.h"

#include <string.h>

namespace otakit::mdns {
namespace {

uint8_t fold(uint8_t c) { return (c >= 'A' && c <= 'Z') ? uint8_t(c + 32) : c; }

bool needs_escape(uint8_t c) { return c <= 0x20 || c >= 0x7f || c == '.' || c == '\\'; }

}  // namespace

bool bytes_equal_nocase(const uint8_t* a, const uint8_t* b, size_t len) {
  for (size_t i = 0; i < len; ++i) {
    if (fold(a[i]) != fold(b[i])) return false;
  }
  return true;
}

void DnsName::clear() {
  wire_[0] = 0;
  length_ = 1;
}

bool DnsName::append_label(const char* text, size_t len) {
  if (len == 0 || len > kMaxLabelLength || length_ + 1 + len > kMaxNameLength) return false;
  size_t at = length_ - 1;  // overwrite the final zero
  wire_[at] = uint8_t(len);
  memcpy(wire_ + at + 1, text, len);
  wire_[at + 1 + len] = 0;
  length_ = uint8_t(length_ + 1 + len);
  return true;
}

bool DnsName::append_label(const char* text) { return append_label(text, strlen(text)); }

bool DnsName::append_name(const DnsName& suffix) {
  if (size_t(length_) - 1 + suffix.length_ > kMaxNameLength) return false;
  memcpy(wire_ + length_ - 1, suffix.wire_, suffix.length_);
  length_ = uint8_t(length_ - 1 + suffix.length_);
  return true;
}

bool DnsName::set_dotted(const char* text) {
  clear();
  size_t start = 0;
  size_t i = 0;
  for (;; ++i) {
    char c = text[i];
    if (c != '.' && c != '\0') continue;
    size_t len = i - start;
    bool trailing_dot = (c == '\0' && len == 0 && i > 0 && text[i - 1] == '.');
    if (!trailing_dot && !append_label(text + start, len)) {
      clear();
      return false;
    }
    if (c == '\0') return true;
    start = i + 1;
  }
}

size_t DnsName::to_dotted(char* out, size_t capacity) const {
  size_t n = 0;
  auto put = [&](char c) {
    if (n + 1 < capacity) out[n] = c;
    ++n;
  };
  for (size_t pos = 0; wire_[pos] != 0; pos += 1 + wire_[pos]) {
    if (pos != 0) put('.');
    for (size_t k = 1; k <= wire_[pos]; ++k) {
      uint8_t c = wire_[pos + k];
      if (!needs_escape(c)) {
        put(char(c));
        continue;
      }
      put('\\');
      put(char('0' + c / 100));
      put(char('0' + c / 10 % 10));
      put(char('0' + c % 10));
    }
  }
  if (capacity == 0 || n + 1 > capacity) {
    if (capacity > 0) out[0] = '\0';
    return 0;
  }
  out[n] = '\0';
  return n;
}

size_t DnsName::label_count() const {
  size_t count = 0;
  for (size_t pos = 0; wire_[pos] != 0; pos += 1 + wire_[pos]) ++count;
  return count;
}

const uint8_t* DnsName::label(size_t index, size_t& len) const {
  size_t pos = 0;
  for (size_t i = 0; wire_[pos] != 0; ++i, pos += 1 + wire_[pos]) {
    if (i == index) {
      len = wire_[pos];
      return wire_ + pos + 1;
    }
  }
  len = 0;
  return nullptr;
}

bool DnsName::equals(const DnsName& other) const {
  return length_ == other.length_ && bytes_equal_nocase(wire_, other.wire_, length_);
}

bool DnsName::ends_with(const DnsName& suffix) const {
  if (suffix.length_ > length_) return false;
  // Walk label starts: a match must begin on a label boundary, not in the middle of a label.
  for (size_t pos = 0;; pos += 1 + wire_[pos]) {
    if (length_ - pos == suffix.length_) return bytes_equal_nocase(wire_ + pos, suffix.wire_, suffix.length_);
    if (wire_[pos] == 0 || length_ - pos < suffix.length_) return false;
  }
}

void DnsName::assign_wire(const uint8_t* wire, size_t len) {
  memcpy(wire_, wire, len);
  length_ = uint8_t(len);
}

}  // namespace otakit::mdns
