// NOR flash emulation over a byte array, with the faults the power-cut tests need: power loss
// after operation N (clean or torn), bit flips on read, and per-sector wear counters. It refuses
// what a real chip refuses (core/flash/flash.h's alignment rules) and counts each refusal.
#pragma once
#include <cstdint>
#include <random>
#include <vector>

#include "core/flash/flash.h"

namespace otakit::posix {

enum class TornMode : uint8_t {
  clean,        // the cut operation does nothing
  keep_rest,    // a prefix of the operation is done, the rest keeps its old bytes
  random_rest,  // a prefix is done, the rest is random (erase) or partly programmed (write)
};

// What a cut operation leaves in its cells (len > 0): a random prefix is done, the rest keeps its old
// bytes (keep_rest) or holds noise (random_rest). data is the write's bytes; null for an erase.
void tear_operation(uint8_t* cells, uint32_t len, const uint8_t* data, TornMode mode, std::mt19937& rng);

struct SectorWear {
  uint32_t reads = 0;
  uint32_t erases = 0;
  uint32_t writes = 0;
};

class EmulatedFlash : public Flash {
 public:
  EmulatedFlash(uint8_t* bytes, uint32_t size) : bytes_(bytes), size_(size), wear_(size / kSectorSize) {}

  uint32_t size() const override { return size_; }
  FlashStatus read(uint32_t address, void* out, uint32_t len) override;
  FlashStatus erase_sector(uint32_t sector_index) override;
  FlashStatus write(uint32_t address, const void* data, uint32_t len) override;

  // Power is cut at the mutating operation with this 0-based index (erases and writes count);
  // that operation is applied as `mode` says and every later operation fails with power_lost.
  void cut_power_at(uint64_t operation_index, TornMode mode, uint32_t seed = 1);
  void clear_faults();  // "power back on": the next boot runs on what the flash now holds
  bool power_lost() const { return power_lost_; }
  uint64_t mutating_operations() const { return operations_; }

  // Every read of this address returns the byte XOR mask (until clear_faults()).
  void flip_bits_on_read(uint32_t address, uint8_t mask);
  // Only the next read that covers this address is flipped: a transient misread.
  void flip_bits_on_next_read(uint32_t address, uint8_t mask);

  // Reads or writes refused for breaking the alignment rules: tests expect 0.
  uint64_t alignment_violations() const { return alignment_violations_; }

  const std::vector<SectorWear>& wear() const { return wear_; }
  void reset_wear();

 protected:
  virtual void persist(uint32_t /*address*/, uint32_t /*len*/) {}

 private:
  bool in_range(uint32_t address, uint32_t len) const {
    return address <= size_ && len <= size_ - address;
  }
  // True if this mutating operation may run; handles the cut and torn application.
  bool admit(uint32_t address, uint32_t len, const uint8_t* data, bool is_erase);
  FlashStatus misaligned();

  uint8_t* bytes_;
  uint32_t size_;
  std::vector<SectorWear> wear_;
  uint64_t operations_ = 0;
  uint64_t alignment_violations_ = 0;
  uint64_t cut_at_ = UINT64_MAX;
  TornMode torn_ = TornMode::clean;
  bool power_lost_ = false;
  std::mt19937 rng_{1};
  struct Flip {
    uint32_t address;
    uint8_t mask;
    bool once;
  };
  std::vector<Flip> flips_;
};

namespace detail {
struct ByteStore {
  std::vector<uint8_t> storage;
};
}  // namespace detail

// Flash in RAM, for tests. (The store is a base so it exists before EmulatedFlash points at it.)
class MemoryFlash : private detail::ByteStore, public EmulatedFlash {
 public:
  explicit MemoryFlash(uint32_t size, uint8_t fill = 0xFF)
      : detail::ByteStore{std::vector<uint8_t>(size, fill)}, EmulatedFlash(storage.data(), size) {}
  std::vector<uint8_t>& bytes() { return storage; }
};

}  // namespace otakit::posix
