#include "core/flash/flash.h"

namespace otakit {

const char* describe(FlashStatus status) {
  switch (status) {
    case FlashStatus::ok: return "ok";
    case FlashStatus::out_of_range: return "flash address out of range";
    case FlashStatus::misaligned: return "flash erase address is not sector aligned";
    case FlashStatus::write_1_over_0: return "flash write would set a 0 bit to 1 (missing erase)";
    case FlashStatus::power_lost: return "power lost during a flash operation";
    case FlashStatus::io_error: return "flash I/O error";
  }
  return "unknown flash status";
}

FlashStatus flash_stream(Flash& flash, uint32_t address, uint32_t len, FlashSink sink, void* ctx) {
  uint8_t chunk[256];
  while (len > 0) {
    uint32_t n = len < sizeof(chunk) ? len : uint32_t(sizeof(chunk));
    FlashStatus st = flash.read(address, chunk, n);
    if (st != FlashStatus::ok) return st;
    sink(ctx, chunk, n);
    address += n;
    len -= n;
  }
  return FlashStatus::ok;
}

}  // namespace otakit
