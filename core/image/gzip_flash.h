// Inflates a gzip image lying in flash into an erased-or-not area below it, a sector at a time,
// hashing what it writes. The Updater uses it to check a gzip upload in full before it answers OK
// and to stage the inflated image; the boot path uses it for eboot commands that name a gzip.
#pragma once
#include <stdint.h>

#include "core/flash/flash.h"
#include "core/image/inflater.h"

namespace otakit {

enum class InflateResult : uint8_t {
  ok,
  corrupt,        // the deflate data, the gzip CRC-32 or its ISIZE is wrong
  too_long,       // the stream produces more than the trailer's ISIZE
  size_mismatch,  // the stream ends before ISIZE bytes
  flash_error,
};
const char* describe(InflateResult result);

struct InflatedImage {
  uint32_t size = 0;
  uint8_t sha256[32] = {};  // of the bytes as the inflater produced them, not as read back
};

// sector_buffer: kSectorSize bytes, 4-aligned. target must be sector aligned and leave room for
// expected_size bytes rounded up to sectors.
InflateResult inflate_to_flash(Flash& flash, Inflater& inflater, uint32_t source, uint32_t source_size,
                               uint32_t target, uint32_t expected_size, uint8_t* sector_buffer, InflatedImage* out);

}  // namespace otakit
