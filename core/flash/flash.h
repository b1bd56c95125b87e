// The device's NOR flash as the core sees it: 4 KiB sectors, erase sets bytes to 0xFF, a write can
// only clear bits. Every driver (file-backed, in-memory, a real chip) implements this interface.
//
// Alignment rules of the ESP8266's SPI flash API (spi_flash_read/spi_flash_write), which every
// implementation may enforce and the emulation does: reads and writes take a 4-byte aligned
// address, a length that is a multiple of 4 and a 4-byte aligned buffer; erases take a sector.
// Code that needs bytes at any offset uses flash_read_bytes(), which bounces through an aligned
// buffer, and pads its last write with 0xFF (a no-op on erased flash).
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace otakit {

constexpr uint32_t kSectorSize = 4096;
constexpr uint32_t kFlashAlign = 4;

enum class FlashStatus : uint8_t {
  ok,
  out_of_range,    // the address range leaves the chip
  misaligned,      // address, length or buffer breaks the alignment rules above
  write_1_over_0,  // a write tried to set a bit that is 0: NOR cannot do that without an erase
  power_lost,      // fault injection: the device lost power during or before this operation
  io_error,        // the backing store failed
};

const char* describe(FlashStatus status);

class Flash {
 public:
  virtual uint32_t size() const = 0;
  virtual FlashStatus read(uint32_t address, void* out, uint32_t len) = 0;
  virtual FlashStatus erase_sector(uint32_t sector_index) = 0;
  virtual FlashStatus write(uint32_t address, const void* data, uint32_t len) = 0;

  uint32_t sector_count() const { return size() / kSectorSize; }

 protected:
  ~Flash() = default;
};

inline bool flash_aligned(uint32_t address, uint32_t len, const void* buffer) {
  return address % kFlashAlign == 0 && len % kFlashAlign == 0 && uintptr_t(buffer) % kFlashAlign == 0;
}
constexpr uint32_t round_up_flash_align(uint32_t n) { return (n + kFlashAlign - 1) & ~(kFlashAlign - 1); }

// Reads any byte range into any buffer, obeying the alignment rules underneath.
FlashStatus flash_read_bytes(Flash& flash, uint32_t address, void* out, uint32_t len);

// Reads [address, address+len) through a small stack buffer and feeds it to sink(ctx, data, n).
// Used to hash regions without a heap buffer.
typedef void (*FlashSink)(void* ctx, const uint8_t* data, size_t n);
FlashStatus flash_stream(Flash& flash, uint32_t address, uint32_t len, FlashSink sink, void* ctx);

}  // namespace otakit
