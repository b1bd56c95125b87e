// CRC-32/MPEG-2 (poly 0x04C11DB7, init 0xFFFFFFFF, MSB first, no final XOR): the eboot command CRC.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace otakit {

constexpr uint32_t kCrc32Mpeg2Init = 0xFFFFFFFFu;

// Continues a CRC over more bytes; start with kCrc32Mpeg2Init.
uint32_t crc32_mpeg2_update(uint32_t crc, const void* data, size_t len);

inline uint32_t crc32_mpeg2(const void* data, size_t len) {
  return crc32_mpeg2_update(kCrc32Mpeg2Init, data, len);
}

}  // namespace otakit
