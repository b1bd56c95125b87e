// Bit flips on read in the update path: while the Updater verifies what it staged, in the staged
// image before the boot, in the running image, the scratch sector, and in the copy itself. Each
// must be caught, and the device must always run a byte-exact old or new image.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "core/boot/boot_command.h"
#include "core/boot/placement.h"
#include "core/crypto/signature_verifier.h"
#include "tests/core/device_fixture.h"

namespace otakit {
namespace {

using testing::Device;
using testing::make_image;

// Flips a bit in the first whole-sector read that covers `address`: the read that swap_scratch
// makes to copy a sector. Checks and hashes read in smaller pieces and see the true bytes.
// Also notes the operation count when the primary slot is first read after the flip: the start
// of the post-swap verification, where the journal decides what happened.
class FlipOnSectorCopy : public Flash {
 public:
  FlipOnSectorCopy(posix::EmulatedFlash& inner, uint32_t address) : inner_(inner), address_(address) {}
  uint32_t size() const override { return inner_.size(); }
  FlashStatus read(uint32_t address, void* out, uint32_t len) override {
    FlashStatus st = inner_.read(address, out, len);
    if (st == FlashStatus::ok && !fired_ && len == kSectorSize && address_ >= address && address_ - address < len) {
      static_cast<uint8_t*>(out)[address_ - address] ^= 0x04;
      fired_ = true;
    } else if (fired_ && address == 0 && verify_at_ == 0) {
      verify_at_ = inner_.mutating_operations();
    }
    return st;
  }
  FlashStatus erase_sector(uint32_t sector) override { return inner_.erase_sector(sector); }
  FlashStatus write(uint32_t address, const void* data, uint32_t len) override {
    return inner_.write(address, data, len);
  }
  bool fired() const { return fired_; }
  uint64_t verify_at() const { return verify_at_; }

 private:
  posix::EmulatedFlash& inner_;
  uint32_t address_;
  bool fired_ = false;
  uint64_t verify_at_ = 0;
};

struct BitFlips : ::testing::Test {
  Device dev;
  std::vector<uint8_t> old_image = make_image(200000, 1);
  std::vector<uint8_t> new_image = make_image(250001, 2);
  uint32_t staging = 0;

  void SetUp() override {
    ASSERT_TRUE(dev.provision(old_image));
    ASSERT_EQ(dev.reboot().action, BootAction::booted);
    ASSERT_TRUE(place_staging(dev.layout, uint32_t(old_image.size()), uint32_t(new_image.size()), &staging));
  }
  bool whole() { return dev.runs(old_image) || dev.runs(new_image); }
  bool rollback_copy_is_old() {
    const BootState& s = dev.boot->state();
    return s.has_previous && s.previous.size == old_image.size() &&
           std::memcmp(dev.flash.bytes().data() + s.previous_address, old_image.data(), old_image.size()) == 0;
  }
};

// Regression: the boot path hashed the staged image itself and trusted that hash, so a byte that
// changed in flash after the Updater checked it was swapped in as the "new image".
TEST_F(BitFlips, StagedImageThatChangedSinceTheUpdaterVerifiedItIsNotSwappedIn) {
  ASSERT_TRUE(dev.stage(new_image)) << dev.updater->error_message();
  dev.flash.flip_bits_on_read(staging + 70000, 0x10);
  BootReport r = dev.reboot();
  EXPECT_EQ(r.action, BootAction::command_rejected) << describe(r.action) << " " << r.detail;
  EXPECT_NE(std::string(r.detail).find("SHA-256"), std::string::npos) << r.detail;
  EXPECT_TRUE(r.bootable);
  EXPECT_TRUE(dev.runs(old_image));
  r = dev.power_cycle();
  EXPECT_TRUE(r.bootable);
  EXPECT_TRUE(dev.runs(old_image));
  ASSERT_TRUE(dev.stage(new_image)) << "a fresh upload afterwards still works";
  EXPECT_EQ(dev.reboot().action, BootAction::upgraded);
  EXPECT_TRUE(dev.runs(new_image));
}

TEST_F(BitFlips, FlipInTheScratchSectorIsCaughtByTheReadBackAndTheSwapResumes) {
  ASSERT_TRUE(dev.stage(new_image));
  const uint32_t area = round_up_4k(uint32_t(new_image.size()));
  dev.flash.flip_bits_on_read(area + 5, 0x20);  // the scratch of sector 0: first sector of the gap
  BootReport r = dev.reboot();
  EXPECT_EQ(r.action, BootAction::flash_error) << "the copy into the scratch does not read back";
  EXPECT_TRUE(dev.runs(old_image)) << "nothing of the primary slot was touched yet";
  r = dev.power_cycle();
  EXPECT_EQ(r.action, BootAction::resumed) << r.detail;
  EXPECT_TRUE(dev.runs(new_image));
  EXPECT_TRUE(rollback_copy_is_old());
}

// A byte of the running image that reads wrong on every read (until the power cycles) looks
// exactly like damage: the primary check at boot refuses to start it, and since no verified copy
// exists it stops there, writing nothing. After the power cycle the image reads right again.
TEST_F(BitFlips, PersistentMisreadOfTheRunningImageStopsTheBootWithoutWriting) {
  ASSERT_TRUE(dev.stage(new_image));
  const uint32_t x = 5 * kSectorSize + 77;
  dev.flash.flip_bits_on_read(x, 0x08);
  const uint64_t before = dev.flash.mutating_operations();
  BootReport r = dev.reboot();
  EXPECT_EQ(r.action, BootAction::no_image) << r.detail;
  EXPECT_FALSE(r.bootable);
  EXPECT_NE(std::string(r.detail).find("SHA-256"), std::string::npos) << r.detail;
  EXPECT_EQ(dev.flash.mutating_operations(), before) << "nothing is written while the flash misreads";
  r = dev.power_cycle();
  EXPECT_EQ(r.action, BootAction::booted) << r.detail;
  EXPECT_TRUE(dev.runs(old_image));
  ASSERT_TRUE(dev.stage(new_image));
  r = dev.reboot();
  EXPECT_EQ(r.action, BootAction::upgraded) << r.detail;
  EXPECT_TRUE(dev.runs(new_image));
  EXPECT_TRUE(rollback_copy_is_old());
}

struct CopyFlip : BitFlips {
  std::vector<uint8_t> staged;
  uint8_t staged_rtc[kRtcUserMemorySize];
  const uint32_t offset = 3 * kSectorSize + 9;  // where the copy into the primary slot goes wrong

  void SetUp() override {
    BitFlips::SetUp();
    ASSERT_TRUE(dev.stage(new_image));
    staged = dev.flash.bytes();
    std::memcpy(staged_rtc, dev.rtc.bytes(), kRtcUserMemorySize);
  }
  void restore() {
    dev.flash.clear_faults();
    dev.flash.bytes() = staged;
    std::memcpy(dev.rtc.bytes(), staged_rtc, kRtcUserMemorySize);
  }
};

// Regression (issue 10): a misread of a sector being copied went into the new image, which then
// failed its final check and was swapped straight back. The copy now checks its source against
// the sector table first and reads it again.
TEST_F(CopyFlip, MisreadOfASectorBeingCopiedIsCaughtByItsDigestAndReadAgain) {
  FlipOnSectorCopy flaky(dev.flash, staging + offset);
  BootLoader boot(flaky, dev.layout, dev.rtc, dev.options);
  BootReport r = boot.boot();
  ASSERT_TRUE(flaky.fired());
  EXPECT_EQ(r.action, BootAction::upgraded) << r.detail;
  r = dev.reboot();
  EXPECT_EQ(r.action, BootAction::booted) << r.detail;
  EXPECT_TRUE(dev.runs(new_image));
  EXPECT_TRUE(rollback_copy_is_old());
  EXPECT_EQ(dev.boot->state().updates, 1u);
}

// Regression: a damaged swap was journaled as done (trial) before the swap back began, so a
// power cut between the two left the damaged image running on trial. With the misread now
// caught at the copy, every cut must still end on a whole image.
TEST_F(CopyFlip, PowerCutAtEveryOperationNeverLeavesADamagedImageRunning) {
  uint64_t total = 0, verify_at = 0;
  {
    FlipOnSectorCopy flaky(dev.flash, staging + offset);
    BootLoader boot(flaky, dev.layout, dev.rtc, dev.options);
    uint64_t before = dev.flash.mutating_operations();
    ASSERT_EQ(boot.boot().action, BootAction::upgraded);
    total = dev.flash.mutating_operations() - before;
    ASSERT_GT(flaky.verify_at(), before);
    verify_at = flaky.verify_at() - before;
  }
  // Every operation around the verification and the start of the swap back; every 7th elsewhere
  // (the swaps themselves are covered operation by operation in power_cut_test).
  auto next = [&](uint64_t k) { return k + 8 >= verify_at && k < verify_at + 40 ? k + 1 : k + 7; };
  uint32_t cases = 0;
  for (uint64_t k = 0; k < total; k = next(k)) {
    for (bool keep_rtc : {true, false}) {
      restore();
      FlipOnSectorCopy flaky(dev.flash, staging + offset);
      BootLoader boot(flaky, dev.layout, dev.rtc, dev.options);
      dev.flash.cut_power_at(k, posix::TornMode::clean);
      boot.boot();
      ASSERT_TRUE(dev.flash.power_lost());
      BootReport r = keep_rtc ? (dev.flash.clear_faults(), dev.reboot()) : dev.power_cycle();
      for (int boots = 0; boots < 8 && r.bootable; ++boots) {
        ASSERT_TRUE(whole()) << "cut at " << k << (keep_rtc ? " (reset)" : " (power cycle)") << ": "
                             << describe(r.action) << " " << r.detail;
        r = dev.reboot();
      }
      ASSERT_TRUE(r.bootable) << "cut at " << k << ": " << describe(r.action) << " " << r.detail;
      ++cases;
    }
  }
  std::printf("[ bit-flip ] damaged copy: %llu operations, %u cuts\n", (unsigned long long)total, cases);
}

}  // namespace
}  // namespace otakit
