#include "core/image/app_descriptor.h"

#include <string.h>

#include "core/image/esp_image.h"
#include "core/util/bytes.h"

namespace otakit {
namespace {

constexpr uint32_t kVersionField = 8;
constexpr uint32_t kProjectField = kVersionField + kAppDescriptorTextField;

bool printable(char c) { return c >= 0x20 && c <= 0x7E; }

// A field holds printable text, a NUL inside the field, and only zeros after it.
bool read_text(const uint8_t* field, char* out, bool allow_empty) {
  uint32_t n = 0;
  while (n < kAppDescriptorTextField && field[n] != 0) {
    if (!printable(char(field[n]))) return false;
    ++n;
  }
  if (n == kAppDescriptorTextField || (n == 0 && !allow_empty)) return false;
  for (uint32_t i = n; i < kAppDescriptorTextField; ++i)
    if (field[i] != 0) return false;
  memcpy(out, field, n);
  out[n] = '\0';
  return true;
}

bool write_text(const char* text, uint8_t* field) {
  size_t n = 0;
  while (n < kAppDescriptorTextField && text[n] != '\0') {
    if (!printable(text[n])) return false;
    ++n;
  }
  if (n == kAppDescriptorTextField) return false;
  memset(field, 0, kAppDescriptorTextField);
  memcpy(field, text, n);
  return true;
}

}  // namespace

const char* describe(DescriptorStatus status) {
  switch (status) {
    case DescriptorStatus::found: return "found";
    case DescriptorStatus::no_app_image: return "no application image header to look in";
    case DescriptorStatus::absent:
      return "no OTAKit app descriptor (image not made by otakit mkimage)";
    case DescriptorStatus::outside_segment:
      return "app descriptor magic found but the first segment does not hold the whole record";
    case DescriptorStatus::bad_version:
      return "app descriptor version is empty, unterminated or not printable ASCII";
    case DescriptorStatus::bad_project:
      return "app descriptor project name is unterminated or not printable ASCII";
  }
  return "unknown descriptor status";
}

DescriptorStatus decode_app_descriptor(const uint8_t* p, size_t len, AppDescriptor* out) {
  if (len < kAppDescriptorSize || load_le32(p) != kAppDescriptorMagic)
    return DescriptorStatus::absent;
  AppDescriptor d;
  d.security_version = load_le32(p + 4);
  if (!read_text(p + kVersionField, d.version, false)) return DescriptorStatus::bad_version;
  if (!read_text(p + kProjectField, d.project, true)) return DescriptorStatus::bad_project;
  *out = d;
  return DescriptorStatus::found;
}

bool encode_app_descriptor(const AppDescriptor& in, uint8_t out[kAppDescriptorSize]) {
  if (in.version[0] == '\0') return false;
  store_le32(out, kAppDescriptorMagic);
  store_le32(out + 4, in.security_version);
  return write_text(in.version, out + kVersionField) && write_text(in.project, out + kProjectField);
}

namespace {

DescriptorStatus locate_and_decode(ByteReader& in, AppDescriptor* out) {
  const uint32_t size = in.size();
  uint32_t app = locate_app_image(in);
  uint32_t first_data = app + kEspImageHeaderSize + kEspSegmentHeaderSize;
  uint8_t head[kEspImageHeaderSize + kEspSegmentHeaderSize];
  if (size < first_data || !in.read(app, head, sizeof(head)) || head[0] != kEspImageMagic || head[1] == 0)
    return DescriptorStatus::no_app_image;
  uint32_t at = app + kAppDescriptorAppOffset;
  uint8_t record[kAppDescriptorSize];
  if (size < at + 4 || !in.read(at, record, 4) || load_le32(record) != kAppDescriptorMagic)
    return DescriptorStatus::absent;
  uint32_t first_segment_size = load_le32(head + kEspImageHeaderSize + 4);
  uint32_t needed = at + kAppDescriptorSize - first_data;
  if (first_segment_size < needed || size - at < kAppDescriptorSize || !in.read(at, record, sizeof(record)))
    return DescriptorStatus::outside_segment;
  DescriptorStatus status = decode_app_descriptor(record, sizeof(record), out);
  if (status == DescriptorStatus::found) out->file_offset = at;
  return status;
}

}  // namespace

bool find_app_descriptor(const uint8_t* file, uint32_t size, AppDescriptor* out,
                         DescriptorStatus* why) {
  BufferReader in(file, size);
  return find_app_descriptor(in, out, why);
}

bool find_app_descriptor(ByteReader& in, AppDescriptor* out, DescriptorStatus* why) {
  DescriptorStatus status = locate_and_decode(in, out);
  if (why != nullptr) *why = status;
  return status == DescriptorStatus::found;
}

}  // namespace otakit
