#include "core/flash/flash.h"

#include <string.h>

namespace otakit {

const char* describe(FlashStatus status) {
  switch (status) {
    case FlashStatus::ok: return "ok";
    case FlashStatus::out_of_range: return "flash address out of range";
    case FlashStatus::misaligned: return "flash access is not aligned (4-byte address, length and buffer; sector erase)";
    case FlashStatus::write_1_over_0: return "flash write would set a 0 bit to 1 (missing erase)";
    case FlashStatus::power_lost: return "power lost during a flash operation";
    case FlashStatus::io_error: return "flash I/O error";
  }
  return "unknown flash status";
}

FlashStatus flash_read_bytes(Flash& flash, uint32_t address, void* out, uint32_t len) {
  uint8_t* dst = static_cast<uint8_t*>(out);
  // The aligned middle goes straight into the caller's buffer when that buffer allows it.
  if (flash_aligned(address, len, out)) return flash.read(address, out, len);
  alignas(4) uint8_t bounce[64];
  while (len > 0) {
    uint32_t base = address & ~(kFlashAlign - 1);
    uint32_t skip = address - base;
    uint32_t n = sizeof(bounce) - skip < len ? uint32_t(sizeof(bounce)) - skip : len;
    uint32_t span = round_up_flash_align(skip + n);
    if (base > flash.size() || span > flash.size() - base) return FlashStatus::out_of_range;
    FlashStatus st = flash.read(base, bounce, span);
    if (st != FlashStatus::ok) return st;
    memcpy(dst, bounce + skip, n);
    dst += n;
    address += n;
    len -= n;
  }
  return FlashStatus::ok;
}

FlashStatus flash_stream(Flash& flash, uint32_t address, uint32_t len, FlashSink sink, void* ctx) {
  alignas(4) uint8_t chunk[256];
  while (len > 0) {
    uint32_t n = len < sizeof(chunk) ? len : uint32_t(sizeof(chunk));
    FlashStatus st = flash_read_bytes(flash, address, chunk, n);
    if (st != FlashStatus::ok) return st;
    sink(ctx, chunk, n);
    address += n;
    len -= n;
  }
  return FlashStatus::ok;
}

}  // namespace otakit
