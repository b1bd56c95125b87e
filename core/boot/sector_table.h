// The swap's sector table: for each sector of a swap, a digest of what the primary and the
// secondary held when the swap was planned. With it the swap tells from the flash itself how far
// each sector got, and checks every copy's source before writing it, so a lost journal record or
// a misread never makes a step run again over data it already moved. Two copies share one sector.
#pragma once
#include <stdint.h>

#include "core/flash/flash.h"

namespace otakit {

// What fits twice in one sector (16-byte header + 8 bytes per swapped sector, each copy).
constexpr uint32_t kMaxSwapSectors = 254;

// The first four bytes of the SHA-256 of one sector, little-endian.
uint32_t sector_digest(const uint8_t* sector);
bool digest_flash_sector(Flash& flash, uint32_t address, uint32_t* digest);

class SectorTable {
 public:
  SectorTable(Flash& flash, uint32_t address) : flash_(flash), address_(address) {}

  // Digests `sectors` sectors of the primary (from 0) and of the secondary, writes both copies;
  // *crc (the CRC of the entries) goes into the swap plan. buffer: kSectorSize bytes, 4-aligned.
  bool build(uint32_t secondary, uint32_t sectors, uint8_t* buffer, uint32_t* crc);
  // Selects an intact copy written for this plan; false when neither copy is.
  bool open(uint32_t sectors, uint32_t crc);
  // The digests planned for one sector (after a successful open()).
  bool entry(uint32_t sector, uint32_t* primary, uint32_t* secondary);

 private:
  bool copy_intact(uint32_t copy_address, uint32_t sectors, uint32_t crc);

  Flash& flash_;
  uint32_t address_;
  uint32_t copy_ = 0;  // address of the copy open() chose
  bool open_ = false;
};

}  // namespace otakit
