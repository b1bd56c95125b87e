// The boot journal against malformed sectors built byte by byte (bad headers, bad or unknown
// records, records that overrun the sector or do not fit the phase, garbage past the end), and a
// journal that fills up in the middle of a swap while the power is cut at every operation.
#include <gtest/gtest.h>

#include "core/boot/journal.h"
#include "core/util/bytes.h"
#include "core/util/crc32_mpeg2.h"
#include "tests/core/device_fixture.h"

namespace otakit {
namespace {

using testing::Device;
using testing::make_image;

constexpr uint32_t kMagic = 0x324A544Fu;  // "OTJ2", the journal header magic

// Builds one journal sector as the format in journal.cpp defines it: a 16-byte header (magic,
// sequence, 0xFFFFFFFF, CRC) at the start and again at the end, records between them of type,
// length/4, aux, payload, CRC-32/MPEG-2. Records are written once here unless a test twins them.
struct SectorBuilder {
  std::vector<uint8_t> bytes = std::vector<uint8_t>(kSectorSize, 0xFF);
  uint32_t at = Journal::kRecordsStart;

  explicit SectorBuilder(uint32_t sequence) {
    for (uint32_t copy : {0u, Journal::kRecordsEnd}) {
      uint8_t* h = bytes.data() + copy;
      store_le32(h, kMagic);
      store_le32(h + 4, sequence);
      store_le32(h + 8, 0xFFFFFFFFu);
      store_le32(h + 12, crc32_mpeg2(h, 12));
    }
  }
  // Returns the offset of the record.
  uint32_t record(uint8_t type, uint16_t aux = 0, const uint8_t* payload = nullptr, uint32_t len = 0) {
    uint32_t start = at;
    bytes[at] = type;
    bytes[at + 1] = uint8_t(len / 4);
    bytes[at + 2] = uint8_t(aux);
    bytes[at + 3] = uint8_t(aux >> 8);
    if (len > 0) std::memcpy(&bytes[at + 4], payload, len);
    store_le32(&bytes[at + 4 + len], crc32_mpeg2(&bytes[at], 4 + len));
    at += 8 + len;
    return start;
  }
  uint32_t security(uint32_t floor) {
    uint8_t p[4];
    store_le32(p, floor);
    return record(uint8_t(RecordType::security), 0, p, 4);
  }
  uint32_t active(uint32_t size, uint8_t hash_byte) {
    ImageRecord image;
    image.size = size;
    std::memset(image.sha256, hash_byte, sizeof(image.sha256));
    uint8_t p[kImageRecordBytes];
    encode_image_record(image, p);
    return record(uint8_t(RecordType::active), 0, p, sizeof(p));
  }
  uint32_t swap_begin(uint32_t sectors, uint32_t secondary, uint32_t command_id) {
    SwapPlan plan;
    plan.secondary = secondary;
    plan.sectors = sectors;
    plan.command_id = command_id;
    plan.incoming.size = sectors * kSectorSize;
    plan.outgoing.size = 1000;
    uint8_t p[kSwapPlanBytes];
    encode_swap_plan(plan, p);
    return record(uint8_t(RecordType::swap_begin), 0, p, sizeof(p));
  }
};

// Offset of the first free byte of a journal sector, walking its records by their lengths.
uint32_t log_end(const uint8_t* sector) {
  uint32_t at = Journal::kRecordsStart;
  while (at + 8 <= Journal::kRecordsEnd && !(sector[at] == 0xFF && sector[at + 1] == 0xFF)) at += 8 + sector[at + 1] * 4u;
  return at;
}

uint32_t header_sequence(const uint8_t* sector) {
  if (load_le32(sector) != kMagic || load_le32(sector + 12) != crc32_mpeg2(sector, 12)) return 0;
  return load_le32(sector + 4);
}

struct JournalTest : ::testing::Test {
  const FlashLayout& layout = *find_layout("1M");
  posix::MemoryFlash flash{layout.flash_size};
  uint32_t address[2] = {layout.journal_address(0), layout.journal_address(1)};

  void put(int which, const SectorBuilder& sector) {
    std::memcpy(flash.bytes().data() + address[which], sector.bytes.data(), kSectorSize);
  }
  uint8_t* sector(int which) { return flash.bytes().data() + address[which]; }
  JournalStatus load(BootState* state) {
    Journal journal(flash, address[0], address[1]);
    return journal.load(state);
  }
};

TEST_F(JournalTest, BlankSectorsAreAnEmptyJournal) {
  BootState s;
  EXPECT_EQ(load(&s), JournalStatus::empty);
  EXPECT_FALSE(s.has_active);
}

TEST_F(JournalTest, SnapshotOfEveryPhaseReplaysToTheSameState) {
  BootState trial;
  trial.has_active = true;
  trial.phase = BootPhase::trial;
  trial.plan.kind = SwapKind::upgrade;
  trial.plan.secondary = 0x80000;
  trial.plan.sectors = 30;
  trial.plan.command_id = 9;
  trial.plan.incoming.size = 120000;
  trial.plan.incoming.security_version = 4;
  trial.plan.outgoing.size = 90000;
  trial.active = trial.plan.incoming;
  trial.has_previous = true;
  trial.previous = trial.plan.outgoing;
  trial.previous_address = 0x80000;
  trial.trial_boots = 2;
  trial.min_security_version = 3;
  trial.last_command_id = 9;
  trial.updates = 5;
  trial.rollbacks = 1;

  Journal writer(flash, address[0], address[1]);
  ASSERT_TRUE(writer.reset(trial));
  BootState back;
  ASSERT_EQ(load(&back), JournalStatus::ok);
  EXPECT_EQ(back.phase, BootPhase::trial);
  EXPECT_EQ(back.active.size, 120000u);
  EXPECT_EQ(back.active.security_version, 4u);
  EXPECT_EQ(back.previous.size, 90000u);
  EXPECT_EQ(back.previous_address, 0x80000u);
  EXPECT_EQ(back.trial_boots, 2u);
  EXPECT_EQ(back.min_security_version, 3u);
  EXPECT_EQ(back.last_command_id, 9u);
  EXPECT_EQ(back.updates, 5u);
  EXPECT_EQ(back.rollbacks, 1u);

  trial.rejected = true;  // the application gave up on it: survives a compaction too
  ASSERT_TRUE(writer.compact(trial));
  ASSERT_EQ(load(&back), JournalStatus::ok);
  EXPECT_TRUE(back.rejected);
  EXPECT_EQ(back.trial_boots, 2u);
  trial.rejected = false;

  BootState swapping = trial;
  swapping.phase = BootPhase::swapping;
  swapping.active = trial.plan.outgoing;
  swapping.swap_sector = 17;
  swapping.swap_step = SwapStep::primary_has_secondary;
  ASSERT_TRUE(writer.compact(swapping));
  ASSERT_EQ(load(&back), JournalStatus::ok);
  EXPECT_EQ(back.phase, BootPhase::swapping);
  EXPECT_EQ(back.swap_sector, 17u);
  EXPECT_EQ(back.swap_step, SwapStep::primary_has_secondary);
  EXPECT_EQ(back.plan.sectors, 30u);
  EXPECT_EQ(back.active.size, 90000u) << "until the swap is done the outgoing image is the active one";
  EXPECT_EQ(back.updates, 5u);
}

TEST_F(JournalTest, OneDamagedHeaderCopyIsCoveredByItsTwin) {
  const uint32_t second = Journal::kRecordsEnd;
  for (uint32_t damaged : {0u, 5u, 12u, second, second + 5, second + 12}) {  // magic, sequence, CRC of either copy
    SectorBuilder a(7);
    a.active(50000, 0xAA);
    a.bytes[damaged] ^= 0x01;
    put(0, a);
    BootState s;
    EXPECT_EQ(load(&s), JournalStatus::ok) << "byte " << damaged;
    EXPECT_EQ(s.active.size, 50000u) << "byte " << damaged;
  }
}

TEST_F(JournalTest, BothHeaderCopiesDamagedInTheOnlySectorMeansNoJournal) {
  SectorBuilder a(7);
  a.active(50000, 0xAA);
  a.bytes[12] ^= 0x01;
  a.bytes[Journal::kRecordsEnd] ^= 0x10;
  put(0, a);
  BootState s;
  EXPECT_EQ(load(&s), JournalStatus::empty);
}

TEST_F(JournalTest, BothSectorsValidTheHigherSequenceWinsInEitherSlot) {
  SectorBuilder older(41), newer(42);
  older.active(11111, 0x11);
  newer.active(22222, 0x22);
  BootState s;
  put(0, older);
  put(1, newer);
  ASSERT_EQ(load(&s), JournalStatus::ok);
  EXPECT_EQ(s.active.size, 22222u);
  put(0, newer);
  put(1, older);
  ASSERT_EQ(load(&s), JournalStatus::ok);
  EXPECT_EQ(s.active.size, 22222u);
}

// Found by fuzz_journal: with the older sector kept as a fallback, a sequence that wrapped from
// 0xFFFFFFFF to 0 made the older sector look newer.
TEST_F(JournalTest, SequenceWrapsAndTheNewerSectorStillWins) {
  SectorBuilder old(0xFFFFFFFFu);
  old.active(11111, 0x11);
  put(0, old);
  Journal journal(flash, address[0], address[1]);
  BootState s;
  ASSERT_EQ(journal.load(&s), JournalStatus::ok);
  s.min_security_version = 7;
  ASSERT_TRUE(journal.compact(s));
  EXPECT_EQ(header_sequence(sector(1)), 0u);
  BootState back;
  ASSERT_EQ(load(&back), JournalStatus::ok);
  EXPECT_EQ(back.min_security_version, 7u) << "the sector written last (sequence 0) is the live one";
}

TEST_F(JournalTest, BadHeaderCrcInTheNewerSectorFallsBackToTheOlder) {
  SectorBuilder older(41), newer(42);
  older.active(11111, 0x11);
  newer.active(22222, 0x22);
  newer.bytes[5] ^= 0x80;  // the sequence number itself is damaged, in both copies
  newer.bytes[Journal::kRecordsEnd + 5] ^= 0x80;
  put(0, older);
  put(1, newer);
  BootState s;
  ASSERT_EQ(load(&s), JournalStatus::ok);
  EXPECT_EQ(s.active.size, 11111u);
}

// Regression (issue 10): a bad record used to end the log, so the records after it were dropped
// and a swap redid steps that had completed. It is now skipped and replay goes on after it.
TEST_F(JournalTest, RecordWithBadCrcInTheMiddleIsSkippedAndTheRestStillCounts) {
  SectorBuilder a(3);
  a.security(1);
  a.active(30000, 0x33);
  uint32_t bad = a.security(5);
  a.security(9);
  a.bytes[bad + 8] ^= 0x04;  // CRC of the floor-5 record
  put(0, a);
  BootState s;
  ASSERT_EQ(load(&s), JournalStatus::repaired);
  EXPECT_EQ(s.min_security_version, 9u) << "the records after the bad one are applied";
  EXPECT_EQ(s.active.size, 30000u);
  EXPECT_EQ(header_sequence(sector(1)), 4u) << "the repair is a compaction into the other sector";
  EXPECT_EQ(header_sequence(sector(0)), 3u) << "the damaged sector stays as the fallback generation";
  BootState again;
  EXPECT_EQ(load(&again), JournalStatus::ok);
  EXPECT_EQ(again.min_security_version, 9u);
  EXPECT_EQ(again.active.size, 30000u);
}

TEST_F(JournalTest, RecordsOfUnknownTypeOrTypeZeroAreSkipped) {
  for (uint8_t type : {uint8_t(0), uint8_t(12), uint8_t(0x7F), uint8_t(0xFE)}) {  // 12: past the last type
    SectorBuilder a(3);
    a.active(30000, 0x33);
    a.record(type);
    a.security(6);
    put(0, a);
    std::memset(sector(1), 0xFF, kSectorSize);
    BootState s;
    ASSERT_EQ(load(&s), JournalStatus::repaired) << "type " << int(type);
    EXPECT_EQ(s.min_security_version, 6u) << "type " << int(type) << ": replay resynchronises after it";
    EXPECT_EQ(s.active.size, 30000u);
  }
}

TEST_F(JournalTest, RecordRunningPastTheSectorEndIsRefused) {
  SectorBuilder a(3);
  a.active(30000, 0x33);
  // Room for at most 32 bytes before the record area ends; the header claims a swap plan.
  const uint32_t last = Journal::kRecordsStart + 12 * ((Journal::kRecordsEnd - 24 - Journal::kRecordsStart) / 12);
  while (a.at + 12 <= last) a.security(2);
  ASSERT_EQ(a.at, last) << "the filler must end exactly at the overrunning record";
  a.bytes[last] = uint8_t(RecordType::swap_begin);
  a.bytes[last + 1] = uint8_t(kSwapPlanBytes / 4);
  a.bytes[last + 2] = a.bytes[last + 3] = 0;
  put(0, a);
  BootState s;
  ASSERT_EQ(load(&s), JournalStatus::repaired);
  EXPECT_EQ(s.min_security_version, 2u);
  EXPECT_EQ(s.active.size, 30000u);
  EXPECT_EQ(s.phase, BootPhase::idle);
}

TEST_F(JournalTest, PayloadLongerThanAnyRecordIsRefused) {
  SectorBuilder a(3);
  a.active(30000, 0x33);
  uint8_t big[kSwapPlanBytes + 4] = {};
  a.record(uint8_t(RecordType::swap_begin), 0, big, sizeof(big));
  put(0, a);
  BootState s;
  ASSERT_EQ(load(&s), JournalStatus::repaired);
  EXPECT_EQ(s.phase, BootPhase::idle);
}

// Records with a valid CRC that do not apply (the second of a twin looks like this) change
// nothing and are no damage: the records around them still count and nothing is compacted.
TEST_F(JournalTest, RecordsThatDoNotFitThePhaseAreIgnored) {
  struct Case {
    const char* name;
    void (*add)(SectorBuilder&);
  };
  const Case cases[] = {
      {"boot_attempt while idle", [](SectorBuilder& a) { a.record(uint8_t(RecordType::boot_attempt)); }},
      {"confirm while idle", [](SectorBuilder& a) { a.record(uint8_t(RecordType::confirm)); }},
      {"step while idle", [](SectorBuilder& a) { a.record(uint8_t(RecordType::step_done), 0); }},
      {"swap_done while idle", [](SectorBuilder& a) { a.record(uint8_t(RecordType::swap_done)); }},
      {"step beyond the plan",
       [](SectorBuilder& a) {
         a.swap_begin(10, 0x80000, 1);
         a.record(uint8_t(RecordType::step_scratch), 10);
       }},
      {"swap plan of zero sectors", [](SectorBuilder& a) { a.swap_begin(0, 0x80000, 1); }},
      {"swap plan off a sector boundary", [](SectorBuilder& a) { a.swap_begin(10, 0x80010, 1); }},
      {"step with a payload",
       [](SectorBuilder& a) {
         a.swap_begin(10, 0x80000, 1);
         uint8_t p[4] = {};
         a.record(uint8_t(RecordType::step_done), 0, p, 4);
       }},
      {"active of the wrong length",
       [](SectorBuilder& a) {
         uint8_t p[8] = {};
         a.record(uint8_t(RecordType::active), 0, p, 8);
       }},
  };
  for (const Case& c : cases) {
    SectorBuilder a(3);
    a.active(30000, 0x33);
    a.security(4);
    c.add(a);
    a.security(8);  // what follows the ignored record counts
    put(0, a);
    std::memset(sector(1), 0xFF, kSectorSize);
    BootState s;
    ASSERT_EQ(load(&s), JournalStatus::ok) << c.name;
    EXPECT_EQ(s.min_security_version, 8u) << c.name;
    EXPECT_EQ(s.active.size, 30000u) << c.name;
    EXPECT_EQ(s.trial_boots, 0u) << c.name;
    BootState again;
    EXPECT_EQ(load(&again), JournalStatus::ok) << c.name << ": the repaired journal must load cleanly";
  }
}

// Regression: a log that ends (an erased record header) with programmed bytes after it, as a
// torn or partly programmed write leaves them. Appending there would hit bits already at 0 and
// fail on every boot; the load must compact instead.
TEST_F(JournalTest, ProgrammedBytesAfterTheEndOfTheLogAreCompactedAway) {
  SectorBuilder a(3);
  a.active(30000, 0x33);
  uint32_t end = a.security(4) + 12;
  a.bytes[end + 4] = 0x00;  // the next record's header bytes stay 0xFF, its payload does not
  put(0, a);
  Journal journal(flash, address[0], address[1]);
  BootState s;
  EXPECT_EQ(journal.load(&s), JournalStatus::repaired);
  EXPECT_EQ(s.min_security_version, 4u);
  uint8_t floor[4];
  store_le32(floor, 6);
  ASSERT_TRUE(journal.append(RecordType::security, 0, floor, 4, &s)) << "the next append must work";
  BootState again;
  ASSERT_EQ(load(&again), JournalStatus::ok);
  EXPECT_EQ(again.min_security_version, 6u);
}

// Regression: the snapshot of a trial state wrote one record per trial boot, so a log holding
// a few hundred of them (max_trial_boots set high, or damage) could not be compacted into one
// sector: the repair failed and the device stopped at every boot.
TEST_F(JournalTest, LogFullOfTrialBootsCanStillBeRepaired) {
  SectorBuilder a(3);
  a.swap_begin(10, 0x80000, 1);
  a.record(uint8_t(RecordType::swap_done));
  while (a.at + 16 <= Journal::kRecordsEnd) a.record(uint8_t(RecordType::boot_attempt));
  a.record(0x7F);  // a bad record at the end forces the repair
  put(0, a);
  BootState s;
  ASSERT_EQ(load(&s), JournalStatus::repaired);
  EXPECT_EQ(s.phase, BootPhase::trial);
  EXPECT_GT(s.trial_boots, 400u);
  BootState again;
  ASSERT_EQ(load(&again), JournalStatus::ok);
  EXPECT_EQ(again.phase, BootPhase::trial);
  EXPECT_GE(again.trial_boots, 255u) << "far beyond any max_trial_boots: the rollback still happens";
}

TEST_F(JournalTest, AppendingPastAFullSectorCompactsAndKeepsTheState) {
  Journal journal(flash, address[0], address[1]);
  BootState s;
  s.has_active = true;
  s.active.size = 4242;
  ASSERT_TRUE(journal.reset(s));
  uint8_t floor[4];
  for (uint32_t i = 1; i <= 1000; ++i) {  // 12 bytes each: several sectors' worth
    store_le32(floor, i);
    ASSERT_TRUE(journal.append(RecordType::security, 0, floor, 4, &s)) << i;
  }
  EXPECT_GE(journal.compactions(), 3u);
  BootState back;
  ASSERT_EQ(load(&back), JournalStatus::ok);
  EXPECT_EQ(back.min_security_version, 1000u);
  EXPECT_EQ(back.active.size, 4242u);
  uint32_t a = header_sequence(sector(0)), b = header_sequence(sector(1));
  EXPECT_EQ(a > b ? a - b : b - a, 1u) << "the older sector keeps the previous generation as a fallback";
}

// --- a journal that fills up in the middle of a swap, with the power cut at every operation ---

struct FullJournalSwap : ::testing::Test {
  std::vector<uint8_t> old_image = make_image(60001, 1);
  std::vector<uint8_t> new_image = make_image(90001, 2);  // 22 sectors: 66 step records
  std::vector<uint8_t> staged;                            // flash after staging
  uint8_t staged_rtc[kRtcUserMemorySize];
  uint32_t sequence_before = 0;

  static uint8_t* live_sector(Device& dev, uint32_t* sequence) {
    uint8_t* best = nullptr;
    *sequence = 0;
    for (int i = 0; i < 2; ++i) {
      uint8_t* s = dev.flash.bytes().data() + dev.layout.journal_address(i);
      if (header_sequence(s) > *sequence) {
        *sequence = header_sequence(s);
        best = s;
      }
    }
    return best;
  }

  void SetUp() override {
    Device dev;
    ASSERT_TRUE(dev.provision(old_image));
    dev.reboot();
    // Fill the live sector so that it runs out after the swap plan and about 20 steps.
    Journal journal(dev.flash, dev.layout.journal_address(0), dev.layout.journal_address(1));
    BootState s;
    ASSERT_EQ(journal.load(&s), JournalStatus::ok);
    uint8_t floor[4] = {};
    uint32_t sequence = 0;
    while (log_end(live_sector(dev, &sequence)) + 12 <= kSectorSize - (kSwapPlanBytes + 8) - 20 * 8)
      ASSERT_TRUE(journal.append(RecordType::security, 0, floor, 4, &s));
    ASSERT_EQ(journal.compactions(), 0u);
    sequence_before = sequence;
    dev.reboot();
    ASSERT_TRUE(dev.stage(new_image)) << dev.updater->error_message();
    staged = dev.flash.bytes();
    std::memcpy(staged_rtc, dev.rtc.bytes(), kRtcUserMemorySize);
  }

  std::unique_ptr<Device> staged_device() {
    auto dev = std::make_unique<Device>();
    dev->flash.bytes() = staged;
    std::memcpy(dev->rtc.bytes(), staged_rtc, kRtcUserMemorySize);
    return dev;
  }
};

TEST_F(FullJournalSwap, CompactionHappensMidSwapAndTheSwapCompletes) {
  auto dev = staged_device();
  BootReport r = dev->reboot();
  ASSERT_EQ(r.action, BootAction::upgraded) << r.detail;
  EXPECT_TRUE(dev->runs(new_image));
  uint32_t sequence = 0;
  live_sector(*dev, &sequence);
  EXPECT_EQ(sequence, sequence_before + 1) << "exactly one compaction, during the swap";
  EXPECT_EQ(0, std::memcmp(dev->flash.bytes().data() + dev->boot->state().previous_address, old_image.data(),
                           old_image.size()));
}

TEST_F(FullJournalSwap, PowerCutAtEveryOperationOfTheBootEndsOnTheNewImage) {
  uint64_t total = 0;
  {
    auto dev = staged_device();
    uint64_t before = dev->flash.mutating_operations();
    ASSERT_EQ(dev->reboot().action, BootAction::upgraded);
    total = dev->flash.mutating_operations() - before;
  }
  ASSERT_GT(total, 100u);
  const posix::TornMode modes[] = {posix::TornMode::clean, posix::TornMode::keep_rest, posix::TornMode::random_rest};
  uint32_t cases = 0;
  for (uint64_t k = 0; k < total; ++k) {
    for (posix::TornMode mode : modes) {
      auto dev = staged_device();
      dev->flash.cut_power_at(k, mode, uint32_t(k * 3 + uint32_t(mode)));
      dev->reboot();
      ASSERT_TRUE(dev->flash.power_lost()) << "cut at " << k;
      dev->flash.clear_faults();  // a reset: RTC memory (and the command) survive
      BootReport r = dev->reboot();
      ASSERT_TRUE(r.bootable) << "cut at " << k << ": " << describe(r.action) << " " << r.detail;
      ASSERT_TRUE(dev->runs(new_image)) << "cut at " << k << " mode " << int(mode) << ": " << describe(r.action);
      ASSERT_TRUE(dev->boot->on_trial());
      ASSERT_EQ(0, std::memcmp(dev->flash.bytes().data() + dev->boot->state().previous_address, old_image.data(),
                               old_image.size()))
          << "rollback copy damaged, cut at " << k;
      ASSERT_EQ(dev->reboot().journal, JournalStatus::ok) << "cut at " << k;
      ++cases;
    }
  }
  std::printf("[ journal ] full-sector swap: %llu operations, %u cuts\n", (unsigned long long)total, cases);
}

}  // namespace
}  // namespace otakit
