// The app descriptor is read from images before they are trusted: the finder must stay inside
// the buffer and only return well-formed, terminated texts.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/image/app_descriptor.h"

static void check_texts(const otakit::AppDescriptor& d) {
  size_t v = strnlen(d.version, sizeof(d.version)), p = strnlen(d.project, sizeof(d.project));
  if (v == 0 || v >= sizeof(d.version) || p >= sizeof(d.project)) __builtin_trap();
  for (size_t i = 0; i < v; ++i)
    if (d.version[i] < 0x20 || d.version[i] > 0x7E) __builtin_trap();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 0xFFFFFFFFu) return 0;
  otakit::AppDescriptor d;
  if (otakit::find_app_descriptor(data, uint32_t(size), &d)) {
    check_texts(d);
    if (d.file_offset + otakit::kAppDescriptorSize > size) __builtin_trap();
  }
  otakit::AppDescriptor raw;
  if (otakit::decode_app_descriptor(data, size, &raw) == otakit::DescriptorStatus::found) {
    check_texts(raw);
    uint8_t again[otakit::kAppDescriptorSize];
    if (!otakit::encode_app_descriptor(raw, again)) __builtin_trap();
    if (memcmp(again, data, otakit::kAppDescriptorSize) != 0) __builtin_trap();  // canonical form
  }
  return 0;
}
