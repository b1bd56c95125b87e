// SharedFlash, the fleet simulator's flash: it must behave exactly as MemoryFlash (the NOR rules,
// the alignment rules, power cuts clean and torn), checked op by op on random sequences, while
// flashes with the same contents share their sectors in one SectorPool.
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <vector>

#include "platform/posix/emulated_flash.h"
#include "platform/posix/shared_flash.h"

namespace otakit::posix {
namespace {

constexpr uint32_t kSize = 16 * kSectorSize;

std::vector<uint8_t> contents(Flash& flash) {
  std::vector<uint8_t> out(flash.size());
  EXPECT_EQ(flash.read(0, out.data(), flash.size()), FlashStatus::ok);
  return out;
}

// Random erases and writes (some misaligned, some setting bits, some across sectors) against both.
int run_same_operations(MemoryFlash& reference, SharedFlash& shared, uint32_t seed, int operations) {
  int succeeded = 0;
  std::mt19937 rng(seed);
  alignas(4) uint8_t data[3 * kSectorSize];
  for (int op = 0; op < operations; ++op) {
    const uint32_t kind = rng() % 10;
    FlashStatus a, b;
    if (kind == 0 || kind == 4) {
      const uint32_t sector = rng() % (kSize / kSectorSize + 1);  // one past the end too
      a = reference.erase_sector(sector);
      b = shared.erase_sector(sector);
    } else {
      const uint32_t address = (rng() % (kSize + 64)) & ~(kind == 1 ? 0u : 3u);
      const uint32_t len = (rng() % (2 * kSectorSize + 8)) & ~(kind == 2 ? 0u : 3u);
      for (uint32_t i = 0; i < len; ++i) data[i] = uint8_t(kind == 3 ? rng() : (rng() | 0x0F) & 0xF7);
      a = reference.write(address, data, len);
      b = shared.write(address, data, len);
    }
    EXPECT_EQ(a, b) << "operation " << op;
    succeeded += a == FlashStatus::ok;
  }
  return succeeded;
}

TEST(SharedFlash, BehavesAsMemoryFlashOperationByOperation) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    SectorPool pool;
    MemoryFlash reference(kSize);
    SharedFlash shared(pool, kSize);
    EXPECT_GT(run_same_operations(reference, shared, seed, 400), 60) << "a fair share of the operations must change the flash";
    ASSERT_EQ(contents(shared), reference.bytes()) << "seed " << seed;
    EXPECT_EQ(shared.alignment_violations(), reference.alignment_violations());
    EXPECT_EQ(shared.mutating_operations(), reference.mutating_operations());
  }
}

TEST(SharedFlash, APowerCutLeavesWhatMemoryFlashLeavesInEveryTornMode) {
  for (TornMode mode : {TornMode::clean, TornMode::keep_rest, TornMode::random_rest}) {
    for (uint32_t seed = 1; seed <= 10; ++seed) {
      SectorPool pool;
      MemoryFlash reference(kSize);
      SharedFlash shared(pool, kSize);
      run_same_operations(reference, shared, seed, 50);
      int cuts_seen = 0;
      reference.cut_power_at(seed % 7, mode, seed);
      shared.cut_power_at(seed % 7, mode, seed, [&] { ++cuts_seen; });
      run_same_operations(reference, shared, seed + 100, 60);
      ASSERT_EQ(shared.power_lost(), reference.power_lost());
      ASSERT_TRUE(shared.power_lost()) << "sixty operations pass the cut";
      EXPECT_EQ(cuts_seen, 1);
      alignas(4) uint8_t word[4];
      EXPECT_EQ(shared.read(0, word, 4), FlashStatus::power_lost);
      reference.clear_faults();
      shared.clear_faults();
      ASSERT_EQ(contents(shared), reference.bytes()) << "mode " << int(mode) << " seed " << seed;
    }
  }
}

TEST(SharedFlash, FlashesWithTheSameContentsShareTheirSectors) {
  SectorPool pool;
  SharedFlash factory(pool, kSize);
  std::vector<uint8_t> image(5 * kSectorSize);
  std::mt19937 rng(7);
  for (auto& b : image) b = uint8_t(rng());
  ASSERT_EQ(factory.write(0, image.data(), uint32_t(image.size())), FlashStatus::ok);
  factory.settle();
  const uint64_t one_copy = pool.stats().shared_sectors;
  EXPECT_EQ(one_copy, 6u) << "five image sectors and the erased one";

  std::vector<std::unique_ptr<SharedFlash>> fleet;
  for (int i = 0; i < 100; ++i) {
    fleet.push_back(std::make_unique<SharedFlash>(pool, kSize));
    fleet.back()->assign(factory);
  }
  EXPECT_EQ(pool.stats().shared_sectors, one_copy) << "a hundred devices, one copy";

  // Each device writes the same new image to its second half, as an update does.
  std::vector<uint8_t> next(4 * kSectorSize);
  for (auto& b : next) b = uint8_t(rng());
  for (auto& flash : fleet) {
    for (uint32_t s = 8; s < 12; ++s) ASSERT_EQ(flash->erase_sector(s), FlashStatus::ok);
    for (uint32_t at = 0; at < next.size(); at += 1024)  // in pieces, as the Updater writes
      ASSERT_EQ(flash->write(8 * kSectorSize + at, next.data() + at, 1024), FlashStatus::ok);
    EXPECT_LE(flash->private_sectors(), 2u) << "at most two sectors are private while writing";
    flash->settle();
    EXPECT_EQ(flash->private_sectors(), 0u);
  }
  EXPECT_EQ(pool.stats().shared_sectors, one_copy + 4) << "the new image is stored once";
  EXPECT_EQ(pool.stats().private_sectors, 0u);
  for (auto& flash : fleet) {
    std::vector<uint8_t> back(next.size());
    ASSERT_EQ(flash->read(8 * kSectorSize, back.data(), uint32_t(back.size())), FlashStatus::ok);
    ASSERT_EQ(back, next);
  }

  // One device changes a sector: only it sees the change, the others keep the shared bytes.
  alignas(4) const uint8_t zeros[4] = {0, 0, 0, 0};
  ASSERT_EQ(fleet[0]->write(0, zeros, 4), FlashStatus::ok);
  alignas(4) uint8_t word[4];
  ASSERT_EQ(fleet[1]->read(0, word, 4), FlashStatus::ok);
  EXPECT_EQ(std::vector<uint8_t>(word, word + 4), std::vector<uint8_t>(image.begin(), image.begin() + 4));
  fleet.clear();
  EXPECT_EQ(pool.stats().private_sectors, 0u) << "a flash gives its sectors back when it goes";
}

}  // namespace
}  // namespace otakit::posix
