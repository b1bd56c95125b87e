// The OTA API as a firmware author meets it (core/ota/ota.h): the whole flow, and the failures
// its header promises, on an in-memory flash with the boot loader run between "reboots".
#include "core/ota/ota.h"

#include <gtest/gtest.h>

#include "core/boot/loader.h"
#include "tests/core/device_fixture.h"

namespace otakit {
namespace {

using testing::make_image;

struct OtaFlow : ::testing::Test {
  const FlashLayout& layout = *find_layout("1M");
  posix::MemoryFlash flash{layout.flash_size};
  VolatileRtcMemory rtc;
  std::vector<uint8_t> factory = make_image(100000, 1), next = make_image(150001, 2);

  void SetUp() override { ASSERT_TRUE(BootLoader(flash, layout, rtc).provision(factory.data(), uint32_t(factory.size()))); }

  // A reset: the loader decides, then the application starts and reads the state it left.
  BootReport reboot(Ota& ota) {
    BootReport report = BootLoader(flash, layout, rtc).boot();
    EXPECT_TRUE(ota.start());
    return report;
  }
  bool send(Ota& ota, const std::vector<uint8_t>& image) {
    if (!ota.begin(uint32_t(image.size()))) return false;
    for (size_t at = 0; at < image.size(); at += 1000) {
      uint32_t n = uint32_t(std::min<size_t>(1000, image.size() - at));
      if (ota.write(image.data() + at, n) != n) return false;
    }
    return ota.end();
  }
  bool primary_holds(const std::vector<uint8_t>& image) {
    return std::memcmp(flash.bytes().data(), image.data(), image.size()) == 0;
  }
};

TEST_F(OtaFlow, BeginWriteEndRebootTrialMarkValid) {
  Ota ota(flash, layout, rtc);
  EXPECT_EQ(reboot(ota).action, BootAction::booted);
  EXPECT_FALSE(ota.mark_valid()) << "nothing is on trial";
  ASSERT_TRUE(send(ota, next)) << ota.error_message();
  EXPECT_TRUE(primary_holds(factory)) << "the running image is untouched before the reboot";

  Ota after(flash, layout, rtc);
  EXPECT_EQ(reboot(after).action, BootAction::upgraded);
  EXPECT_TRUE(after.on_trial());
  EXPECT_FALSE(after.begin(1000));
  EXPECT_EQ(after.error(), UpdateError::trial_pending);
  ASSERT_TRUE(after.mark_valid());
  EXPECT_FALSE(after.on_trial());

  Ota settled(flash, layout, rtc);
  EXPECT_EQ(reboot(settled).action, BootAction::booted);
  EXPECT_TRUE(primary_holds(next));
}

TEST_F(OtaFlow, RollBackRestoresThePreviousImageAtTheNextBoot) {
  Ota ota(flash, layout, rtc);
  reboot(ota);
  ASSERT_TRUE(send(ota, next)) << ota.error_message();
  Ota trial(flash, layout, rtc);
  ASSERT_EQ(reboot(trial).action, BootAction::upgraded);
  ASSERT_TRUE(trial.roll_back());
  Ota back(flash, layout, rtc);
  EXPECT_EQ(reboot(back).action, BootAction::rolled_back);
  EXPECT_TRUE(primary_holds(factory));
  EXPECT_FALSE(back.roll_back()) << "nothing is on trial any more";
}

TEST_F(OtaFlow, AbortAndAFailedEndStageNothing) {
  Ota ota(flash, layout, rtc);
  reboot(ota);
  ASSERT_TRUE(ota.begin(uint32_t(next.size())));
  ASSERT_EQ(ota.write(next.data(), 4096), 4096u);
  ota.abort();
  EXPECT_EQ(ota.error(), UpdateError::aborted);
  ASSERT_TRUE(ota.begin(uint32_t(next.size())));
  ASSERT_TRUE(ota.set_md5("00000000000000000000000000000000"));
  ASSERT_EQ(ota.write(next.data(), uint32_t(next.size())), next.size());
  EXPECT_FALSE(ota.end());
  EXPECT_EQ(ota.error(), UpdateError::md5);
  EXPECT_EQ(BootLoader(flash, layout, rtc).boot().action, BootAction::booted) << "no boot command was set";
  EXPECT_TRUE(primary_holds(factory));
}

// A flash whose every read fails, as a broken chip's would.
struct UnreadableFlash : Flash {
  uint32_t size() const override { return 1 << 20; }
  FlashStatus read(uint32_t, void*, uint32_t) override { return FlashStatus::io_error; }
  FlashStatus erase_sector(uint32_t) override { return FlashStatus::io_error; }
  FlashStatus write(uint32_t, const void*, uint32_t) override { return FlashStatus::io_error; }
};

TEST_F(OtaFlow, UnreadableJournalMeansNoUpdateCanBegin) {
  UnreadableFlash broken;
  Ota ota(broken, layout, rtc);
  EXPECT_FALSE(ota.start());
  EXPECT_FALSE(ota.begin(1000));
  EXPECT_FALSE(ota.mark_valid());
}

}  // namespace
}  // namespace otakit
