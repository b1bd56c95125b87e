// Hostile, corrupt or stale eboot commands and a lost journal: each must leave the running image
// intact and the device bootable, and a later honest update must still work.
#include <gtest/gtest.h>

#include "core/boot/boot_command.h"
#include "core/boot/placement.h"
#include "tests/core/device_fixture.h"

namespace otakit {
namespace {

using testing::Device;
using testing::make_image;

EbootCommand copy_command(uint32_t src, uint32_t size, uint32_t id, uint32_t dst = 0) {
  EbootCommand cmd;
  cmd.action = EbootAction::copy_raw;
  cmd.args[0] = src;
  cmd.args[1] = dst;
  cmd.args[2] = size;
  cmd.args[3] = id;
  return cmd;
}

struct BootHardening : ::testing::Test {
  explicit BootHardening(const char* layout = "1M") : dev(layout) {}
  Device dev;
  std::vector<uint8_t> old_image = make_image(200000, 1);
  std::vector<uint8_t> new_image = make_image(250001, 2);

  void SetUp() override {
    ASSERT_TRUE(dev.provision(old_image));
    ASSERT_EQ(dev.reboot().action, BootAction::booted);
  }

  // The command is refused, cleared, the old image runs, the journal is sound, and an honest
  // update afterwards goes through.
  void expect_refused_and_harmless(const EbootCommand& cmd, const char* what) {
    SCOPED_TRACE(what);
    ASSERT_TRUE(write_eboot_command(dev.rtc, cmd));
    BootReport r = dev.reboot();
    EXPECT_EQ(r.action, BootAction::command_rejected) << r.detail;
    EXPECT_TRUE(r.bootable);
    EXPECT_GT(std::strlen(r.detail), 0u) << "a refusal says why";
    EXPECT_TRUE(dev.runs(old_image));
    EbootCommand left;
    EXPECT_EQ(read_eboot_command(dev.rtc, &left), CommandStatus::absent_or_bad_magic) << "command not cleared";
    BootReport again = dev.reboot();
    EXPECT_EQ(again.journal, JournalStatus::ok);
    EXPECT_EQ(again.action, BootAction::booted);
    EXPECT_TRUE(dev.runs(old_image));
  }
};

// Regression: `size > boot_area_start - src` wrapped around for a source above the boot area,
// so a command could swap the journal, the scratch or the filesystem into the primary slot. The
// resume record sector at the bottom of the boot area is refused the same way.
TEST_F(BootHardening, SourceAtOrAboveTheBootAreaIsRefused) {
  const FlashLayout& l = dev.layout;
  expect_refused_and_harmless(copy_command(l.resume_record_address(), 4096, 49), "resume record sector");
  expect_refused_and_harmless(copy_command(l.scratch_sector_address(), 4096, 50), "scratch sector");
  expect_refused_and_harmless(copy_command(l.journal_address(0), 4096, 51), "journal sector");
  expect_refused_and_harmless(copy_command(l.journal_address(1), 8192, 52), "journal sector, two sectors");
  expect_refused_and_harmless(copy_command(l.flash_size - 4096, 4096, 53), "last sector");
  expect_refused_and_harmless(copy_command(0xFFFFF000u, 4096, 54), "beyond the chip");
  ASSERT_TRUE(dev.stage(new_image)) << dev.updater->error_message();
  EXPECT_EQ(dev.reboot().action, BootAction::upgraded);
  EXPECT_TRUE(dev.runs(new_image));
}

TEST_F(BootHardening, MalformedCopyCommandsAreRefused) {
  uint32_t staging = 0;
  ASSERT_TRUE(place_staging(dev.layout, uint32_t(old_image.size()), uint32_t(new_image.size()), &staging));
  expect_refused_and_harmless(copy_command(staging, 0, 60), "size 0");
  expect_refused_and_harmless(copy_command(staging + 1, 4096, 61), "source off a sector boundary");
  expect_refused_and_harmless(copy_command(staging, 4096, 62, 0x1000), "destination other than 0");
  expect_refused_and_harmless(copy_command(0x2000, 4096, 63), "source inside the running image");
  expect_refused_and_harmless(copy_command(staging, dev.layout.boot_area_start() - staging + 1, 64),
                              "runs into the boot area");
  expect_refused_and_harmless(copy_command(staging, 0xFFFFFFFFu, 65), "size near 2^32");
}

struct BootHardening4M : BootHardening {
  BootHardening4M() : BootHardening("4M1M") {}
};

TEST_F(BootHardening4M, SourceInTheFilesystemIsRefused) {
  expect_refused_and_harmless(copy_command(dev.layout.fs_start, 0x10000, 70), "filesystem");
  expect_refused_and_harmless(copy_command(dev.layout.eeprom_start(), 4096, 71), "EEPROM / RF calibration");
}

// Regression: a gzip-looking source shorter than a gzip header and trailer returned flash_error,
// which left the command in RTC memory and the device unbootable on every reset.
TEST_F(BootHardening, GzipSourceTooShortForItsTrailerIsRefused) {
  const uint32_t src = 0x80000;
  const uint8_t gzip_magic[4] = {0x1f, 0x8b, 0x08, 0x00};
  ASSERT_EQ(dev.flash.erase_sector(src / kSectorSize), FlashStatus::ok);
  ASSERT_EQ(dev.flash.write(src, gzip_magic, sizeof(gzip_magic)), FlashStatus::ok);
  expect_refused_and_harmless(copy_command(src, 10, 80), "gzip of 10 bytes");
}

TEST_F(BootHardening, GzipWithoutAnInflaterIsRefused) {
  const uint32_t src = 0x80000;
  std::vector<uint8_t> fake(4096, 0x00);
  fake[0] = 0x1f;
  fake[1] = 0x8b;
  store_le32(fake.data() + fake.size() - 4, 100000);  // ISIZE
  ASSERT_EQ(dev.flash.erase_sector(src / kSectorSize), FlashStatus::ok);
  ASSERT_EQ(dev.flash.write(src, fake.data(), uint32_t(fake.size())), FlashStatus::ok);
  expect_refused_and_harmless(copy_command(src, uint32_t(fake.size()), 81), "gzip, no inflater");
}

// Regression: a command left in RTC memory after it was carried out (a reset between the swap
// and the clear) was reported as "ignored: on trial" and that boot of the trial image was not
// counted, so the image got one more boot than max_trial_boots allows.
TEST_F(BootHardening, StaleCommandReplayedOnTrialIsRecognisedAndTheBootCounts) {
  ASSERT_TRUE(dev.stage(new_image));
  EbootCommand carried_out;
  ASSERT_EQ(read_eboot_command(dev.rtc, &carried_out), CommandStatus::valid);
  ASSERT_EQ(dev.reboot().action, BootAction::upgraded);
  ASSERT_EQ(dev.boot->state().trial_boots, 1u);
  ASSERT_TRUE(write_eboot_command(dev.rtc, carried_out));
  BootReport r = dev.reboot();
  EXPECT_EQ(r.action, BootAction::booted) << r.detail;
  EXPECT_TRUE(dev.runs(new_image));
  EXPECT_EQ(dev.boot->state().trial_boots, 2u);
  EbootCommand left;
  EXPECT_EQ(read_eboot_command(dev.rtc, &left), CommandStatus::absent_or_bad_magic);
}

TEST_F(BootHardening, EveryBootOfATrialImageCountsWhateverSitsInRtcMemory) {
  ASSERT_TRUE(dev.stage(new_image));
  ASSERT_EQ(dev.reboot().action, BootAction::upgraded);
  EbootCommand load_app;  // LOAD_APP: "just boot"
  load_app.action = EbootAction::load_app;
  for (uint32_t boot = 2; boot <= dev.options.max_trial_boots; ++boot) {
    ASSERT_TRUE(write_eboot_command(dev.rtc, load_app));
    EXPECT_EQ(dev.reboot().action, BootAction::booted);
    EXPECT_EQ(dev.boot->state().trial_boots, boot);
  }
  ASSERT_TRUE(write_eboot_command(dev.rtc, copy_command(0x80000, 4096, 999)));  // a new command
  BootReport r = dev.reboot();
  EXPECT_EQ(r.action, BootAction::rolled_back) << r.detail;
  EXPECT_TRUE(dev.runs(old_image));
}

// Regression: adopting the primary image after the journal was lost reset the anti-rollback
// floor to 0, so a corrupt journal re-opened the door to downgrades.
TEST(BootJournalLoss, AdoptedImageKeepsItsSecurityVersionAsTheFloor) {
  Device dev;
  auto v2 = make_image(100000, 10, 2), v3 = make_image(110000, 11, 3);
  ASSERT_TRUE(dev.provision(v2));
  dev.reboot();
  ASSERT_TRUE(dev.stage(v3)) << dev.updater->error_message();
  ASSERT_EQ(dev.reboot().action, BootAction::upgraded);
  ASSERT_TRUE(dev.boot->confirm());
  for (int i = 0; i < 2; ++i) dev.flash.erase_sector(dev.layout.journal_address(i) / kSectorSize);
  BootReport r = dev.reboot();
  ASSERT_EQ(r.journal, JournalStatus::empty);
  ASSERT_TRUE(r.bootable) << r.detail;
  EXPECT_EQ(0, std::memcmp(dev.flash.bytes().data(), v3.data(), v3.size()));
  EXPECT_EQ(dev.boot->state().min_security_version, 3u);
  EXPECT_FALSE(dev.stage(v2));
  EXPECT_EQ(dev.updater->error(), UpdateError::downgrade);
}

TEST(BootJournalLoss, DamagedLiveHeaderAdoptsThePrimaryAndTheDeviceStillUpdates) {
  Device dev;
  auto factory = make_image(100000, 10), next = make_image(130000, 11);
  ASSERT_TRUE(dev.provision(factory));
  dev.reboot();
  for (int i = 0; i < 2; ++i)  // the header CRC of both copies in both sectors
    for (uint32_t copy : {0u, Journal::kRecordsEnd})
      dev.flash.bytes()[dev.layout.journal_address(i) + copy + 13] ^= 0x20;
  BootReport r = dev.reboot();
  EXPECT_EQ(r.journal, JournalStatus::empty);
  ASSERT_TRUE(r.bootable) << r.detail;
  EXPECT_EQ(0, std::memcmp(dev.flash.bytes().data(), factory.data(), factory.size())) << "adopting writes no image";
  ASSERT_TRUE(dev.stage(next)) << dev.updater->error_message();
  ASSERT_EQ(dev.reboot().action, BootAction::upgraded);
  EXPECT_TRUE(dev.runs(next));
}

TEST_F(BootHardening, ProgrammedBytesAfterTheJournalEndDoNotStopATrialImageFromBooting) {
  ASSERT_TRUE(dev.stage(new_image));
  ASSERT_EQ(dev.reboot().action, BootAction::upgraded);
  for (int i = 0; i < 2; ++i) {
    uint8_t* sector = dev.flash.bytes().data() + dev.layout.journal_address(i);
    if (sector[0] == 0xFF) continue;
    uint32_t end = kSectorSize;
    while (end > 16 && sector[end - 1] == 0xFF) --end;
    sector[((end + 3) & ~3u) + 4] = 0x00;  // past an erased record header
  }
  for (uint32_t boot = 2; boot <= dev.options.max_trial_boots; ++boot) {
    BootReport r = dev.reboot();
    ASSERT_TRUE(r.bootable) << describe(r.action) << " " << r.detail;
    EXPECT_EQ(dev.boot->state().trial_boots, boot);
  }
  EXPECT_EQ(dev.reboot().action, BootAction::rolled_back);
  EXPECT_TRUE(dev.runs(old_image));
}

}  // namespace
}  // namespace otakit
