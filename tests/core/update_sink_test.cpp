// UpdaterSink, through which every protocol feeds the Updater: each call reaches the real Updater,
// and a begin that fails on the MD5 string still says why after the abort that follows it.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/crypto/digest.h"
#include "core/updater/update_sink.h"
#include "tests/core/device_fixture.h"

namespace otakit {
namespace {

using testing::Device;
using testing::make_image;

struct UpdaterSinkTest : ::testing::Test {
  Device dev;
  std::vector<uint8_t> running = make_image(150000, 1);
  std::vector<uint8_t> image = make_image(4096, 7);
  void SetUp() override {
    ASSERT_TRUE(dev.provision(running));
    dev.reboot();
  }
  std::string image_md5() const {
    char hex[crypto::kMd5HexSize];
    crypto::md5_hex(image.data(), image.size(), hex);
    return hex;
  }
  void write_image(UpdaterSink& sink) {
    for (size_t at = 0; at < image.size(); at += 1460) {
      uint32_t n = uint32_t(std::min<size_t>(1460, image.size() - at));
      ASSERT_EQ(sink.write(image.data() + at, n), n) << sink.error_message();
    }
  }
};

TEST_F(UpdaterSinkTest, BadMd5StringKeepsSetMd5sReasonAndLeavesNothingRunning) {
  UpdaterSink sink(*dev.updater);
  EXPECT_FALSE(sink.begin(4096, UpdateCommand::flash, "zz01546d8044c9e517147aa7a6e6b8f5"));
  EXPECT_STREQ(sink.error_message(), "ERROR[19]: MD5 must be 32 hex digits");
  EXPECT_FALSE(dev.updater->is_running());
  EXPECT_EQ(dev.updater->error(), UpdateError::aborted) << "the Updater's own text is the abort's by now";

  ASSERT_TRUE(sink.begin(4096, UpdateCommand::flash, image_md5().c_str()));
  EXPECT_STREQ(sink.error_message(), dev.updater->error_message()) << "a new begin forgets the old reason";
  sink.abort();
}

TEST_F(UpdaterSinkTest, BeginFailureIsTheUpdatersOwn) {
  UpdaterSink sink(*dev.updater);
  EXPECT_FALSE(sink.begin(600000, UpdateCommand::flash, image_md5().c_str()));
  EXPECT_EQ(std::string(sink.error_message()).rfind("ERROR[4]: Not Enough Space", 0), 0u) << sink.error_message();
}

TEST_F(UpdaterSinkTest, WriteAndEndStageTheImage) {
  UpdaterSink sink(*dev.updater);
  ASSERT_TRUE(sink.begin(4096, UpdateCommand::flash, image_md5().c_str()));
  write_image(sink);
  ASSERT_TRUE(sink.end()) << sink.error_message();
  EXPECT_EQ(dev.updater->md5_hex(), image_md5());
  dev.reboot();
  EXPECT_TRUE(dev.runs(image));
}

TEST_F(UpdaterSinkTest, TheMd5GivenToBeginIsChecked) {
  UpdaterSink sink(*dev.updater);
  ASSERT_TRUE(sink.begin(4096, UpdateCommand::flash, "00000000000000000000000000000000"));
  write_image(sink);
  EXPECT_FALSE(sink.end());
  EXPECT_EQ(std::string(sink.error_message()).rfind("ERROR[7]: MD5 verification failed", 0), 0u)
      << sink.error_message();
}

TEST_F(UpdaterSinkTest, NoMd5MeansNoMd5Check) {
  UpdaterSink sink(*dev.updater);
  ASSERT_TRUE(sink.begin(4096, UpdateCommand::flash, nullptr));
  write_image(sink);
  EXPECT_TRUE(sink.end()) << sink.error_message();
  dev.reboot();
  EXPECT_TRUE(dev.runs(image));
}

TEST_F(UpdaterSinkTest, AbortDropsTheUpdateAndKeepsTheRunningImage) {
  UpdaterSink sink(*dev.updater);
  ASSERT_TRUE(sink.begin(4096, UpdateCommand::flash, image_md5().c_str()));
  ASSERT_EQ(sink.write(image.data(), 1000), 1000u);
  sink.abort();
  EXPECT_FALSE(dev.updater->is_running());
  EXPECT_STREQ(sink.error_message(), "ERROR[22]: Update aborted");
  dev.reboot();
  EXPECT_TRUE(dev.runs(running));
}

}  // namespace
}  // namespace otakit
