// The device's NOR flash as the core sees it: 4 KiB sectors, erase sets bytes to 0xFF, a write can
// only clear bits. Every driver (file-backed, in-memory, a real chip) implements this interface.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace otakit {

constexpr uint32_t kSectorSize = 4096;

enum class FlashStatus : uint8_t {
  ok,
  out_of_range,    // the address range leaves the chip
  misaligned,      // erase of an address that is not a sector start
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

// Reads [address, address+len) through a small stack buffer and feeds it to sink(ctx, data, n).
// Used to hash regions without a heap buffer.
typedef void (*FlashSink)(void* ctx, const uint8_t* data, size_t n);
FlashStatus flash_stream(Flash& flash, uint32_t address, uint32_t len, FlashSink sink, void* ctx);

}  // namespace otakit
