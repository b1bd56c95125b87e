// Flash for many simulated devices in one process. Sectors are stored by content in a SectorPool
// and shared, so 10,000 devices holding the same two images cost one copy of each sector plus a
// small table per device. A sector a device writes becomes its own copy (copy on write) and goes
// back to the pool, shared again, once the device moves on to other sectors or calls settle().
// The rules and the power cut are EmulatedFlash's: alignment, no 1 over 0, a cut at operation N.
#pragma once
#include <cstdint>
#include <functional>
#include <mutex>
#include <random>
#include <unordered_map>
#include <vector>

#include "core/flash/flash.h"
#include "platform/posix/emulated_flash.h"

namespace otakit::posix {

class SectorPool {
 public:
  struct Sector;
  SectorPool();
  ~SectorPool();
  SectorPool(const SectorPool&) = delete;
  SectorPool& operator=(const SectorPool&) = delete;

  struct Stats {
    uint64_t shared_sectors = 0;   // distinct contents held in the pool
    uint64_t private_sectors = 0;  // copies being written, owned by one flash each
    uint64_t bytes() const { return (shared_sectors + private_sectors) * kSectorSize; }
  };
  Stats stats() const;

 private:
  friend class SharedFlash;
  Sector* erased();                   // the all-0xFF sector, one more holder
  void hold(Sector* sector);          // one more holder of a shared sector
  void release(Sector* sector);       // one holder fewer; the last frees it
  Sector* writable(Sector* sector);   // a copy only the caller holds (the sector itself when it is)
  Sector* intern(Sector* sector);     // shares a private sector: the pool's equal one, or itself
  void unlist(Sector* sector);        // out of by_hash_ (the lock is held)

  mutable std::mutex mutex_;
  std::unordered_multimap<uint64_t, Sector*> by_hash_;
  Sector* erased_ = nullptr;
  uint64_t private_ = 0;
};

class SharedFlash final : public Flash {
 public:
  SharedFlash(SectorPool& pool, uint32_t size);
  ~SharedFlash();
  SharedFlash(const SharedFlash&) = delete;
  SharedFlash& operator=(const SharedFlash&) = delete;

  uint32_t size() const override { return uint32_t(table_.size()) * kSectorSize; }
  FlashStatus read(uint32_t address, void* out, uint32_t len) override;
  FlashStatus erase_sector(uint32_t sector_index) override;
  FlashStatus write(uint32_t address, const void* data, uint32_t len) override;

  // Power is cut at the mutating operation with this 0-based index from now, applied as `mode`
  // says; every later operation fails with power_lost until clear_faults(). on_cut runs at the
  // cut, inside the operation: it may only note or post (the device is mid-call).
  void cut_power_at(uint64_t operation_index, TornMode mode, uint32_t seed, std::function<void()> on_cut = {});
  void clear_faults();  // power back on (a cut that has not happened yet is disarmed too)
  bool power_lost() const { return power_lost_; }
  bool cut_armed() const { return cut_at_ != UINT64_MAX && !power_lost_; }
  uint64_t mutating_operations() const { return operations_; }
  uint64_t alignment_violations() const { return alignment_violations_; }

  // Takes other's contents (same pool and size), sharing every sector: a factory image written once.
  void assign(SharedFlash& other);
  // Shares again every sector this flash is writing: call when the device is idle.
  void settle();
  uint32_t private_sectors() const { return dirty_count_; }

 private:
  static constexpr uint32_t kMaxDirty = 2;  // the Updater's sector and the one after it
  uint8_t* writable_bytes(uint32_t sector_index);
  bool admit(uint32_t address, uint32_t len, const uint8_t* data, bool is_erase);
  void forget_dirty(uint32_t sector_index);
  bool in_range(uint32_t address, uint32_t len) const { return address <= size() && len <= size() - address; }

  SectorPool& pool_;
  std::vector<SectorPool::Sector*> table_;
  uint32_t dirty_[kMaxDirty] = {};
  uint32_t dirty_count_ = 0;
  uint64_t operations_ = 0;
  uint64_t alignment_violations_ = 0;
  uint64_t cut_at_ = UINT64_MAX;
  TornMode torn_ = TornMode::clean;
  uint32_t torn_seed_ = 1;
  bool power_lost_ = false;
  std::function<void()> on_cut_;
};

}  // namespace otakit::posix
