// NOR flash in RAM for on-target runs: the ESP8266 SPI flash API's rules (4-byte aligned address,
// length and buffer; whole-sector erases; a write can only clear bits) and a power cut after a
// given number of erases and writes, so the boot path's resume can be exercised on the chip's ISA.
#pragma once
#include <stdint.h>

#include "core/flash/flash.h"

namespace otakit::mcu {

class RamFlash final : public Flash {
 public:
  // bytes must be 4-byte aligned and size a whole number of sectors; the caller erases it.
  RamFlash(uint8_t* bytes, uint32_t size) : bytes_(bytes), size_(size) {}

  uint32_t size() const override { return size_; }
  FlashStatus read(uint32_t address, void* out, uint32_t len) override;
  FlashStatus erase_sector(uint32_t sector_index) override;
  FlashStatus write(uint32_t address, const void* data, uint32_t len) override;

  // Sets every byte to 0xFF, as a new chip.
  void erase_all();
  // The power goes away after `operations` more erases or writes: the next one and all later
  // ones fail with power_lost and change nothing. restore_power() ends the cut.
  void cut_power_after(uint32_t operations);
  void restore_power() { cut_armed_ = false; powered_ = true; }
  bool powered() const { return powered_; }
  // Erases and writes that reached the flash, and calls that broke the alignment rules.
  uint32_t operations() const { return operations_; }
  uint32_t alignment_violations() const { return violations_; }
  const uint8_t* bytes() const { return bytes_; }

 private:
  bool admit();  // counts one erase or write; false once the power is cut
  uint8_t* bytes_;
  uint32_t size_;
  uint32_t operations_ = 0;
  uint32_t violations_ = 0;
  uint32_t cut_at_ = 0;
  bool cut_armed_ = false;
  bool powered_ = true;
};

}  // namespace otakit::mcu
