// The resume record and its stores: the encoding round-trips and refuses any flipped bit or torn
// write; the flash store keeps the newest record through wrap-arounds, tombstones and a power cut
// at any of its flash operations; the file store (the virtual device's) ignores damaged files.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "core/pull/resume_store.h"
#include "platform/posix/emulated_flash.h"
#include "platform/posix/resume_store_file.h"

namespace otakit::pull {
namespace {

ResumeRecord sample(uint32_t offset, const char* etag = "\"v2\"", const char* md5 = "0123456789abcdef0123456789ABCDEF") {
  ResumeRecord r;
  resume_url_hash("http://updates.example/fw.bin", r.url_sha256);
  std::snprintf(r.etag, sizeof(r.etag), "%s", etag);
  std::snprintf(r.md5, sizeof(r.md5), "%s", md5);
  r.total = 1u << 20;
  r.command = UpdateCommand::flash;
  r.offset = offset;
  for (size_t i = 0; i < sizeof(r.prefix_sha256); ++i) r.prefix_sha256[i] = uint8_t(offset / 4096 + i);
  return r;
}

bool same(const ResumeRecord& a, const ResumeRecord& b) {
  return std::memcmp(a.url_sha256, b.url_sha256, sizeof(a.url_sha256)) == 0 && std::strcmp(a.etag, b.etag) == 0 &&
         std::strcmp(a.md5, b.md5) == 0 && a.total == b.total && a.command == b.command && a.offset == b.offset &&
         std::memcmp(a.prefix_sha256, b.prefix_sha256, sizeof(a.prefix_sha256)) == 0;
}

// --- the encoding ---

rc::Gen<ResumeRecord> records() {
  return rc::gen::exec([] {
    ResumeRecord r;
    auto url = *rc::gen::container<std::vector<uint8_t>>(crypto::kSha256Size, rc::gen::arbitrary<uint8_t>());
    std::memcpy(r.url_sha256, url.data(), url.size());
    auto prefix = *rc::gen::container<std::vector<uint8_t>>(crypto::kSha256Size, rc::gen::arbitrary<uint8_t>());
    std::memcpy(r.prefix_sha256, prefix.data(), prefix.size());
    bool with_etag = *rc::gen::arbitrary<bool>();
    bool with_md5 = !with_etag || *rc::gen::arbitrary<bool>();
    if (with_etag) {
      auto inner = *rc::gen::container<std::string>(*rc::gen::inRange<size_t>(0, kResumeMaxEtag - 1),
                                                     rc::gen::inRange<char>(0x21, 0x7F));
      std::snprintf(r.etag, sizeof(r.etag), "\"%s\"", inner.c_str());
    }
    if (with_md5) {
      auto md5 = *rc::gen::container<std::string>(32, rc::gen::element('0', '7', '9', 'a', 'f', 'A', 'F'));
      std::snprintf(r.md5, sizeof(r.md5), "%s", md5.c_str());
    }
    r.command = *rc::gen::element(UpdateCommand::flash, UpdateCommand::filesystem);
    r.total = *rc::gen::inRange<uint32_t>(kSectorSize + 1, UINT32_MAX);
    r.offset = kSectorSize * *rc::gen::inRange<uint32_t>(1, (r.total - 1) / kSectorSize + 1);
    return r;
  });
}

RC_GTEST_PROP(PullResumeRecord, RoundTripsAndRefusesEveryFlippedBit, ()) {
  ResumeRecord r = *records();
  RC_ASSERT(resume_record_plausible(r));
  uint32_t sequence = *rc::gen::arbitrary<uint32_t>();
  uint8_t bytes[kResumeRecordSize];
  encode_resume_record(r, sequence, bytes);
  ResumeRecord back;
  uint32_t got = 0;
  RC_ASSERT(decode_resume_record(bytes, &back, &got) == ResumeSlot::record);
  RC_ASSERT(same(r, back));
  RC_ASSERT(got == sequence);
  size_t bit = *rc::gen::inRange<size_t>(0, kResumeRecordSize * 8);
  bytes[bit / 8] ^= uint8_t(1u << (bit % 8));
  RC_ASSERT(decode_resume_record(bytes, &back, &got) == ResumeSlot::corrupt);
}

TEST(PullResumeRecord, EveryTornWriteOfASlotIsBlankOrCorrupt) {
  uint8_t full[kResumeRecordSize];
  encode_resume_record(sample(8192), 7, full);
  for (size_t programmed = 0; programmed < kResumeRecordSize; ++programmed) {
    uint8_t slot[kResumeRecordSize];
    std::memset(slot, 0xFF, sizeof(slot));
    std::memcpy(slot, full, programmed);
    ResumeRecord r;
    uint32_t sequence = 0;
    EXPECT_EQ(decode_resume_record(slot, &r, &sequence), programmed == 0 ? ResumeSlot::blank : ResumeSlot::corrupt)
        << programmed;
  }
  uint8_t tombstone[kResumeRecordSize];
  encode_resume_tombstone(9, tombstone);
  uint32_t sequence = 0;
  EXPECT_EQ(decode_resume_record(tombstone, nullptr, &sequence), ResumeSlot::cleared);
  EXPECT_EQ(sequence, 9u);
}

TEST(PullResumeRecord, ImplausibleRecordsAreRefused) {
  EXPECT_TRUE(resume_record_plausible(sample(4096)));
  EXPECT_TRUE(resume_record_plausible(sample(4096, "")));
  EXPECT_TRUE(resume_record_plausible(sample(4096, "\"x\"", "")));
  EXPECT_FALSE(resume_record_plausible(sample(4096, "", ""))) << "nothing identifies the image";
  EXPECT_FALSE(resume_record_plausible(sample(4096, "W/\"weak\""))) << "a weak ETag";
  EXPECT_FALSE(resume_record_plausible(sample(4096, "\"a b\""))) << "a space cannot go into If-Range";
  EXPECT_FALSE(resume_record_plausible(sample(4096, "\"v2\"", "0123")));
  EXPECT_FALSE(resume_record_plausible(sample(0)));
  EXPECT_FALSE(resume_record_plausible(sample(5000)));
  ResumeRecord at_end = sample(1u << 20);
  EXPECT_FALSE(resume_record_plausible(at_end)) << "offset == total: nothing left to ask for";
  ResumeRecord command = sample(4096);
  command.command = UpdateCommand(3);
  EXPECT_FALSE(resume_record_plausible(command));
  // An encoded record with an implausible field is corrupt even with a good CRC.
  uint8_t bytes[kResumeRecordSize];
  encode_resume_record(sample(5000), 1, bytes);
  uint32_t sequence = 0;
  EXPECT_EQ(decode_resume_record(bytes, nullptr, &sequence), ResumeSlot::corrupt);
}

// --- RamResumeStore ---

TEST(PullResumeStoreRam, HoldsOneRecordAndRefusesADamagedOne) {
  RamResumeStore store;
  ResumeRecord r;
  EXPECT_FALSE(store.load(&r));
  ASSERT_TRUE(store.save(sample(8192)));
  ASSERT_TRUE(store.save(sample(12288)));
  ASSERT_TRUE(store.load(&r));
  EXPECT_TRUE(same(r, sample(12288)));
  store.bytes()[100] ^= 1;
  EXPECT_FALSE(store.load(&r)) << "CRC mismatch";
  ASSERT_TRUE(store.save(sample(16384)));
  ASSERT_TRUE(store.clear());
  EXPECT_FALSE(store.load(&r));
  EXPECT_EQ(store.saves(), 3u);
  EXPECT_EQ(store.clears(), 1u);
}

// --- FlashResumeStore ---

constexpr uint32_t kStoreSector = 8;
constexpr uint32_t kStoreAddress = kStoreSector * kSectorSize;

TEST(PullResumeStoreFlash, KeepsTheNewestRecordAcrossWrapAroundsAndNewStoreObjects) {
  posix::MemoryFlash flash(16 * kSectorSize);
  for (uint32_t i = 1; i <= 40; ++i) {
    FlashResumeStore store(flash, kStoreAddress);  // a new object each time, as after a reboot
    ASSERT_TRUE(store.save(sample(i * kSectorSize)));
    ResumeRecord r;
    ASSERT_TRUE(FlashResumeStore(flash, kStoreAddress).load(&r)) << i;
    EXPECT_TRUE(same(r, sample(i * kSectorSize))) << i;
  }
  EXPECT_EQ(flash.wear()[kStoreSector].erases, 2u) << "one erase per 16 records";
  for (uint32_t s = 0; s < 16; ++s) {
    if (s == kStoreSector) continue;
    EXPECT_EQ(flash.wear()[s].writes + flash.wear()[s].erases, 0u) << "sector " << s;
  }
}

TEST(PullResumeStoreFlash, ATombstoneClearsAndClearingNothingWritesNothing) {
  posix::MemoryFlash flash(16 * kSectorSize);
  FlashResumeStore store(flash, kStoreAddress);
  ResumeRecord r;
  ASSERT_TRUE(store.clear());
  EXPECT_EQ(flash.mutating_operations(), 0u) << "an empty store is cleared without a write";
  ASSERT_TRUE(store.save(sample(4096)));
  ASSERT_TRUE(store.save(sample(8192)));
  ASSERT_TRUE(store.clear());
  EXPECT_FALSE(store.load(&r)) << "the tombstone hides both records";
  uint64_t ops = flash.mutating_operations();
  ASSERT_TRUE(store.clear());
  EXPECT_EQ(flash.mutating_operations(), ops);
  ASSERT_TRUE(store.save(sample(4096, "\"v3\"")));
  ASSERT_TRUE(store.load(&r));
  EXPECT_STREQ(r.etag, "\"v3\"");
  // A full sector is cleared by erasing it.
  for (uint32_t i = 0; i < FlashResumeStore::kSlots; ++i) ASSERT_TRUE(store.save(sample(4096 * (i + 1))));
  ASSERT_TRUE(store.clear());
  EXPECT_FALSE(store.load(&r));
}

TEST(PullResumeStoreFlash, ASectorOfOtherBytesHoldsNoRecordAndIsTakenOver) {
  posix::MemoryFlash flash(16 * kSectorSize);
  for (uint32_t i = 0; i < kSectorSize; ++i) flash.bytes()[kStoreAddress + i] = uint8_t(i * 131 + 7);
  FlashResumeStore store(flash, kStoreAddress);
  ResumeRecord r;
  EXPECT_FALSE(store.load(&r));
  ASSERT_TRUE(store.save(sample(4096)));
  ASSERT_TRUE(store.load(&r));
  EXPECT_TRUE(same(r, sample(4096)));
}

TEST(PullResumeStoreFlash, ADamagedNewestSlotFallsBackToTheRecordBefore) {
  posix::MemoryFlash flash(16 * kSectorSize);
  FlashResumeStore store(flash, kStoreAddress);
  for (uint32_t i = 1; i <= 3; ++i) ASSERT_TRUE(store.save(sample(i * 4096)));
  flash.bytes()[kStoreAddress + 2 * kResumeRecordSize + 40] ^= 0x10;
  ResumeRecord r;
  ASSERT_TRUE(store.load(&r));
  EXPECT_EQ(r.offset, 8192u);
  ASSERT_TRUE(store.save(sample(16384))) << "the damaged slot is skipped, not rewritten";
  ASSERT_TRUE(store.load(&r));
  EXPECT_EQ(r.offset, 16384u);
}

// A power cut at every flash operation of 20 saves and a clear, clean or torn: afterwards the
// store holds the record written last before the cut, or (only when the cut hit an erase) an
// older one or none; never anything else, and it takes the next save.
TEST(PullResumeStoreFlash, APowerCutAtAnyOperationLeavesTheLastCompleteRecordOrLess) {
  constexpr uint32_t kSaves = 20;
  auto script = [&](posix::MemoryFlash& flash, std::vector<uint64_t>* op_after_step) {
    FlashResumeStore store(flash, kStoreAddress);
    for (uint32_t i = 1; i <= kSaves; ++i) {
      if (!store.save(sample(i * 4096))) return;
      if (op_after_step) op_after_step->push_back(flash.mutating_operations());
    }
    if (store.clear() && op_after_step) op_after_step->push_back(flash.mutating_operations());
  };
  posix::MemoryFlash probe(16 * kSectorSize);
  std::vector<uint64_t> after;  // mutating operations done when step i (save i+1, then the clear) completed
  script(probe, &after);
  ASSERT_EQ(after.size(), kSaves + 1);
  const uint64_t total = probe.mutating_operations();
  int cases = 0, erase_cuts = 0;
  for (posix::TornMode mode : {posix::TornMode::clean, posix::TornMode::keep_rest, posix::TornMode::random_rest}) {
    for (uint64_t cut = 0; cut < total; ++cut) {
      posix::MemoryFlash flash(16 * kSectorSize);
      flash.cut_power_at(cut, mode, uint32_t(cut + 1));
      script(flash, nullptr);
      ASSERT_TRUE(flash.power_lost());
      flash.clear_faults();
      // The step the cut fell in, and whether that operation was an erase.
      size_t step = 0;
      while (after[step] <= cut) ++step;
      uint64_t step_start = step == 0 ? 0 : after[step - 1];
      bool erasing_save = after[step] - step_start == 2;
      bool erase = erasing_save && cut == step_start;
      bool write_after_erase = erasing_save && cut == step_start + 1;
      uint32_t last_complete = uint32_t(step);  // saves 1..step completed (the clear is step kSaves)
      ResumeRecord r;
      bool found = FlashResumeStore(flash, kStoreAddress).load(&r);
      ++cases;
      if (erase) {
        ++erase_cuts;
        if (found) {
          EXPECT_TRUE(r.offset % 4096 == 0 && r.offset / 4096 <= last_complete) << cut;
          EXPECT_TRUE(same(r, sample(r.offset))) << cut;
        }
      } else if (write_after_erase) {
        EXPECT_FALSE(found) << cut << ": the sector was erased, its first slot torn";
      } else if (last_complete == 0 || step == kSaves) {
        // Before the first record, or during the clear's write (which leaves the last record).
        if (step == kSaves) {
          ASSERT_TRUE(found) << cut;
          EXPECT_TRUE(same(r, sample(kSaves * 4096))) << cut;
        } else {
          EXPECT_FALSE(found) << cut;
        }
      } else {
        ASSERT_TRUE(found) << "cut " << cut << ", mode " << int(mode);
        EXPECT_TRUE(same(r, sample(last_complete * 4096))) << cut;
      }
      FlashResumeStore after_cut(flash, kStoreAddress);
      ASSERT_TRUE(after_cut.save(sample(99 * 4096)));
      ASSERT_TRUE(after_cut.load(&r));
      EXPECT_EQ(r.offset, 99u * 4096);
    }
  }
  EXPECT_EQ(cases, 3 * int(total));
  EXPECT_EQ(erase_cuts, 3) << "20 saves wrap the 16 slots once";
}

// --- ResumeStoreFile (platform/posix) ---

struct PullResumeStoreFile : ::testing::Test {
  std::string dir;
  std::string path;
  void SetUp() override {
    char templ[] = "/tmp/otakit-resume-XXXXXX";
    ASSERT_NE(::mkdtemp(templ), nullptr);
    dir = templ;
    path = dir + "/resume.bin";
  }
  void TearDown() override {
    std::remove(path.c_str());
    ::rmdir(dir.c_str());
  }
  void rewrite(const std::vector<char>& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), std::streamsize(bytes.size()));
  }
  std::vector<char> contents() {
    std::ifstream in(path, std::ios::binary);
    return std::vector<char>(std::istreambuf_iterator<char>(in), {});
  }
};

TEST_F(PullResumeStoreFile, SavesLoadsAndClears) {
  posix::ResumeStoreFile store(path);
  ResumeRecord r;
  EXPECT_FALSE(store.load(&r));
  EXPECT_TRUE(store.clear()) << "no file is no record";
  ASSERT_TRUE(store.save(sample(8192)));
  ASSERT_TRUE(store.save(sample(16384)));
  EXPECT_EQ(contents().size(), kResumeRecordSize);
  ASSERT_TRUE(posix::ResumeStoreFile(path).load(&r));
  EXPECT_TRUE(same(r, sample(16384)));
  ASSERT_TRUE(store.clear());
  EXPECT_FALSE(store.load(&r));
  EXPECT_FALSE(store.save(sample(5000))) << "an implausible record is not written";
}

TEST_F(PullResumeStoreFile, ADamagedOrTruncatedFileIsNoRecord) {
  posix::ResumeStoreFile store(path);
  ASSERT_TRUE(store.save(sample(8192)));
  std::vector<char> good = contents();
  ResumeRecord r;
  std::vector<char> flipped = good;
  flipped[60] ^= 4;
  rewrite(flipped);
  EXPECT_FALSE(store.load(&r));
  rewrite(std::vector<char>(good.begin(), good.begin() + 200));
  EXPECT_FALSE(store.load(&r));
  std::vector<char> longer = good;
  longer.push_back(0);
  rewrite(longer);
  EXPECT_FALSE(store.load(&r));
  rewrite(good);
  EXPECT_TRUE(store.load(&r));
}

TEST_F(PullResumeStoreFile, AnUnwritablePlaceFailsTheSave) {
  posix::ResumeStoreFile store(dir + "/missing/resume.bin");
  EXPECT_FALSE(store.save(sample(8192)));
}

}  // namespace
}  // namespace otakit::pull
