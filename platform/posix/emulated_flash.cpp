#include "platform/posix/emulated_flash.h"

#include <cstring>

namespace otakit::posix {

FlashStatus EmulatedFlash::read(uint32_t address, void* out, uint32_t len) {
  if (power_lost_) return FlashStatus::power_lost;
  if (!in_range(address, len)) return FlashStatus::out_of_range;
  if (!flash_aligned(address, len, out)) return misaligned();
  std::memcpy(out, bytes_ + address, len);
  for (size_t i = 0; i < flips_.size();) {
    const Flip f = flips_[i];
    bool hit = f.address >= address && f.address - address < len;
    if (hit) static_cast<uint8_t*>(out)[f.address - address] ^= f.mask;
    if (hit && f.once) {
      flips_.erase(flips_.begin() + long(i));
    } else {
      ++i;
    }
  }
  for (uint32_t s = address / kSectorSize; len > 0 && s <= (address + len - 1) / kSectorSize; ++s)
    ++wear_[s].reads;
  return FlashStatus::ok;
}

void tear_operation(uint8_t* cells, uint32_t len, const uint8_t* data, TornMode mode, std::mt19937& rng) {
  uint32_t done = std::uniform_int_distribution<uint32_t>(0, len - 1)(rng);
  for (uint32_t i = 0; i < len; ++i) {
    uint8_t& cell = cells[i];
    uint8_t target = data == nullptr ? 0xFF : uint8_t(cell & data[i]);
    if (i < done) {
      cell = target;
    } else if (mode == TornMode::random_rest) {
      uint8_t noise = uint8_t(rng());
      // A half-erased cell holds anything; a half-programmed cell has some of its 0 bits cleared.
      cell = data == nullptr ? noise : uint8_t(cell & (target | noise));
    }
  }
}

bool EmulatedFlash::admit(uint32_t address, uint32_t len, const uint8_t* data, bool is_erase) {
  if (power_lost_) return false;
  if (operations_++ != cut_at_) return true;
  power_lost_ = true;
  if (torn_ == TornMode::clean || len == 0) return false;
  tear_operation(bytes_ + address, len, is_erase ? nullptr : data, torn_, rng_);
  persist(address, len);
  return false;
}

FlashStatus EmulatedFlash::erase_sector(uint32_t sector_index) {
  if (sector_index >= size_ / kSectorSize) return FlashStatus::out_of_range;
  uint32_t address = sector_index * kSectorSize;
  if (!admit(address, kSectorSize, nullptr, true)) return FlashStatus::power_lost;
  std::memset(bytes_ + address, 0xFF, kSectorSize);
  ++wear_[sector_index].erases;
  persist(address, kSectorSize);
  return FlashStatus::ok;
}

FlashStatus EmulatedFlash::write(uint32_t address, const void* data, uint32_t len) {
  if (!in_range(address, len)) return FlashStatus::out_of_range;
  if (!flash_aligned(address, len, data)) return misaligned();
  const uint8_t* src = static_cast<const uint8_t*>(data);
  for (uint32_t i = 0; i < len; ++i)
    if ((src[i] & ~bytes_[address + i]) != 0) return FlashStatus::write_1_over_0;
  if (!admit(address, len, src, false)) return FlashStatus::power_lost;
  for (uint32_t i = 0; i < len; ++i) bytes_[address + i] &= src[i];
  for (uint32_t s = address / kSectorSize; len > 0 && s <= (address + len - 1) / kSectorSize; ++s)
    ++wear_[s].writes;
  persist(address, len);
  return FlashStatus::ok;
}

FlashStatus EmulatedFlash::misaligned() {
  ++alignment_violations_;
  return FlashStatus::misaligned;
}

void EmulatedFlash::cut_power_at(uint64_t operation_index, TornMode mode, uint32_t seed) {
  cut_at_ = operations_ + operation_index;
  torn_ = mode;
  rng_.seed(seed);
}

void EmulatedFlash::clear_faults() {
  cut_at_ = UINT64_MAX;
  power_lost_ = false;
  flips_.clear();
}

void EmulatedFlash::flip_bits_on_read(uint32_t address, uint8_t mask) { flips_.push_back({address, mask, false}); }

void EmulatedFlash::flip_bits_on_next_read(uint32_t address, uint8_t mask) { flips_.push_back({address, mask, true}); }

void EmulatedFlash::reset_wear() {
  for (SectorWear& w : wear_) w = SectorWear{};
}

}  // namespace otakit::posix
