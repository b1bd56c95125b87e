// Updater::resume(): an update interrupted by a reset continues at its durable offset in a new
// Updater over the same flash, and is refused (resume_mismatch, with why) whenever the staged
// bytes, the offset or the placement do not fit the interrupted update.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string>

#include "core/boot/placement.h"
#include "core/crypto/digest.h"
#include "core/updater/update_sink.h"
#include "platform/posix/zlib_inflater.h"
#include "tests/core/device_fixture.h"
#include "tests/core/gzip_helper.h"

namespace otakit {
namespace {

using testing::Device;
using testing::make_image;

std::string md5_of(const std::vector<uint8_t>& bytes) {
  char hex[crypto::kMd5HexSize];
  crypto::md5_hex(bytes.data(), bytes.size(), hex);
  return hex;
}

std::array<uint8_t, crypto::kSha256Size> sha256_of(const uint8_t* data, size_t len) {
  crypto::Sha256 sha;
  sha.update(data, len);
  std::array<uint8_t, crypto::kSha256Size> out{};
  sha.finish(out.data());
  return out;
}

struct UpdaterResume : ::testing::Test {
  Device dev;
  std::vector<uint8_t> running = make_image(150000, 1);
  std::vector<uint8_t> next = make_image(70001, 2);
  std::array<uint8_t, crypto::kSha256Size> prefix{};

  void SetUp() override {
    ASSERT_TRUE(dev.provision(running));
    dev.reboot();
  }
  std::string message() { return dev.updater->error_message(); }
  // Writes the first `bytes` of `image` in 1460-byte pieces, then the power goes; returns the
  // durable offset the Updater reported just before.
  uint32_t write_then_cut(const std::vector<uint8_t>& image, uint32_t bytes,
                          UpdateCommand command = UpdateCommand::flash) {
    EXPECT_TRUE(dev.updater->begin(uint32_t(image.size()), command)) << message();
    for (uint32_t at = 0; at < bytes; at += 1460) {
      uint32_t n = std::min<uint32_t>(1460, bytes - at);
      EXPECT_EQ(dev.updater->write(image.data() + at, n), n);
    }
    uint32_t durable = dev.updater->durable_offset();
    EXPECT_TRUE(dev.updater->durable_sha256(prefix.data()) || durable == 0);
    dev.power_cycle();
    return durable;
  }
  bool write_rest(const std::vector<uint8_t>& image, uint32_t from) {
    for (uint32_t at = from; at < image.size(); at += 1460) {
      uint32_t n = std::min<uint32_t>(1460, uint32_t(image.size()) - at);
      if (dev.updater->write(image.data() + at, n) != n) return false;
    }
    return true;
  }
  void expect_refused(const char* why_part) {
    EXPECT_EQ(dev.updater->error(), UpdateError::resume_mismatch) << message();
    EXPECT_NE(message().find(why_part), std::string::npos) << message();
    EXPECT_FALSE(dev.updater->is_running());
    dev.reboot();
    EXPECT_TRUE(dev.runs(running));
  }
};

TEST_F(UpdaterResume, TheDurableOffsetIsWholeFlushedSectorsWithTheirSha256) {
  ASSERT_TRUE(dev.updater->begin(uint32_t(next.size())));
  uint8_t digest[crypto::kSha256Size];
  EXPECT_EQ(dev.updater->durable_offset(), 0u);
  EXPECT_FALSE(dev.updater->durable_sha256(digest));
  ASSERT_EQ(dev.updater->write(next.data(), 4095), 4095u);
  EXPECT_EQ(dev.updater->durable_offset(), 0u) << "4095 bytes sit in the buffer, not on flash";
  ASSERT_EQ(dev.updater->write(next.data() + 4095, 5000), 5000u);
  EXPECT_EQ(dev.updater->durable_offset(), 8192u);
  ASSERT_TRUE(dev.updater->durable_sha256(digest));
  EXPECT_EQ(0, std::memcmp(digest, sha256_of(next.data(), 8192).data(), sizeof(digest)));
  ASSERT_TRUE(write_rest(next, 9095));
  EXPECT_EQ(dev.updater->durable_offset(), 69632u) << "the short last sector is never durable";
  ASSERT_TRUE(dev.updater->end());
  EXPECT_EQ(dev.updater->durable_offset(), 0u);
}

TEST_F(UpdaterResume, AnInterruptedUpdateContinuesInANewUpdaterAndBoots) {
  uint32_t durable = write_then_cut(next, 30000);
  ASSERT_EQ(durable, 28672u);
  int starts = 0;
  uint32_t first_progress = UINT32_MAX;
  struct Seen {
    int* starts;
    uint32_t* first_progress;
  } seen{&starts, &first_progress};
  UpdaterHooks hooks;
  hooks.ctx = &seen;
  hooks.on_start = [](void* p) { ++*static_cast<Seen*>(p)->starts; };
  hooks.on_progress = [](void* p, uint32_t done, uint32_t) {
    uint32_t* first = static_cast<Seen*>(p)->first_progress;
    if (*first == UINT32_MAX) *first = done;
  };
  dev.updater->set_hooks(hooks);
  ASSERT_TRUE(dev.updater->resume(uint32_t(next.size()), UpdateCommand::flash, durable, prefix.data())) << message();
  EXPECT_EQ(starts, 1);
  EXPECT_EQ(first_progress, durable);
  EXPECT_EQ(dev.updater->progress(), durable);
  EXPECT_EQ(dev.updater->remaining(), next.size() - durable);
  ASSERT_TRUE(dev.updater->set_md5(md5_of(next).c_str()));
  ASSERT_TRUE(write_rest(next, durable));
  ASSERT_TRUE(dev.updater->end()) << message();
  EXPECT_EQ(dev.updater->md5_hex(), md5_of(next)) << "the MD5 covers the re-read bytes too";
  dev.reboot();
  EXPECT_TRUE(dev.runs(next));
}

TEST_F(UpdaterResume, TheRebuiltMd5StillCatchesAWrongImage) {
  uint32_t durable = write_then_cut(next, 20000);
  ASSERT_TRUE(dev.updater->resume(uint32_t(next.size()), UpdateCommand::flash, durable, prefix.data()));
  std::vector<uint8_t> spliced = next;
  spliced[60000] ^= 0x40;
  ASSERT_TRUE(dev.updater->set_md5(md5_of(next).c_str()));
  ASSERT_TRUE(write_rest(spliced, durable));
  EXPECT_FALSE(dev.updater->end());
  EXPECT_EQ(dev.updater->error(), UpdateError::md5);
  dev.reboot();
  EXPECT_TRUE(dev.runs(running));
}

TEST_F(UpdaterResume, AStagedByteThatChangedIsRefused) {
  uint32_t durable = write_then_cut(next, 20000);
  uint32_t start = 0;
  ASSERT_TRUE(place_staging(dev.layout, uint32_t(running.size()), uint32_t(next.size()), &start));
  dev.flash.bytes()[start + 5000] ^= 0x01;  // bit rot, or another upload's bytes
  EXPECT_FALSE(dev.updater->resume(uint32_t(next.size()), UpdateCommand::flash, durable, prefix.data()));
  expect_refused("SHA-256 of the 16384 bytes staged at");
}

TEST_F(UpdaterResume, AnotherSizeMeansAnotherStagingAddressAndIsRefused) {
  uint32_t durable = write_then_cut(next, 20000);
  // 170001 bytes need a larger swap area than the running image's, so the staging area moves.
  EXPECT_FALSE(dev.updater->resume(170001, UpdateCommand::flash, durable, prefix.data()));
  expect_refused("Cannot resume the interrupted update: ");
}

TEST_F(UpdaterResume, OffsetsThatAreNoWholeSectorsInsideTheImageAreRefused) {
  uint32_t durable = write_then_cut(next, 20000);
  const uint32_t size = uint32_t(next.size());
  for (uint32_t offset : {0u, 4095u, 4097u, 69632u + 4096u, 1u << 20}) {
    EXPECT_FALSE(dev.updater->resume(size, UpdateCommand::flash, offset, prefix.data())) << offset;
    EXPECT_EQ(dev.updater->error(), UpdateError::resume_mismatch) << offset;
    EXPECT_NE(message().find("not a whole number of sectors"), std::string::npos) << message();
  }
  EXPECT_FALSE(dev.updater->resume(size, UpdateCommand::flash, durable, nullptr));
  expect_refused("no SHA-256");
}

TEST_F(UpdaterResume, StagedBytesThatAreNoImageAreRefusedByTheirFirstByte) {
  std::vector<uint8_t> junk(20000, 0x42);
  junk[0] = 0xE9;  // begin's write check passes...
  uint32_t durable = write_then_cut(junk, 20000);
  uint32_t start = 0;
  ASSERT_TRUE(place_staging(dev.layout, uint32_t(running.size()), uint32_t(junk.size()), &start));
  // ...and then the first byte on flash is no longer an image's (a torn first sector).
  dev.flash.bytes()[start] = 0x00;
  auto digest = sha256_of(dev.flash.bytes().data() + start, durable);
  EXPECT_FALSE(dev.updater->resume(uint32_t(junk.size()), UpdateCommand::flash, durable, digest.data()));
  expect_refused("start with 0");
}

TEST_F(UpdaterResume, AnUnreadableStagingAreaIsAReadError) {
  uint32_t durable = write_then_cut(next, 20000);
  dev.flash.cut_power_at(0, posix::TornMode::clean);
  ASSERT_TRUE(dev.flash.erase_sector(0) == FlashStatus::power_lost);  // from now on every read fails
  EXPECT_FALSE(dev.updater->resume(uint32_t(next.size()), UpdateCommand::flash, durable, prefix.data()));
  EXPECT_EQ(dev.updater->error(), UpdateError::read);
  EXPECT_NE(message().find("cannot read the staged bytes"), std::string::npos) << message();
  EXPECT_FALSE(dev.updater->is_running());
  dev.power_cycle();
  EXPECT_TRUE(dev.runs(running));
}

TEST_F(UpdaterResume, BeginsRulesApply) {
  uint32_t durable = write_then_cut(next, 20000);
  ASSERT_TRUE(dev.updater->resume(uint32_t(next.size()), UpdateCommand::flash, durable, prefix.data()));
  EXPECT_FALSE(dev.updater->resume(uint32_t(next.size()), UpdateCommand::flash, durable, prefix.data()));
  EXPECT_EQ(dev.updater->error(), UpdateError::running_already);
  EXPECT_TRUE(dev.updater->is_running()) << "the first resume goes on";
  dev.updater->abort();
  EXPECT_FALSE(dev.updater->resume(600000, UpdateCommand::flash, durable, prefix.data()));
  EXPECT_EQ(dev.updater->error(), UpdateError::space);
  EXPECT_FALSE(dev.updater->resume(uint32_t(next.size()), UpdateCommand(7), durable, prefix.data()));
  EXPECT_EQ(dev.updater->error(), UpdateError::unknown_command);
  // The running image on trial: no sketch update may begin or resume.
  ASSERT_TRUE(dev.stage(make_image(60000, 5)));
  dev.reboot();
  ASSERT_TRUE(dev.boot->on_trial());
  EXPECT_FALSE(dev.updater->resume(uint32_t(next.size()), UpdateCommand::flash, durable, prefix.data()));
  EXPECT_EQ(dev.updater->error(), UpdateError::trial_pending);
}

TEST_F(UpdaterResume, AGzipUploadResumesAndIsInflatedAtTheEnd) {
  posix::ZlibInflater inflater;
  dev.options.inflater = &inflater;
  dev.reboot();
  dev.updater->set_inflater(&inflater);
  std::vector<uint8_t> plain = make_image(200001, 3);
  std::vector<uint8_t> packed = testing::gzip(plain);
  ASSERT_GT(packed.size(), 8192u);
  uint32_t durable = write_then_cut(packed, uint32_t(packed.size()) - 100);
  ASSERT_GT(durable, 0u);
  dev.updater->set_inflater(&inflater);
  ASSERT_TRUE(dev.updater->resume(uint32_t(packed.size()), UpdateCommand::flash, durable, prefix.data())) << message();
  ASSERT_TRUE(write_rest(packed, durable));
  ASSERT_TRUE(dev.updater->end()) << message();
  dev.reboot();
  EXPECT_TRUE(dev.runs(plain));
}

TEST(UpdaterResumeFilesystem, AFilesystemImageResumesInItsRegion) {
  Device dev("1M64");
  auto running = make_image(100000, 1);
  ASSERT_TRUE(dev.provision(running));
  dev.reboot();
  std::vector<uint8_t> fs(30000);
  for (size_t i = 0; i < fs.size(); ++i) fs[i] = uint8_t(i * 7 + 3);
  ASSERT_TRUE(dev.updater->begin(uint32_t(fs.size()), UpdateCommand::filesystem));
  ASSERT_EQ(dev.updater->write(fs.data(), 17000), 17000u);
  uint8_t prefix[crypto::kSha256Size];
  ASSERT_TRUE(dev.updater->durable_sha256(prefix));
  uint32_t durable = dev.updater->durable_offset();
  ASSERT_EQ(durable, 16384u);
  dev.power_cycle();
  EXPECT_FALSE(dev.updater->resume(uint32_t(fs.size()), UpdateCommand::flash, durable, prefix))
      << "a sketch would be placed elsewhere";
  ASSERT_TRUE(dev.updater->resume(uint32_t(fs.size()), UpdateCommand::filesystem, durable, prefix))
      << dev.updater->error_message();
  ASSERT_EQ(dev.updater->write(fs.data() + durable, uint32_t(fs.size()) - durable), fs.size() - durable);
  ASSERT_TRUE(dev.updater->end());
  EXPECT_EQ(0, std::memcmp(dev.flash.bytes().data() + dev.layout.fs_start, fs.data(), fs.size()));
  EXPECT_TRUE(dev.runs(running));
}

TEST(UpdaterSinkResume, ForwardsAndActsOnlyOnTheUpdateItResumed) {
  Device dev;
  auto running = make_image(150000, 1);
  auto next = make_image(50001, 2);
  ASSERT_TRUE(dev.provision(running));
  dev.reboot();
  UpdaterSink first(*dev.updater);
  ASSERT_TRUE(first.begin(uint32_t(next.size()), UpdateCommand::flash, nullptr));
  ASSERT_EQ(first.write(next.data(), 10000), 10000u);
  EXPECT_EQ(first.durable_offset(), 8192u);
  uint8_t prefix[crypto::kSha256Size];
  ASSERT_TRUE(first.durable_sha256(prefix));
  dev.power_cycle();

  UpdaterSink sink(*dev.updater), other(*dev.updater);
  EXPECT_FALSE(sink.resume(uint32_t(next.size()), UpdateCommand::flash, "xyz", 8192, prefix));
  EXPECT_EQ(std::string(sink.error_message()), "ERROR[19]: MD5 must be 32 hex digits");
  EXPECT_FALSE(dev.updater->is_running()) << "a bad MD5 leaves nothing running";
  std::string md5 = md5_of(next);
  ASSERT_TRUE(sink.resume(uint32_t(next.size()), UpdateCommand::flash, md5.c_str(), 8192, prefix))
      << sink.error_message();
  EXPECT_EQ(sink.durable_offset(), 8192u);
  EXPECT_EQ(other.durable_offset(), 0u) << "another protocol's sink sees no update of its own";
  uint8_t digest[crypto::kSha256Size];
  EXPECT_FALSE(other.durable_sha256(digest));
  EXPECT_FALSE(other.resume(uint32_t(next.size()), UpdateCommand::flash, nullptr, 8192, prefix));
  EXPECT_TRUE(dev.updater->is_running()) << "a refused second resume does not abort the first";
  ASSERT_EQ(sink.write(next.data() + 8192, uint32_t(next.size()) - 8192), next.size() - 8192);
  ASSERT_TRUE(sink.end()) << sink.error_message();
  dev.reboot();
  EXPECT_TRUE(dev.runs(next));
}

}  // namespace
}  // namespace otakit
