// Small valid ESP8266 application images for the fuzz targets: provision() and the Updater apply
// the acceptance rule (core/image/acceptance.h), so every image a fuzzed device runs must pass it.
#pragma once
#include <stdint.h>
#include <string.h>

#include "core/image/esp_image.h"
#include "core/util/bytes.h"

namespace otakit::fuzz {

// Fills out[0, size) with an application image: header (size code 0, 512K, fits every chip),
// `segments` segments (1-16) of bytes derived from seed, zero padding and the XOR checksum in the
// last byte of the 16-byte aligned end (esp_image.cpp's walk_segments), then fill bytes up to
// size. Returns the image end, or 0 when size is too small for that many segment headers.
inline uint32_t build_image(uint8_t* out, uint32_t size, uint8_t seed, uint32_t segments = 2) {
  const uint32_t end = size & ~15u;
  const uint32_t headers = kEspImageHeaderSize + segments * kEspSegmentHeaderSize;
  if (segments == 0 || segments > kEspMaxSegments || end < headers + 16) return 0;
  // The segments end 16 bytes before `end`: the checksum then sits at end - 1.
  const uint32_t data = end - 16 - headers;
  const uint8_t header[kEspImageHeaderSize] = {kEspImageMagic, uint8_t(segments), 2, 0x00, 0x04, 0x10, 0x10, 0x40};
  memcpy(out, header, sizeof(header));
  uint32_t at = kEspImageHeaderSize;
  uint8_t sum = kEspChecksumSeed;
  for (uint32_t s = 0; s < segments; ++s) {
    uint32_t len = s + 1 < segments ? data / segments : data - (segments - 1) * (data / segments);
    store_le32(out + at, 0x40201010u + s * 0x10000u);
    store_le32(out + at + 4, len);
    at += kEspSegmentHeaderSize;
    for (uint32_t i = 0; i < len; ++i, ++at) {
      out[at] = uint8_t(i * 131u + seed * 7u + (i >> 7));
      sum ^= out[at];
    }
  }
  memset(out + at, 0, end - 1 - at);
  out[end - 1] = sum;
  for (uint32_t i = end; i < size; ++i) out[i] = uint8_t(seed ^ i);
  return end;
}

}  // namespace otakit::fuzz
