// An append-only log of boot records in two flash sectors (ping-pong). Built so that no single bad
// bit, torn write or misread turns into a wrong state:
// - each sector's header is written twice, at its start and at its end (so no one burst of damage
//   takes both), and a compaction leaves the older sector intact, so a damaged header falls back
//   to its twin or to the previous generation;
// - every record carries a CRC; a bad one is re-read once, then skipped, and replay resynchronises
//   on the next valid record instead of dropping the rest of the log;
// - the records whose loss would change a decision (image, plan, swap done, confirm, floors,
//   counters) are written twice in a row; replaying a twin again changes nothing. Swap steps are
//   written once: they are only hints, which the swap checks against the flash contents.
#pragma once
#include <stdint.h>

#include "core/boot/boot_state.h"
#include "core/flash/flash.h"

namespace otakit {

enum class RecordType : uint8_t {
  active = 1,         // payload: ImageRecord; primary holds it, confirmed
  swap_begin = 2,     // payload: SwapPlan
  step_scratch = 3,   // aux = sector index: scratch holds the primary's old sector
  step_primary = 4,   // aux = sector: primary holds the secondary's sector
  step_done = 5,      // aux = sector: the secondary holds the old primary sector; sector done
  swap_done = 6,      // swap complete and the new primary verified (SHA-256)
  boot_attempt = 7,   // one boot of an image on trial
  confirm = 8,        // the application confirmed the trial image
  security = 9,       // payload: minimum security version
  counters = 10,      // payload: updates, rollbacks, last command id
  reject = 11,        // the application gave up on the trial image: the next boot rolls it back
};

enum class JournalStatus : uint8_t {
  ok,
  empty,          // neither sector holds a journal: a new device, or both were destroyed
  repaired,       // a torn or corrupt record was skipped and the log was compacted
  flash_error,
};
const char* describe(JournalStatus status);

class Journal {
 public:
  static constexpr uint32_t kHeaderSize = 16;
  static constexpr uint32_t kRecordsStart = kHeaderSize;             // after the first header copy
  static constexpr uint32_t kRecordsEnd = kSectorSize - kHeaderSize;  // where the second copy sits

  Journal(Flash& flash, uint32_t sector_a, uint32_t sector_b)
      : flash_(flash), sector_{sector_a, sector_b} {}

  // Reads both sectors, replays the newest valid log into *state, repairs a torn tail.
  JournalStatus load(BootState* state);
  // Appends one record (twice for the records decisions rest on) and applies it to *state,
  // compacting first when the sector is full.
  bool append(RecordType type, uint16_t aux, const uint8_t* payload, uint32_t payload_len, BootState* state);
  // Writes a snapshot of state into the other sector; the current one stays as the fallback.
  bool compact(const BootState& state);
  // Starts a fresh journal holding just `state` (factory provisioning, or after total loss).
  bool reset(const BootState& state);

  uint32_t compactions() const { return compactions_; }
  uint32_t skipped_records() const { return skipped_; }  // corrupt records passed over by load()

 private:
  enum class Slot : uint8_t { valid, blank, corrupt };
  int pick_live_sector(uint32_t* sequence);
  Slot read_record(uint32_t address, uint32_t room, uint8_t* rec, uint32_t* total);
  bool programmed_end(uint32_t address, uint32_t* end);
  bool write_record(uint32_t sector_address, uint32_t* offset, RecordType type, uint16_t aux,
                    const uint8_t* payload, uint32_t payload_len);
  bool write_snapshot(uint32_t sector_address, uint32_t* offset, const BootState& state);

  Flash& flash_;
  uint32_t sector_[2];
  int current_ = -1;         // index of the sector holding the live log
  uint32_t sequence_ = 0;    // of the live log
  uint32_t append_at_ = 0;   // offset of the next record in the live sector
  uint32_t compactions_ = 0;
  uint32_t skipped_ = 0;
};

// True for the record types written twice (see the header comment).
bool record_is_twinned(RecordType type);
// Applies one decoded record to the state (pure: also used by tests and the snapshot check).
bool apply_record(RecordType type, uint16_t aux, const uint8_t* payload, uint32_t payload_len,
                  BootState* state);
// Payload codecs for the records that carry one.
uint32_t encode_image_record(const ImageRecord& image, uint8_t* out);  // returns bytes written
uint32_t encode_swap_plan(const SwapPlan& plan, uint8_t* out);
constexpr uint32_t kImageRecordBytes = 40;
constexpr uint32_t kSwapPlanBytes = 20 + 2 * kImageRecordBytes;

}  // namespace otakit
