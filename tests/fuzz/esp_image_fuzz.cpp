// Firmware files come from users and the network: the ESP image parser must stay inside the
// buffer and keep its invariants for any bytes.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/image/esp_image.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 0xFFFFFFFFu) return 0;
  static otakit::EspFile file;
  otakit::ImageDiagnosis d = otakit::parse_esp_file(data, uint32_t(size), &file);
  char text[256];
  otakit::describe(d, text, sizeof(text));
  if (strlen(text) >= sizeof(text)) __builtin_trap();
  if (d.ok() && file.kind != otakit::EspFileKind::gzip) {
    if (file.app.end > size || file.app.end + file.trailing_bytes != size) __builtin_trap();
    for (uint32_t i = 0; i < file.app.segments_parsed; ++i) {
      const otakit::EspSegment& s = file.app.segments[i];
      if (s.data_offset + uint64_t(s.size) > size) __builtin_trap();
    }
    if (file.has_boot && file.boot.end > otakit::kAppOffset) __builtin_trap();
  }
  // Any offset, including ones past the end, must be refused cleanly.
  static otakit::EspImage image;
  uint32_t offset = size >= 2 ? uint32_t(data[0] | data[1] << 8) : 0;
  otakit::parse_esp_image(data, uint32_t(size), offset, &image);
  otakit::check_crc_stamp(data, uint32_t(size));
  return 0;
}
