// A DNS name held in uncompressed wire form (length-prefixed labels, final zero byte), with no heap.
// Names compare case-insensitively (ASCII), as RFC 1035 and RFC 6762 require.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace otakit::mdns {

constexpr size_t kMaxLabelLength = 63;
constexpr size_t kMaxNameLength = 255;  // wire bytes including the final zero (RFC 1035 §2.3.4)

class DnsName {
 public:
  // The root name (a single zero byte).
  DnsName() { clear(); }

  void clear();

  // Appends one label; false (name unchanged) when the label is empty, longer than 63 bytes,
  // or the name would exceed 255 wire bytes.
  bool append_label(const char* text, size_t len);
  bool append_label(const char* text);

  // Appends every label of `suffix`; false (name unchanged) if it would not fit.
  bool append_name(const DnsName& suffix);

  // Parses "a.b.c" (an optional trailing dot is allowed; no escapes). False on an empty label,
  // a label over 63 bytes or a name over 255 bytes; the name is then the root.
  bool set_dotted(const char* text);

  // Writes the name as dotted text with a NUL, without the trailing dot. Bytes that are not
  // printable ASCII, and '.' or '\' inside a label, are written as \DDD (RFC 4343 style) so the
  // text is unambiguous and safe to print. Returns the text length, or 0 if `capacity` is too small.
  size_t to_dotted(char* out, size_t capacity) const;

  // Wire form (labels plus the final zero); wire_length() is at least 1.
  const uint8_t* wire() const { return wire_; }
  size_t wire_length() const { return length_; }

  size_t label_count() const;
  // Label `index` (0 = leftmost); len receives its length. nullptr when index is out of range.
  const uint8_t* label(size_t index, size_t& len) const;

  // Case-insensitive equality of whole names.
  bool equals(const DnsName& other) const;
  // True if this name ends with all labels of `suffix` (case-insensitive).
  bool ends_with(const DnsName& suffix) const;

  // For the parser: replaces the content with `len` bytes already checked to be a valid wire name.
  void assign_wire(const uint8_t* wire, size_t len);

 private:
  uint8_t wire_[kMaxNameLength];
  uint8_t length_;
};

// ASCII case-insensitive comparison of `len` bytes (labels may hold any bytes; only A-Z fold).
bool bytes_equal_nocase(const uint8_t* a, const uint8_t* b, size_t len);

}  // namespace otakit::mdns
