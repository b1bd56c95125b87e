#include "platform/mcu/ram_flash.h"

#include <string.h>

namespace otakit::mcu {

void RamFlash::erase_all() { memset(bytes_, 0xFF, size_); }

void RamFlash::cut_power_after(uint32_t operations) {
  cut_at_ = operations_ + operations;
  cut_armed_ = true;
}

bool RamFlash::admit() {
  if (cut_armed_ && operations_ >= cut_at_) powered_ = false;
  if (!powered_) return false;
  ++operations_;
  return true;
}

FlashStatus RamFlash::read(uint32_t address, void* out, uint32_t len) {
  if (!powered_) return FlashStatus::power_lost;
  if (!flash_aligned(address, len, out)) {
    ++violations_;
    return FlashStatus::misaligned;
  }
  if (address > size_ || len > size_ - address) return FlashStatus::out_of_range;
  memcpy(out, bytes_ + address, len);
  return FlashStatus::ok;
}

FlashStatus RamFlash::erase_sector(uint32_t sector_index) {
  if (sector_index >= sector_count()) return FlashStatus::out_of_range;
  if (!admit()) return FlashStatus::power_lost;
  memset(bytes_ + sector_index * kSectorSize, 0xFF, kSectorSize);
  return FlashStatus::ok;
}

FlashStatus RamFlash::write(uint32_t address, const void* data, uint32_t len) {
  if (!flash_aligned(address, len, data)) {
    ++violations_;
    return FlashStatus::misaligned;
  }
  if (address > size_ || len > size_ - address) return FlashStatus::out_of_range;
  const uint8_t* src = static_cast<const uint8_t*>(data);
  for (uint32_t i = 0; i < len; ++i)
    if ((src[i] & ~bytes_[address + i]) != 0) return FlashStatus::write_1_over_0;
  if (!admit()) return FlashStatus::power_lost;
  memcpy(bytes_ + address, src, len);
  return FlashStatus::ok;
}

}  // namespace otakit::mcu
