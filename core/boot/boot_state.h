// The boot path's persistent state, rebuilt at every boot by replaying the journal's records.
#pragma once
#include <stdint.h>

#include "core/crypto/digest.h"

namespace otakit {

struct ImageRecord {
  uint32_t size = 0;
  uint8_t sha256[crypto::kSha256Size] = {};
  uint32_t security_version = 0;
};

enum class SwapKind : uint8_t { upgrade = 1, revert = 2 };

// One swap of the primary slot (offset 0) with a secondary area, sector by sector via scratch.
struct SwapPlan {
  SwapKind kind = SwapKind::upgrade;
  uint32_t secondary = 0;  // flash address of the secondary area
  uint32_t sectors = 0;    // sectors exchanged
  uint32_t command_id = 0; // args[3] of the eboot command that started it (0 for reverts)
  uint32_t table_crc = 0;  // binds the plan to its sector table (core/boot/sector_table.h)
  ImageRecord incoming;    // the image moving into the primary slot
  ImageRecord outgoing;    // the image moving out (kept for rollback)
};

// Per-sector progress of a swap: which of the three copies of sector `sector` are done.
enum class SwapStep : uint8_t {
  none = 0,
  scratch_has_primary = 1,
  primary_has_secondary = 2,
  sector_done = 3,
};

enum class BootPhase : uint8_t {
  idle,      // the active image is confirmed (or was never on trial)
  swapping,  // a swap is in progress: the next boot resumes it
  trial,     // a new image runs on trial; it must be confirmed or it is rolled back
};

struct BootState {
  bool has_active = false;
  ImageRecord active;
  bool has_previous = false;  // the image in the secondary area after the last swap
  ImageRecord previous;
  uint32_t previous_address = 0;
  BootPhase phase = BootPhase::idle;
  SwapPlan plan;
  uint32_t swap_sector = 0;  // first sector not yet done
  SwapStep swap_step = SwapStep::none;
  uint32_t trial_boots = 0;
  bool rejected = false;     // the trial image was given up on (AppBoot::reject_trial)
  uint32_t min_security_version = 0;
  uint32_t last_command_id = 0;
  uint32_t updates = 0;    // completed upgrade swaps
  uint32_t rollbacks = 0;  // completed revert swaps
};

}  // namespace otakit
