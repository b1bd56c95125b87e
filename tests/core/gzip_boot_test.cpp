// Gzip images: the Updater inflates an upload at end(), checks the image inside by the same rule
// as any other and stages it inflated, so a corrupt gzip never gets an OK; the boot path still
// inflates eboot commands that name a gzip (as the original's do), checking them the same way.
#include <gtest/gtest.h>

#include "core/boot/boot_command.h"
#include "core/boot/placement.h"
#include "core/util/bytes.h"
#include "platform/posix/zlib_inflater.h"
#include "tests/core/device_fixture.h"
#include "tests/core/gzip_helper.h"

namespace otakit {
namespace {

using testing::Device;
using testing::gzip;
using testing::make_image;

std::vector<uint8_t> compressible_image(uint32_t size, uint32_t seed) { return make_image(size, seed, 0, 0, true); }

struct GzipBootTest : ::testing::Test {
  posix::ZlibInflater inflater;
  Device dev;
  std::vector<uint8_t> running = make_image(120000, 1);
  void SetUp() override {
    dev.options.inflater = &inflater;
    ASSERT_TRUE(dev.provision(running));
    dev.reboot();
  }
};

TEST_F(GzipBootTest, GzipImageIsInflatedDuringTheBootAndRuns) {
  auto image = compressible_image(300001, 3);
  auto packed = gzip(image);
  ASSERT_LT(packed.size(), image.size() / 2);
  ASSERT_TRUE(dev.stage(packed)) << dev.updater->error_message();
  BootReport r = dev.reboot();
  EXPECT_EQ(r.action, BootAction::upgraded) << r.detail;
  EXPECT_TRUE(dev.runs(image));
  ASSERT_TRUE(dev.boot->confirm());
}

// An upload whose size shows only at its end (a chunked pull, a multipart file) begins with the
// free space as its size; the gzip is then moved up to where its real size belongs, so there is
// room below it to inflate, as with a known size (found by the pull e2e test, issue 12).
TEST_F(GzipBootTest, GzipOfUnknownSizeEndedAtReceivedInflatesAndBoots) {
  auto image = compressible_image(300001, 3);
  auto packed = gzip(image);
  Updater& updater = *dev.updater;
  const uint32_t bound = staging_capacity(dev.layout, uint32_t(running.size()));
  ASSERT_TRUE(updater.begin(bound));
  ASSERT_EQ(updater.write(packed.data(), uint32_t(packed.size())), packed.size());
  ASSERT_TRUE(updater.end(true)) << updater.error_message();
  BootReport r = dev.reboot();
  EXPECT_EQ(r.action, BootAction::upgraded) << r.detail;
  EXPECT_TRUE(dev.runs(image));
}

TEST_F(GzipBootTest, GzipThatInflatesBeyondTheSpaceIsRefusedAtEnd) {
  auto image = compressible_image(500000, 4);
  auto packed = gzip(image);
  EXPECT_FALSE(dev.stage(packed));
  EXPECT_EQ(dev.updater->error(), UpdateError::gzip_too_large) << dev.updater->error_message();
  EXPECT_TRUE(dev.runs(running));
}

// Regression (issue 10): a gzip corrupted in the middle, or with a false ISIZE, got an OK from the
// Updater and only the boot path refused it.
TEST_F(GzipBootTest, CorruptGzipIsRefusedByTheUpdaterBeforeItSaysOk) {
  auto image = compressible_image(200000, 5);
  auto packed = gzip(image);
  packed[packed.size() / 2] ^= 0xFF;
  EXPECT_FALSE(dev.stage(packed));
  EXPECT_EQ(dev.updater->error(), UpdateError::bad_image) << dev.updater->error_message();
  EXPECT_NE(std::string(dev.updater->error_message()).find("gzip"), std::string::npos) << dev.updater->error_message();
  EbootCommand cmd;
  EXPECT_NE(read_eboot_command(dev.rtc, &cmd), CommandStatus::valid);
  EXPECT_TRUE(dev.runs(running));
}

TEST_F(GzipBootTest, GzipWithAFalseSizeTrailerIsRefusedByTheUpdater) {
  auto image = compressible_image(200000, 8);
  for (uint32_t isize : {199999u, 200001u, 100u}) {
    auto packed = gzip(image);
    store_le32(packed.data() + packed.size() - 4, isize);
    EXPECT_FALSE(dev.stage(packed)) << isize;
    EXPECT_EQ(dev.updater->error(), UpdateError::bad_image) << isize << ": " << dev.updater->error_message();
  }
  EXPECT_TRUE(dev.runs(running));
}

TEST_F(GzipBootTest, GzipHoldingNoImageIsRefusedByTheUpdater) {
  std::vector<uint8_t> junk(100000, 0x11);
  junk[0] = 0xE9;
  EXPECT_FALSE(dev.stage(gzip(junk)));
  EXPECT_EQ(dev.updater->error(), UpdateError::bad_image) << dev.updater->error_message();
}

// An eboot command that names a gzip (how the original stages one) is inflated and checked by
// the boot path with the same rule.
TEST_F(GzipBootTest, CorruptGzipNamedByABootCommandIsRefusedByTheBootPath) {
  auto packed = gzip(compressible_image(200000, 5));
  packed[packed.size() / 2] ^= 0xFF;
  uint32_t at = 0;
  ASSERT_TRUE(place_staging(dev.layout, uint32_t(running.size()), uint32_t(packed.size()), &at));
  packed.resize(round_up_4k(uint32_t(packed.size())), 0xFF);
  for (uint32_t off = 0; off < packed.size(); off += kSectorSize) {
    ASSERT_EQ(dev.flash.erase_sector((at + off) / kSectorSize), FlashStatus::ok);
    ASSERT_EQ(dev.flash.write(at + off, packed.data() + off, kSectorSize), FlashStatus::ok);
  }
  ASSERT_TRUE(dev.boot->stage(at, uint32_t(gzip(compressible_image(200000, 5)).size())));
  BootReport r = dev.reboot();
  EXPECT_EQ(r.action, BootAction::command_rejected) << r.detail;
  EXPECT_NE(std::string(r.detail).find("gzip"), std::string::npos) << r.detail;
  EXPECT_TRUE(dev.runs(running));
}

TEST_F(GzipBootTest, SignedGzipOnAKeylessDeviceIsRefusedInsteadOfBricking) {
  auto image = compressible_image(200000, 6);
  auto packed = gzip(image);
  std::vector<uint8_t> signed_gz = packed;
  signed_gz.insert(signed_gz.end(), 256, 0x42);  // a signature, as signing.py appends it
  const uint8_t length[4] = {0x00, 0x01, 0x00, 0x00};
  signed_gz.insert(signed_gz.end(), length, length + 4);
  EXPECT_FALSE(dev.stage(signed_gz));
  EXPECT_EQ(dev.updater->error(), UpdateError::bad_image) << dev.updater->error_message();
  EXPECT_TRUE(dev.runs(running));
}

// Regression: the inflated image was hashed by reading it back from flash, so a misread there
// became the reference and a damaged copy passed the post-swap check. The hash is taken as the
// inflater produces the bytes; a misread of the staged image is then a mismatch at boot.
TEST_F(GzipBootTest, MisreadOfTheInflatedImageNeverEndsOnADamagedImage) {
  auto image = compressible_image(200000, 7);
  auto packed = gzip(image);
  ASSERT_TRUE(dev.stage(packed)) << dev.updater->error_message();
  dev.flash.flip_bits_on_read(dev.updater->staged_address() + 150001, 0x02);
  BootReport r = dev.reboot();
  EXPECT_EQ(r.action, BootAction::command_rejected) << r.detail;
  EXPECT_NE(std::string(r.detail).find("SHA-256"), std::string::npos) << r.detail;
  r = dev.power_cycle();
  ASSERT_TRUE(r.bootable) << describe(r.action) << " " << r.detail;
  EXPECT_TRUE(dev.runs(running));
  EXPECT_EQ(dev.boot->state().updates, 0u);
}

}  // namespace
}  // namespace otakit
