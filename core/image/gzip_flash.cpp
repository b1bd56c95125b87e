#include "core/image/gzip_flash.h"

#include <string.h>

#include "core/crypto/digest.h"

namespace otakit {

const char* describe(InflateResult result) {
  switch (result) {
    case InflateResult::ok: return "inflated";
    case InflateResult::corrupt: return "the gzip stream is corrupt (deflate data, CRC-32 or length trailer)";
    case InflateResult::too_long: return "the gzip stream inflates to more bytes than its trailer declares";
    case InflateResult::size_mismatch: return "the gzip stream ends before the size its trailer declares";
    case InflateResult::flash_error: return "flash error while inflating";
  }
  return "unknown";
}

InflateResult inflate_to_flash(Flash& flash, Inflater& inflater, uint32_t source, uint32_t source_size,
                               uint32_t target, uint32_t expected_size, uint8_t* sector_buffer, InflatedImage* out) {
  if (!inflater.start()) return InflateResult::corrupt;
  // Hashed as produced (zlib checked it against the gzip CRC), not read back later: a misread of
  // the written copy must not become the reference hash.
  crypto::Sha256 sha;
  alignas(4) uint8_t in[512];
  const uint32_t source_end = source + source_size;
  uint32_t read_at = source, in_len = 0, in_pos = 0, written = 0, filled = 0;
  InflateStatus status = InflateStatus::more;
  while (status == InflateStatus::more) {
    if (in_pos == in_len && read_at < source_end) {
      in_len = source_end - read_at < sizeof(in) ? source_end - read_at : uint32_t(sizeof(in));
      if (flash_read_bytes(flash, read_at, in, in_len) != FlashStatus::ok) return InflateResult::flash_error;
      read_at += in_len;
      in_pos = 0;
    }
    uint32_t consumed = 0, produced = 0;
    status = inflater.inflate(in + in_pos, in_len - in_pos, &consumed, sector_buffer + filled, kSectorSize - filled,
                              &produced);
    in_pos += consumed;
    filled += produced;
    bool stuck = consumed == 0 && produced == 0 && in_pos == in_len && read_at >= source_end;
    if (status == InflateStatus::error || (status == InflateStatus::more && stuck)) return InflateResult::corrupt;
    if (written + filled > expected_size) return InflateResult::too_long;
    if (filled == kSectorSize || (status == InflateStatus::end_of_stream && filled > 0)) {
      sha.update(sector_buffer, filled);
      memset(sector_buffer + filled, 0xFF, kSectorSize - filled);
      uint32_t at = target + written;
      if (flash.erase_sector(at / kSectorSize) != FlashStatus::ok ||
          flash.write(at, sector_buffer, kSectorSize) != FlashStatus::ok)
        return InflateResult::flash_error;
      written += filled;
      filled = 0;
    }
  }
  if (written != expected_size) return InflateResult::size_mismatch;
  out->size = written;
  sha.finish(out->sha256);
  return InflateResult::ok;
}

}  // namespace otakit
