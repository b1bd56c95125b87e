#include "platform/posix/shared_flash.h"

#include <cstring>
#include <string_view>

namespace otakit::posix {

struct SectorPool::Sector {
  uint32_t holders = 1;
  bool shared = false;  // in by_hash_: its bytes never change again
  uint64_t hash = 0;
  alignas(8) uint8_t bytes[kSectorSize];
};

namespace {
uint64_t hash_of(const uint8_t* bytes) {
  return std::hash<std::string_view>{}(std::string_view(reinterpret_cast<const char*>(bytes), kSectorSize));
}
}  // namespace

SectorPool::SectorPool() {
  erased_ = new Sector;
  std::memset(erased_->bytes, 0xFF, kSectorSize);
  ++private_;
  erased_ = intern(erased_);
}

SectorPool::~SectorPool() {
  for (auto& entry : by_hash_) delete entry.second;
}

SectorPool::Stats SectorPool::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return Stats{uint64_t(by_hash_.size()), private_};
}

SectorPool::Sector* SectorPool::erased() {
  hold(erased_);
  return erased_;
}

void SectorPool::hold(Sector* sector) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++sector->holders;
}

void SectorPool::release(Sector* sector) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (--sector->holders > 0 || sector == erased_) return;
  if (sector->shared) unlist(sector);
  else --private_;
  delete sector;
}

void SectorPool::unlist(Sector* sector) {
  auto [first, last] = by_hash_.equal_range(sector->hash);
  for (auto it = first; it != last; ++it)
    if (it->second == sector) {
      by_hash_.erase(it);
      return;
    }
}

SectorPool::Sector* SectorPool::writable(Sector* sector) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!sector->shared) return sector;
  ++private_;
  if (sector->holders == 1 && sector != erased_) {  // the caller is its only holder: no copy needed
    unlist(sector);
    sector->shared = false;
    return sector;
  }
  Sector* copy = new Sector;
  std::memcpy(copy->bytes, sector->bytes, kSectorSize);
  --sector->holders;  // not the last: someone else holds it (the pool itself holds erased_)
  return copy;
}

SectorPool::Sector* SectorPool::intern(Sector* sector) {
  const uint64_t hash = hash_of(sector->bytes);  // outside the lock: the sector is the caller's alone
  std::lock_guard<std::mutex> lock(mutex_);
  auto [first, last] = by_hash_.equal_range(hash);
  for (auto it = first; it != last; ++it)
    if (std::memcmp(it->second->bytes, sector->bytes, kSectorSize) == 0) {
      ++it->second->holders;
      --private_;
      delete sector;
      return it->second;
    }
  sector->shared = true;
  sector->hash = hash;
  --private_;
  by_hash_.emplace(hash, sector);
  return sector;
}

SharedFlash::SharedFlash(SectorPool& pool, uint32_t size) : pool_(pool), table_(size / kSectorSize) {
  for (auto& sector : table_) sector = pool_.erased();
}

void SharedFlash::assign(SharedFlash& other) {
  other.settle();
  for (auto* sector : table_) pool_.release(sector);
  dirty_count_ = 0;
  table_ = other.table_;
  for (auto* sector : table_) pool_.hold(sector);
}

SharedFlash::~SharedFlash() {
  for (auto* sector : table_) pool_.release(sector);
}

FlashStatus SharedFlash::read(uint32_t address, void* out, uint32_t len) {
  if (power_lost_) return FlashStatus::power_lost;
  if (!in_range(address, len)) return FlashStatus::out_of_range;
  if (!flash_aligned(address, len, out)) {
    ++alignment_violations_;
    return FlashStatus::misaligned;
  }
  auto* dst = static_cast<uint8_t*>(out);
  while (len > 0) {
    const uint32_t offset = address % kSectorSize;
    const uint32_t n = std::min(len, kSectorSize - offset);
    std::memcpy(dst, table_[address / kSectorSize]->bytes + offset, n);
    dst += n;
    address += n;
    len -= n;
  }
  return FlashStatus::ok;
}

FlashStatus SharedFlash::erase_sector(uint32_t sector_index) {
  if (sector_index >= table_.size()) return FlashStatus::out_of_range;
  if (!admit(sector_index * kSectorSize, kSectorSize, nullptr, true)) return FlashStatus::power_lost;
  forget_dirty(sector_index);
  pool_.release(table_[sector_index]);
  table_[sector_index] = pool_.erased();
  return FlashStatus::ok;
}

FlashStatus SharedFlash::write(uint32_t address, const void* data, uint32_t len) {
  if (!in_range(address, len)) return FlashStatus::out_of_range;
  if (!flash_aligned(address, len, data)) {
    ++alignment_violations_;
    return FlashStatus::misaligned;
  }
  const auto* src = static_cast<const uint8_t*>(data);
  for (uint32_t i = 0; i < len; ++i) {
    const uint32_t a = address + i;
    if ((src[i] & ~table_[a / kSectorSize]->bytes[a % kSectorSize]) != 0) return FlashStatus::write_1_over_0;
  }
  if (!admit(address, len, src, false)) return FlashStatus::power_lost;
  while (len > 0) {
    const uint32_t offset = address % kSectorSize;
    const uint32_t n = std::min(len, kSectorSize - offset);
    uint8_t* cells = writable_bytes(address / kSectorSize) + offset;
    for (uint32_t i = 0; i < n; ++i) cells[i] &= src[i];
    src += n;
    address += n;
    len -= n;
  }
  return FlashStatus::ok;
}

bool SharedFlash::admit(uint32_t address, uint32_t len, const uint8_t* data, bool is_erase) {
  if (power_lost_) return false;
  if (operations_++ != cut_at_) return true;
  power_lost_ = true;
  if (torn_ != TornMode::clean && len > 0) {
    // Tear a contiguous copy of the cells, then put it back sector by sector.
    std::vector<uint8_t> cells(len);
    for (uint32_t i = 0; i < len; ++i) cells[i] = table_[(address + i) / kSectorSize]->bytes[(address + i) % kSectorSize];
    std::mt19937 rng(torn_seed_);
    tear_operation(cells.data(), len, is_erase ? nullptr : data, torn_, rng);
    for (uint32_t i = 0; i < len;) {
      const uint32_t a = address + i;
      const uint32_t n = std::min(len - i, kSectorSize - a % kSectorSize);
      std::memcpy(writable_bytes(a / kSectorSize) + a % kSectorSize, cells.data() + i, n);
      i += n;
    }
  }
  if (on_cut_) on_cut_();
  return false;
}

uint8_t* SharedFlash::writable_bytes(uint32_t sector_index) {
  SectorPool::Sector*& sector = table_[sector_index];
  if (!sector->shared) return sector->bytes;  // already this flash's own copy
  sector = pool_.writable(sector);
  if (dirty_count_ == kMaxDirty) {  // the oldest copy goes back to the pool
    table_[dirty_[0]] = pool_.intern(table_[dirty_[0]]);
    std::memmove(dirty_, dirty_ + 1, sizeof(dirty_[0]) * (kMaxDirty - 1));
    --dirty_count_;
  }
  dirty_[dirty_count_++] = sector_index;
  return sector->bytes;
}

void SharedFlash::forget_dirty(uint32_t sector_index) {
  for (uint32_t i = 0; i < dirty_count_; ++i)
    if (dirty_[i] == sector_index) {
      std::memmove(dirty_ + i, dirty_ + i + 1, sizeof(dirty_[0]) * (dirty_count_ - i - 1));
      --dirty_count_;
      return;
    }
}

void SharedFlash::settle() {
  for (uint32_t i = 0; i < dirty_count_; ++i) table_[dirty_[i]] = pool_.intern(table_[dirty_[i]]);
  dirty_count_ = 0;
}

void SharedFlash::cut_power_at(uint64_t operation_index, TornMode mode, uint32_t seed, std::function<void()> on_cut) {
  cut_at_ = operations_ + operation_index;
  torn_ = mode;
  torn_seed_ = seed;
  on_cut_ = std::move(on_cut);
}

void SharedFlash::clear_faults() {
  cut_at_ = UINT64_MAX;
  power_lost_ = false;
  on_cut_ = nullptr;
}

}  // namespace otakit::posix
