// Gzip images: staged compressed, inflated by the boot path (zlib here), size checked first.
#include <gtest/gtest.h>
#include <zlib.h>

#include "core/boot/placement.h"
#include "platform/posix/zlib_inflater.h"
#include "tests/core/device_fixture.h"

namespace otakit {
namespace {

using testing::Device;
using testing::make_image;

std::vector<uint8_t> gzip(const std::vector<uint8_t>& data) {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::vector<uint8_t> out(deflateBound(&z, uLong(data.size())) + 64);
  z.next_in = const_cast<Bytef*>(data.data());
  z.avail_in = uInt(data.size());
  z.next_out = out.data();
  z.avail_out = uInt(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// A compressible image: random header, then long runs (as code and 0xFF padding compress).
std::vector<uint8_t> compressible_image(uint32_t size, uint32_t seed) {
  auto image = make_image(size, seed);
  for (uint32_t i = 8192; i < size; ++i) image[i] = uint8_t((i / 512) * seed);
  return image;
}

struct GzipBootTest : ::testing::Test {
  posix::ZlibInflater inflater;
  Device dev;
  std::vector<uint8_t> running = make_image(120000, 1);
  void SetUp() override {
    dev.options.inflater = &inflater;
    ASSERT_TRUE(dev.boot->provision(running.data(), uint32_t(running.size()), 0));
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

TEST_F(GzipBootTest, GzipThatInflatesBeyondTheSpaceIsRefusedAtEnd) {
  auto image = compressible_image(500000, 4);
  auto packed = gzip(image);
  EXPECT_FALSE(dev.stage(packed));
  EXPECT_EQ(dev.updater->error(), UpdateError::gzip_too_large) << dev.updater->error_message();
  EXPECT_TRUE(dev.runs(running));
}

TEST_F(GzipBootTest, CorruptGzipIsRefusedByTheBootPathAndTheOldImageRuns) {
  auto image = compressible_image(200000, 5);
  auto packed = gzip(image);
  packed[packed.size() / 2] ^= 0xFF;
  ASSERT_TRUE(dev.stage(packed)) << dev.updater->error_message();
  BootReport r = dev.reboot();
  EXPECT_EQ(r.action, BootAction::command_rejected);
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
  ASSERT_TRUE(dev.stage(signed_gz)) << dev.updater->error_message();
  BootReport r = dev.reboot();
  EXPECT_EQ(r.action, BootAction::command_rejected) << r.detail;
  EXPECT_TRUE(dev.runs(running));
}

// Regression: the inflated image was hashed by reading it back from flash, so a misread there
// became the reference and a damaged copy passed the post-swap check.
TEST_F(GzipBootTest, MisreadOfTheInflatedImageNeverEndsOnADamagedImage) {
  auto image = compressible_image(200000, 7);
  auto packed = gzip(image);
  ASSERT_TRUE(dev.stage(packed)) << dev.updater->error_message();
  uint32_t staged = dev.updater->staged_address(), inflated_at = 0;
  ASSERT_TRUE(place_inflated(staged, uint32_t(running.size()), uint32_t(image.size()), &inflated_at));
  dev.flash.flip_bits_on_read(inflated_at + 150001, 0x02);
  BootReport r = dev.reboot();
  EXPECT_EQ(r.action, BootAction::flash_error) << "the copy of the misread sector does not read back";
  r = dev.power_cycle();
  ASSERT_TRUE(r.bootable) << describe(r.action) << " " << r.detail;
  EXPECT_TRUE(dev.runs(running)) << "the damaged copy must be swapped back: " << describe(r.action) << " " << r.detail;
  EXPECT_EQ(dev.boot->state().updates, 0u);
}

}  // namespace
}  // namespace otakit
