// The boot path: upgrade by swap, trial and confirm, rollback, and bad commands or journals.
#include <gtest/gtest.h>

#include "core/boot/boot_command.h"
#include "tests/core/device_fixture.h"

namespace otakit {
namespace {

using testing::Device;
using testing::make_image;

struct BootTest : ::testing::Test {
  Device dev;
  std::vector<uint8_t> old_image = make_image(200000, 1);
  std::vector<uint8_t> new_image = make_image(250001, 2);

  void SetUp() override {
    ASSERT_TRUE(dev.provision(old_image));
    ASSERT_EQ(dev.reboot().action, BootAction::booted);
    ASSERT_TRUE(dev.runs(old_image));
  }
};

TEST_F(BootTest, StagedImageIsSwappedInOnTrialAndConfirmed) {
  ASSERT_TRUE(dev.stage(new_image)) << dev.updater->error_message();
  EXPECT_TRUE(dev.runs(old_image)) << "staging must not touch the running image";
  BootReport r = dev.reboot();
  EXPECT_EQ(r.action, BootAction::upgraded) << r.detail;
  EXPECT_TRUE(dev.runs(new_image));
  EXPECT_TRUE(dev.boot->on_trial());
  ASSERT_TRUE(dev.boot->confirm());
  EXPECT_EQ(dev.reboot().action, BootAction::booted);
  EXPECT_TRUE(dev.runs(new_image));
  EXPECT_FALSE(dev.boot->on_trial());
  EXPECT_EQ(dev.boot->state().updates, 1u);
}

TEST_F(BootTest, UnconfirmedImageIsRolledBackAfterMaxTrialBoots) {
  ASSERT_TRUE(dev.stage(new_image));
  ASSERT_EQ(dev.reboot().action, BootAction::upgraded);
  for (uint32_t i = 1; i < dev.options.max_trial_boots; ++i) {
    EXPECT_EQ(dev.reboot().action, BootAction::booted);
    EXPECT_TRUE(dev.runs(new_image));
  }
  BootReport r = dev.reboot();
  EXPECT_EQ(r.action, BootAction::rolled_back) << r.detail;
  EXPECT_TRUE(dev.runs(old_image));
  EXPECT_FALSE(dev.boot->on_trial());
  EXPECT_EQ(dev.boot->state().rollbacks, 1u);
  EXPECT_EQ(dev.reboot().action, BootAction::booted);
  EXPECT_TRUE(dev.runs(old_image));
}

TEST_F(BootTest, UpdaterRefusesANewImageWhileOnTrial) {
  ASSERT_TRUE(dev.stage(new_image));
  dev.reboot();
  EXPECT_FALSE(dev.updater->begin(4096));
  EXPECT_EQ(dev.updater->error(), UpdateError::trial_pending);
}

TEST_F(BootTest, PowerLossAfterStagingLosesTheCommandNotTheImage) {
  ASSERT_TRUE(dev.stage(new_image));
  BootReport r = dev.power_cycle();
  EXPECT_EQ(r.action, BootAction::booted);
  EXPECT_TRUE(dev.runs(old_image));
}

TEST_F(BootTest, CorruptCommandBlockIsIgnored) {
  ASSERT_TRUE(dev.stage(new_image));
  uint8_t byte;
  dev.rtc.read(8, &byte, 1);
  byte ^= 0x01;
  dev.rtc.write(8, &byte, 1);
  BootReport r = dev.reboot();
  EXPECT_EQ(r.command, CommandStatus::bad_crc);
  EXPECT_EQ(r.action, BootAction::booted);
  EXPECT_TRUE(dev.runs(old_image));
}

TEST_F(BootTest, CommandPointingOutsideTheOtaAreaIsRejected) {
  EbootCommand cmd;
  cmd.action = EbootAction::copy_raw;
  cmd.args[0] = 0x1000;  // inside the running image
  cmd.args[2] = 4096;
  cmd.args[3] = 7;
  ASSERT_TRUE(write_eboot_command(dev.rtc, cmd));
  BootReport r = dev.reboot();
  EXPECT_EQ(r.action, BootAction::command_rejected);
  EXPECT_NE(std::string(r.detail).find("outside the OTA area"), std::string::npos) << r.detail;
  EXPECT_TRUE(dev.runs(old_image));
  EXPECT_EQ(read_eboot_command(dev.rtc, &cmd), CommandStatus::absent_or_bad_magic) << "command must be cleared";
}

TEST_F(BootTest, CommandAlreadyCarriedOutIsNotRepeated) {
  ASSERT_TRUE(dev.stage(new_image));
  EbootCommand cmd;
  ASSERT_EQ(read_eboot_command(dev.rtc, &cmd), CommandStatus::valid);
  ASSERT_EQ(dev.reboot().action, BootAction::upgraded);
  ASSERT_TRUE(dev.boot->confirm());
  ASSERT_TRUE(write_eboot_command(dev.rtc, cmd));  // a reset replays the old block
  EXPECT_EQ(dev.reboot().action, BootAction::booted);
  EXPECT_TRUE(dev.runs(new_image));
}

TEST_F(BootTest, DestroyedJournalAdoptsThePrimaryImage) {
  for (int i = 0; i < 2; ++i) dev.flash.erase_sector(dev.layout.journal_address(i) / kSectorSize);
  BootReport r = dev.reboot();
  EXPECT_EQ(r.journal, JournalStatus::empty);
  EXPECT_TRUE(r.bootable) << r.detail;
  EXPECT_EQ(0, std::memcmp(dev.flash.bytes().data(), old_image.data(), old_image.size()));
}

TEST_F(BootTest, GarbageAfterTheLastRecordIsRepaired) {
  const BootState before = dev.boot->state();
  // Find the live journal's first free byte and scribble a half-written record there.
  for (int i = 0; i < 2; ++i) {
    uint8_t* sector = dev.flash.bytes().data() + dev.layout.journal_address(i);
    if (sector[0] == 0xFF) continue;
    uint32_t at = Journal::kRecordsEnd;  // the header's second copy follows
    while (at > Journal::kRecordsStart && sector[at - 1] == 0xFF) --at;
    at = (at + 3) & ~3u;
    sector[at] = 0x05;
    sector[at + 1] = 0x00;
  }
  BootReport r = dev.reboot();
  EXPECT_EQ(r.journal, JournalStatus::repaired);
  EXPECT_TRUE(dev.runs(old_image));
  EXPECT_EQ(dev.boot->state().active.size, before.active.size);
  EXPECT_EQ(dev.reboot().journal, JournalStatus::ok);
}

TEST(BootAntiRollback, LowerSecurityVersionIsRefused) {
  Device dev;
  auto factory = make_image(100000, 10, 2);
  ASSERT_TRUE(dev.provision(factory));
  dev.reboot();
  EXPECT_FALSE(dev.stage(make_image(100000, 11, 1)));
  EXPECT_EQ(dev.updater->error(), UpdateError::downgrade);
  EXPECT_NE(std::string(dev.updater->error_message()).find("requires at least 2"), std::string::npos)
      << dev.updater->error_message();
  auto newer = make_image(120000, 12, 3);
  ASSERT_TRUE(dev.stage(newer)) << dev.updater->error_message();
  ASSERT_EQ(dev.reboot().action, BootAction::upgraded);
  ASSERT_TRUE(dev.boot->confirm());
  EXPECT_EQ(dev.boot->state().min_security_version, 3u);
}

TEST(BootJournal, ManyUpdatesForceCompactionsAndStateSurvives) {
  Device dev;
  auto current = make_image(60000, 100);
  ASSERT_TRUE(dev.provision(current));
  dev.reboot();
  for (uint32_t i = 0; i < 6; ++i) {
    auto next = make_image(60000 + 4096 * i, 200 + i);
    ASSERT_TRUE(dev.stage(next)) << dev.updater->error_message();
    ASSERT_EQ(dev.reboot().action, BootAction::upgraded);
    ASSERT_TRUE(dev.boot->confirm());
    ASSERT_TRUE(dev.runs(next));
  }
  EXPECT_EQ(dev.boot->state().updates, 6u);
  dev.reboot();
  EXPECT_EQ(dev.boot->state().updates, 6u);
}

TEST(BootCommandBlock, EncodingMatchesTheEbootLayout) {
  EbootCommand cmd;
  cmd.action = EbootAction::copy_raw;
  cmd.args[0] = 0x80000;
  cmd.args[2] = 300001;
  uint8_t block[kEbootCommandSize];
  encode_eboot_command(cmd, block);
  EXPECT_EQ(block[0], 0x00);
  EXPECT_EQ(block[1], 0x10);
  EXPECT_EQ(block[2], 0x00);
  EXPECT_EQ(block[3], 0xEB);
  EXPECT_EQ(block[4], 0x01);
  EbootCommand back;
  ASSERT_EQ(decode_eboot_command(block, &back), CommandStatus::valid);
  EXPECT_EQ(back.args[0], 0x80000u);
  EXPECT_EQ(back.args[2], 300001u);
  block[124] ^= 1;
  EXPECT_EQ(decode_eboot_command(block, &back), CommandStatus::bad_crc);
  block[3] = 0;
  EXPECT_EQ(decode_eboot_command(block, &back), CommandStatus::absent_or_bad_magic);
}

}  // namespace
}  // namespace otakit
