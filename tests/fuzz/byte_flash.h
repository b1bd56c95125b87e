// A NOR flash over a byte array for the boot fuzz targets (which link only otakit_core): erase
// sets 0xFF, a write may only clear bits, anything outside the array or misaligned is refused.
#pragma once
#include <stdint.h>
#include <string.h>

#include "core/flash/flash.h"

namespace otakit::fuzz {

class ByteFlash : public Flash {
 public:
  ByteFlash(uint8_t* bytes, uint32_t size) : bytes_(bytes), size_(size) {}
  uint32_t size() const override { return size_; }
  FlashStatus read(uint32_t address, void* out, uint32_t len) override {
    if (!inside(address, len)) return FlashStatus::out_of_range;
    if (!flash_aligned(address, len, out)) return FlashStatus::misaligned;
    memcpy(out, bytes_ + address, len);
    return FlashStatus::ok;
  }
  FlashStatus erase_sector(uint32_t sector) override {
    if (sector >= size_ / kSectorSize) return FlashStatus::out_of_range;
    memset(bytes_ + sector * kSectorSize, 0xFF, kSectorSize);
    return FlashStatus::ok;
  }
  FlashStatus write(uint32_t address, const void* data, uint32_t len) override {
    if (!inside(address, len)) return FlashStatus::out_of_range;
    if (!flash_aligned(address, len, data)) return FlashStatus::misaligned;
    const uint8_t* src = static_cast<const uint8_t*>(data);
    for (uint32_t i = 0; i < len; ++i)
      if ((src[i] & ~bytes_[address + i]) != 0) return FlashStatus::write_1_over_0;
    for (uint32_t i = 0; i < len; ++i) bytes_[address + i] &= src[i];
    return FlashStatus::ok;
  }

 private:
  bool inside(uint32_t address, uint32_t len) const { return address <= size_ && len <= size_ - address; }
  uint8_t* bytes_;
  uint32_t size_;
};

}  // namespace otakit::fuzz
