// An append-only log of boot records in two flash sectors (ping-pong). Each record carries a
// CRC; a torn record ends the log and triggers a compaction into the other sector, so a power
// cut at any point leaves either the old or the new state readable, never a mix.
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
};

enum class JournalStatus : uint8_t {
  ok,
  empty,          // neither sector holds a journal: a new device, or both were destroyed
  repaired,       // a torn or corrupt record was found and the log was compacted
  flash_error,
};
const char* describe(JournalStatus status);

class Journal {
 public:
  static constexpr uint32_t kHeaderSize = 16;

  Journal(Flash& flash, uint32_t sector_a, uint32_t sector_b)
      : flash_(flash), sector_{sector_a, sector_b} {}

  // Reads both sectors, replays the newest valid log into *state, repairs a torn tail.
  JournalStatus load(BootState* state);
  // Appends one record and applies it to *state (compacting first when the sector is full).
  bool append(RecordType type, uint16_t aux, const uint8_t* payload, uint32_t payload_len, BootState* state);
  // Writes a snapshot of state into the other sector, then erases the current one.
  bool compact(const BootState& state);
  // Starts a fresh journal holding just `state` (factory provisioning, or after total loss).
  bool reset(const BootState& state);

  uint32_t compactions() const { return compactions_; }

 private:
  bool write_record(uint32_t sector_address, uint32_t* offset, RecordType type, uint16_t aux,
                    const uint8_t* payload, uint32_t payload_len);
  bool write_snapshot(uint32_t sector_address, uint32_t* offset, const BootState& state);

  Flash& flash_;
  uint32_t sector_[2];
  int current_ = -1;         // index of the sector holding the live log
  uint32_t sequence_ = 0;    // of the live log
  uint32_t append_at_ = 0;   // offset of the next record in the live sector
  uint32_t compactions_ = 0;
};

// Applies one decoded record to the state (pure: also used by tests and the snapshot check).
bool apply_record(RecordType type, uint16_t aux, const uint8_t* payload, uint32_t payload_len,
                  BootState* state);
// Payload codecs for the records that carry one.
uint32_t encode_image_record(const ImageRecord& image, uint8_t* out);  // returns bytes written
uint32_t encode_swap_plan(const SwapPlan& plan, uint8_t* out);
constexpr uint32_t kImageRecordBytes = 40;
constexpr uint32_t kSwapPlanBytes = 16 + 2 * kImageRecordBytes;

}  // namespace otakit
