// The POSIX stand-ins for the hardware: NOR rules and fault injection of the emulated flash,
// the file-backed flash, and the RTC memory file (kept across a reset, lost on power loss).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>
#include <string>

#include "core/boot/boot_command.h"
#include "platform/posix/emulated_flash.h"
#include "platform/posix/file_flash.h"
#include "platform/posix/rtc_memory_file.h"

namespace otakit::posix {
namespace {

constexpr uint32_t kSize = 16 * kSectorSize;

// Any byte range, through core/flash's aligned reader (std::vector's buffer is 4-aligned).
std::vector<uint8_t> read_back(Flash& flash, uint32_t address, uint32_t len) {
  std::vector<uint8_t> out(len);
  EXPECT_EQ(flash_read_bytes(flash, address, out.data(), len), FlashStatus::ok);
  return out;
}

TEST(EmulatedFlash, WritesOnlyClearBitsAndRefusesOneOverZero) {
  MemoryFlash flash(kSize);
  EXPECT_EQ(read_back(flash, 0, 4), std::vector<uint8_t>(4, 0xFF)) << "a new chip reads as erased";
  alignas(4) const uint8_t first[4] = {0xF0, 0x3C, 0xFF, 0xFF};
  ASSERT_EQ(flash.write(100, first, 4), FlashStatus::ok);
  alignas(4) const uint8_t fewer_bits[4] = {0x10, 0x0C, 0xFF, 0xFF};  // only clears more bits: no erase needed
  ASSERT_EQ(flash.write(100, fewer_bits, 4), FlashStatus::ok);
  EXPECT_EQ(read_back(flash, 100, 2), (std::vector<uint8_t>{0x10, 0x0C}));
  uint64_t ops = flash.mutating_operations();
  alignas(4) const uint8_t sets_a_bit[4] = {0x10, 0x0D, 0xFF, 0xFF};
  EXPECT_EQ(flash.write(100, sets_a_bit, 4), FlashStatus::write_1_over_0);
  EXPECT_EQ(read_back(flash, 100, 2), (std::vector<uint8_t>{0x10, 0x0C})) << "a refused write changes nothing";
  EXPECT_EQ(flash.mutating_operations(), ops) << "a refused write is not an operation";
  ASSERT_EQ(flash.erase_sector(0), FlashStatus::ok);
  EXPECT_EQ(flash.write(100, sets_a_bit, 4), FlashStatus::ok) << "after an erase it is";
}

TEST(EmulatedFlash, EverythingOutsideTheChipIsOutOfRange) {
  MemoryFlash flash(kSize);
  alignas(4) uint8_t b[8] = {};
  EXPECT_EQ(flash.read(kSize - 4, b, 8), FlashStatus::out_of_range);
  EXPECT_EQ(flash.read(kSize + 1, b, 0), FlashStatus::out_of_range);
  EXPECT_EQ(flash.read(1, b, 0xFFFFFFFFu), FlashStatus::out_of_range) << "address + len must not wrap";
  EXPECT_EQ(flash.write(kSize - 4, b, 8), FlashStatus::out_of_range);
  EXPECT_EQ(flash.write(0xFFFFFFF8u, b, 8), FlashStatus::out_of_range);
  EXPECT_EQ(flash.erase_sector(kSize / kSectorSize), FlashStatus::out_of_range);
  EXPECT_EQ(flash.erase_sector(0xFFFFFFFFu), FlashStatus::out_of_range);
  EXPECT_EQ(flash.read(kSize - 4, b, 4), FlashStatus::ok) << "the last word is inside";
  EXPECT_EQ(flash.mutating_operations(), 0u);
}

// Erases take a sector index, so they cannot be misaligned; a write may cross a sector boundary,
// and then counts as a write on both sectors.
TEST(EmulatedFlash, WriteAcrossASectorBoundaryWearsBothSectors) {
  MemoryFlash flash(kSize);
  alignas(4) const uint8_t data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  ASSERT_EQ(flash.write(kSectorSize - 4, data, 8), FlashStatus::ok);
  EXPECT_EQ(read_back(flash, kSectorSize - 4, 8), std::vector<uint8_t>(data, data + 8));
  EXPECT_EQ(flash.wear()[0].writes, 1u);
  EXPECT_EQ(flash.wear()[1].writes, 1u);
  EXPECT_EQ(flash.wear()[2].writes, 0u);
}

// The SPI flash API of the ESP8266 takes words: a 4-byte aligned address, a length that is a
// multiple of 4 and a 4-byte aligned buffer. The emulation refuses anything else, as a chip would.
TEST(EmulatedFlash, MisalignedReadsAndWritesAreRefusedAndCounted) {
  MemoryFlash flash(kSize);
  alignas(4) uint8_t words[12] = {};
  EXPECT_EQ(flash.write(2, words, 4), FlashStatus::misaligned) << "address";
  EXPECT_EQ(flash.write(4, words, 3), FlashStatus::misaligned) << "length";
  EXPECT_EQ(flash.write(4, words + 1, 4), FlashStatus::misaligned) << "buffer";
  EXPECT_EQ(flash.read(1, words, 4), FlashStatus::misaligned);
  EXPECT_EQ(flash.read(0, words, 1), FlashStatus::misaligned);
  EXPECT_EQ(flash.read(0, words + 2, 4), FlashStatus::misaligned);
  EXPECT_EQ(flash.alignment_violations(), 6u);
  EXPECT_EQ(flash.mutating_operations(), 0u) << "a refused write is not an operation";
  EXPECT_EQ(read_back(flash, 0, 16), std::vector<uint8_t>(16, 0xFF)) << "and changed nothing";
  // The byte reader serves any range through aligned reads.
  ASSERT_EQ(flash.write(0, words, 8), FlashStatus::ok);
  uint8_t odd[7];
  EXPECT_EQ(flash_read_bytes(flash, 5, odd + 1, 5), FlashStatus::ok);  // bytes 5..9 into an odd buffer
  EXPECT_EQ(odd[1], 0x00);
  EXPECT_EQ(odd[5], 0xFF);
  EXPECT_EQ(flash_read_bytes(flash, kSize - 3, odd, 4), FlashStatus::out_of_range);
  EXPECT_EQ(flash.alignment_violations(), 6u);
}

TEST(EmulatedFlash, WearCountersCountPerSectorAndReset) {
  MemoryFlash flash(kSize);
  uint8_t b[16];
  for (int i = 0; i < 3; ++i) ASSERT_EQ(flash.erase_sector(5), FlashStatus::ok);
  ASSERT_EQ(flash.read(5 * kSectorSize + 8, b, 16), FlashStatus::ok);
  ASSERT_EQ(flash.read(6 * kSectorSize - 8, b, 16), FlashStatus::ok);  // touches sectors 5 and 6
  EXPECT_EQ(flash.wear()[5].erases, 3u);
  EXPECT_EQ(flash.wear()[5].reads, 2u);
  EXPECT_EQ(flash.wear()[6].reads, 1u);
  EXPECT_EQ(flash.wear()[4].erases + flash.wear()[4].reads + flash.wear()[4].writes, 0u);
  flash.reset_wear();
  EXPECT_EQ(flash.wear()[5].erases, 0u);
  EXPECT_EQ(flash.wear()[5].reads, 0u);
}

TEST(EmulatedFlash, CleanCutDoesNothingAndEverythingAfterItFails) {
  MemoryFlash flash(kSize);
  const uint8_t zero[4] = {};
  ASSERT_EQ(flash.write(0, zero, 4), FlashStatus::ok);
  flash.cut_power_at(1, TornMode::clean);
  ASSERT_EQ(flash.write(8, zero, 4), FlashStatus::ok) << "operation 0 after the arm still runs";
  EXPECT_EQ(flash.erase_sector(0), FlashStatus::power_lost);
  EXPECT_TRUE(flash.power_lost());
  EXPECT_EQ(flash.bytes()[0], 0x00) << "a clean cut leaves the sector as it was";
  uint8_t b[4];
  EXPECT_EQ(flash.read(0, b, 4), FlashStatus::power_lost);
  EXPECT_EQ(flash.write(100, zero, 4), FlashStatus::power_lost);
  flash.clear_faults();
  EXPECT_EQ(flash.read(0, b, 4), FlashStatus::ok);
  EXPECT_EQ(flash.erase_sector(0), FlashStatus::ok);
}

TEST(EmulatedFlash, TornEraseKeepingTheRestErasesAPrefixOnly) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    MemoryFlash flash(kSize, 0x00);
    flash.cut_power_at(0, TornMode::keep_rest, seed);
    ASSERT_EQ(flash.erase_sector(2), FlashStatus::power_lost);
    const uint8_t* s = flash.bytes().data() + 2 * kSectorSize;
    uint32_t erased = 0;
    while (erased < kSectorSize && s[erased] == 0xFF) ++erased;
    EXPECT_LT(erased, kSectorSize) << "a torn erase is never complete";
    for (uint32_t i = erased; i < kSectorSize; ++i) ASSERT_EQ(s[i], 0x00) << "seed " << seed << " at " << i;
    EXPECT_EQ(flash.bytes()[kSectorSize - 1], 0x00) << "neighbours untouched";
    EXPECT_EQ(flash.bytes()[3 * kSectorSize], 0x00);
  }
}

TEST(EmulatedFlash, TornWriteNeverSetsABitAndKeepsItsPrefix) {
  const posix::TornMode modes[] = {TornMode::keep_rest, TornMode::random_rest};
  for (TornMode mode : modes) {
    for (uint32_t seed = 1; seed <= 20; ++seed) {
      MemoryFlash flash(kSize, 0xF0);
      std::vector<uint8_t> data(256, 0x30);  // clears two of the four set bits
      flash.cut_power_at(0, mode, seed);
      ASSERT_EQ(flash.write(64, data.data(), 256), FlashStatus::power_lost);
      const uint8_t* w = flash.bytes().data() + 64;
      uint32_t done = 0;
      while (done < 256 && w[done] == 0x30) ++done;
      for (uint32_t i = 0; i < 256; ++i) {
        ASSERT_EQ(w[i] & ~0xF0, 0) << "a torn write set a bit at " << i;
        ASSERT_EQ(w[i] & 0x30, 0x30) << "a torn write cleared a bit it was not asked to at " << i;
      }
      if (mode == TornMode::keep_rest) {
        for (uint32_t i = done; i < 256; ++i) ASSERT_EQ(w[i], 0xF0) << "seed " << seed;
        EXPECT_LT(done, 256u);
      }
      EXPECT_EQ(flash.bytes()[63], 0xF0);
      EXPECT_EQ(flash.bytes()[64 + 256], 0xF0);
    }
  }
}

TEST(EmulatedFlash, TornEraseWithRandomRestLeavesNoiseThatIsNotAnErasedSector) {
  MemoryFlash flash(kSize, 0x00);
  flash.cut_power_at(0, TornMode::random_rest, 7);
  ASSERT_EQ(flash.erase_sector(1), FlashStatus::power_lost);
  const uint8_t* s = flash.bytes().data() + kSectorSize;
  uint32_t ff = 0, other = 0;
  for (uint32_t i = 0; i < kSectorSize; ++i) (s[i] == 0xFF ? ff : other)++;
  EXPECT_GT(other, 0u);
  EXPECT_GT(ff, 0u);
}

TEST(EmulatedFlash, BitFlipsOnReadLeaveTheCellsAloneAndClearWithTheFaults) {
  MemoryFlash flash(kSize);
  alignas(4) const uint8_t v[4] = {0x11, 0x22, 0x33, 0x44};
  ASSERT_EQ(flash.write(200, v, 4), FlashStatus::ok);
  flash.flip_bits_on_read(201, 0x81);
  EXPECT_EQ(read_back(flash, 200, 4), (std::vector<uint8_t>{0x11, 0xA3, 0x33, 0x44}));
  EXPECT_EQ(read_back(flash, 201, 1), (std::vector<uint8_t>{0xA3})) << "every read that covers it";
  EXPECT_EQ(flash.bytes()[201], 0x22) << "the stored byte is unchanged";
  alignas(4) const uint8_t same[4] = {0x11, 0x22, 0x33, 0x44};
  EXPECT_EQ(flash.write(200, same, 4), FlashStatus::ok) << "NOR rule uses the stored byte, not the flipped read";
  flash.clear_faults();
  EXPECT_EQ(read_back(flash, 200, 4), std::vector<uint8_t>(v, v + 4));
}

// --- file-backed flash and RTC memory file ---

struct TempDir : ::testing::Test {
  std::string dir;
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "otakit-platform-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir = pattern;
  }
  void TearDown() override {
    for (const char* name : {"/flash.bin", "/small.bin", "/rtc.bin"}) ::unlink((dir + name).c_str());
    ::rmdir(dir.c_str());
  }
  off_t file_size(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? st.st_size : -1;
  }
};

TEST_F(TempDir, FileFlashIsCreatedErasedAndKeepsWhatIsWritten) {
  const std::string path = dir + "/flash.bin";
  alignas(4) const uint8_t data[4] = {0xDE, 0xAD, 0xBE, 0xEF};
  {
    FileFlash flash = FileFlash::open(path, kSize);
    EXPECT_TRUE(flash.created());
    EXPECT_EQ(flash.size(), kSize);
    EXPECT_EQ(file_size(path), off_t(kSize));
    std::vector<uint8_t> all = read_back(flash, 0, kSize);
    EXPECT_EQ(all, std::vector<uint8_t>(kSize, 0xFF)) << "a new flash file is erased";
    ASSERT_EQ(flash.write(3 * kSectorSize + 12, data, 4), FlashStatus::ok);
  }
  FileFlash again = FileFlash::open(path, kSize);
  EXPECT_FALSE(again.created());
  EXPECT_EQ(read_back(again, 3 * kSectorSize + 12, 4), std::vector<uint8_t>(data, data + 4));
  alignas(4) const uint8_t ones[4] = {0xFF, 0xFF, 0xFF, 0xFF};
  EXPECT_EQ(again.write(3 * kSectorSize + 12, ones, 4), FlashStatus::write_1_over_0) << "NOR rules hold";
}

TEST_F(TempDir, FileFlashOfTheWrongSizeIsRefusedWithBothSizes) {
  const std::string path = dir + "/small.bin";
  std::ofstream(path, std::ios::binary) << std::string(4096, '\xff');
  try {
    FileFlash::open(path, kSize);
    FAIL() << "a 4096-byte file opened as a " << kSize << "-byte flash";
  } catch (const std::runtime_error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find(path), std::string::npos) << what;
    EXPECT_NE(what.find("has 4096 bytes but the layout needs 65536"), std::string::npos) << what;
    EXPECT_NE(what.find("pick the layout it was made with"), std::string::npos) << what;
  }
  EXPECT_EQ(file_size(path), 4096) << "a refused file is left as it was";
}

TEST_F(TempDir, FileFlashInAMissingDirectorySaysWhy) {
  try {
    FileFlash::open(dir + "/missing/flash.bin", kSize);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot open flash file"), std::string::npos) << e.what();
  }
}

TEST_F(TempDir, RtcMemoryFileSurvivesASoftRebootAndIsLostOnPowerLoss) {
  const std::string path = dir + "/rtc.bin";
  EbootCommand cmd;
  cmd.action = EbootAction::copy_raw;
  cmd.args[0] = 0x80000;
  cmd.args[2] = 300001;
  cmd.args[3] = 7;
  {
    RtcMemoryFile rtc(path);
    EbootCommand none;
    EXPECT_EQ(read_eboot_command(rtc, &none), CommandStatus::absent_or_bad_magic) << "no file: zeros";
    ASSERT_TRUE(write_eboot_command(rtc, cmd));
  }
  RtcMemoryFile after_reset(path);  // a new process on the same files: a soft reboot
  EbootCommand back;
  ASSERT_EQ(read_eboot_command(after_reset, &back), CommandStatus::valid);
  EXPECT_EQ(back.args[0], 0x80000u);
  EXPECT_EQ(back.args[2], 300001u);
  EXPECT_EQ(back.args[3], 7u);
  after_reset.power_loss();
  EXPECT_EQ(read_eboot_command(after_reset, &back), CommandStatus::absent_or_bad_magic);
  RtcMemoryFile after_power_cycle(path);
  EXPECT_EQ(read_eboot_command(after_power_cycle, &back), CommandStatus::absent_or_bad_magic);
}

TEST_F(TempDir, RtcMemoryFileOfTheWrongLengthReadsAsZeros) {
  const std::string path = dir + "/rtc.bin";
  {
    RtcMemoryFile rtc(path);
    EbootCommand cmd;
    cmd.action = EbootAction::copy_raw;
    ASSERT_TRUE(write_eboot_command(rtc, cmd));
  }
  ASSERT_EQ(::truncate(path.c_str(), 100), 0);  // cut short: not a whole RTC image
  RtcMemoryFile rtc(path);
  EbootCommand back;
  EXPECT_EQ(read_eboot_command(rtc, &back), CommandStatus::absent_or_bad_magic);
}

TEST_F(TempDir, RtcMemoryFileRefusesAccessOutsideTheUserArea) {
  RtcMemoryFile rtc(dir + "/rtc.bin");
  uint8_t b[8] = {};
  EXPECT_FALSE(rtc.read(kRtcUserMemorySize - 4, b, 8));
  EXPECT_FALSE(rtc.write(kRtcUserMemorySize, b, 1));
  EXPECT_FALSE(rtc.write(0, b, 0));
  EXPECT_FALSE(rtc.read(4, b, 0xFFFFFFFFu));
  EXPECT_TRUE(rtc.read(kRtcUserMemorySize - 8, b, 8));
}

}  // namespace
}  // namespace otakit::posix
