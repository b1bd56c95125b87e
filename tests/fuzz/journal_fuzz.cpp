// The boot journal is rebuilt from flash at every boot, whatever a torn write or a decayed cell
// left there. For any bytes in its two sectors, loading must not fail on a healthy flash, its
// repair must leave a journal that loads cleanly to the same state, and appending must work.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/boot/journal.h"
#include "core/util/bytes.h"
#include "core/util/crc32_mpeg2.h"
#include "tests/fuzz/byte_flash.h"

namespace {

using namespace otakit;

constexpr uint32_t kJournalMagic = 0x324A544Fu;  // "OTJ2"

// Half of the inputs get their header and record CRCs fixed up, so that the fuzzer explores the
// replay of well-formed logs and not only the CRC checks in front of it. Each sector has a copy
// of its header at its start and at its end; the records lie between them.
void fix_crcs(uint8_t* sector) {
  const uint32_t copies[2] = {0, Journal::kRecordsEnd};
  for (uint32_t copy : copies) {
    uint8_t* header = sector + copy;
    if (load_le32(header) == kJournalMagic) store_le32(header + 12, crc32_mpeg2(header, 12));
  }
  uint32_t at = Journal::kRecordsStart;
  while (at + 8 <= Journal::kRecordsEnd) {
    uint32_t len = uint32_t(sector[at + 1]) * 4;
    if (sector[at] == 0xFF || at + 8 + len > Journal::kRecordsEnd) break;
    store_le32(sector + at + 4 + len, crc32_mpeg2(sector + at, 4 + len));
    at += 8 + len;
  }
}

bool same_image(const ImageRecord& a, const ImageRecord& b) {
  return a.size == b.size && a.security_version == b.security_version && memcmp(a.sha256, b.sha256, 32) == 0;
}

bool same_plan(const SwapPlan& a, const SwapPlan& b) {
  return a.kind == b.kind && a.secondary == b.secondary && a.sectors == b.sectors && a.command_id == b.command_id &&
         same_image(a.incoming, b.incoming) && same_image(a.outgoing, b.outgoing);
}

// What the boot path acts on must survive a compaction; bookkeeping it ignores may not.
bool same_state(const BootState& a, const BootState& b) {
  if (a.phase != b.phase || a.min_security_version != b.min_security_version || a.updates != b.updates ||
      a.rollbacks != b.rollbacks || a.last_command_id != b.last_command_id)
    return false;
  switch (a.phase) {
    case BootPhase::idle:
      return a.has_active == b.has_active && (!a.has_active || same_image(a.active, b.active));
    case BootPhase::swapping:
      return same_plan(a.plan, b.plan) && a.swap_sector == b.swap_sector && a.swap_step == b.swap_step;
    case BootPhase::trial:
      return same_plan(a.plan, b.plan) && same_image(a.active, b.active) && same_image(a.previous, b.previous) &&
             a.previous_address == b.previous_address && a.trial_boots == b.trial_boots;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static uint8_t bytes[2 * kSectorSize];
  memset(bytes, 0xFF, sizeof(bytes));
  const bool fix = data[0] & 1;
  size_t n = size - 1 < sizeof(bytes) ? size - 1 : sizeof(bytes);
  memcpy(bytes, data + 1, n);
  if (fix) {
    fix_crcs(bytes);
    fix_crcs(bytes + kSectorSize);
  }
  fuzz::ByteFlash flash(bytes, sizeof(bytes));

  Journal journal(flash, 0, kSectorSize);
  BootState state;
  JournalStatus status = journal.load(&state);
  if (status == JournalStatus::flash_error) __builtin_trap();  // a healthy flash never fails a load
  if (status == JournalStatus::empty) return 0;
  if (state.phase == BootPhase::swapping && (state.plan.sectors == 0 || state.swap_sector > state.plan.sectors))
    __builtin_trap();

  BootState again;
  if (Journal(flash, 0, kSectorSize).load(&again) != JournalStatus::ok) __builtin_trap();
  if (!same_state(state, again)) __builtin_trap();

  // The next record must go in: a journal that cannot be appended to stops the device for good.
  uint8_t floor[4];
  store_le32(floor, state.min_security_version + 1);
  if (!journal.append(RecordType::security, 0, floor, 4, &state)) __builtin_trap();
  if (Journal(flash, 0, kSectorSize).load(&again) != JournalStatus::ok) __builtin_trap();
  if (again.min_security_version != state.min_security_version || !same_state(state, again)) __builtin_trap();
  return 0;
}
