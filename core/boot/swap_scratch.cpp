#include "core/boot/swap_scratch.h"

#include <string.h>

namespace otakit {

bool SwapScratch::copy_sector(uint32_t from, uint32_t to) {
  if (flash_.read(from, buf_, kSectorSize) != FlashStatus::ok) return false;
  if (flash_.erase_sector(to / kSectorSize) != FlashStatus::ok) return false;
  if (flash_.write(to, buf_, kSectorSize) != FlashStatus::ok) return false;
  // Read back: a copy that did not take must not be journaled as done.
  uint8_t check[256];
  for (uint32_t off = 0; off < kSectorSize; off += sizeof(check)) {
    if (flash_.read(to + off, check, sizeof(check)) != FlashStatus::ok) return false;
    if (memcmp(check, buf_ + off, sizeof(check)) != 0) return false;
  }
  return true;
}

bool SwapScratch::sectors_equal(uint32_t a, uint32_t b, bool* equal) {
  uint8_t x[256], y[256];
  *equal = true;
  for (uint32_t off = 0; off < kSectorSize && *equal; off += sizeof(x)) {
    if (flash_.read(a + off, x, sizeof(x)) != FlashStatus::ok) return false;
    if (flash_.read(b + off, y, sizeof(y)) != FlashStatus::ok) return false;
    *equal = memcmp(x, y, sizeof(x)) == 0;
  }
  return true;
}

bool SwapScratch::step(RecordType type, uint32_t sector, BootState* state) {
  return journal_.append(type, uint16_t(sector), nullptr, 0, state);
}

uint32_t SwapScratch::scratch_for(const SwapPlan& plan, uint32_t sector) const {
  uint32_t gap_start = plan.sectors * kSectorSize;  // end of the primary slot
  if (plan.secondary <= gap_start) return scratch_;
  uint32_t gap_sectors = (plan.secondary - gap_start) / kSectorSize;
  return gap_start + (sector % gap_sectors) * kSectorSize;  // a pure function of the plan: resumes agree
}

SwapResult SwapScratch::run(BootState* state) {
  const SwapPlan plan = state->plan;
  for (uint32_t i = state->swap_sector; i < plan.sectors; ++i) {
    uint32_t primary = i * kSectorSize;
    uint32_t secondary = plan.secondary + i * kSectorSize;
    uint32_t scratch = scratch_for(plan, i);
    SwapStep done = state->swap_sector == i ? state->swap_step : SwapStep::none;
    if (done == SwapStep::none) {
      bool equal = false;
      if (!sectors_equal(primary, secondary, &equal)) return SwapResult::flash_error;
      if (equal) {  // nothing to exchange; also keeps the boot sector untouched when unchanged
        if (!step(RecordType::step_done, i, state)) return SwapResult::flash_error;
        continue;
      }
      if (!copy_sector(primary, scratch) || !step(RecordType::step_scratch, i, state))
        return SwapResult::flash_error;
      done = SwapStep::scratch_has_primary;
    }
    if (done == SwapStep::scratch_has_primary) {
      if (!copy_sector(secondary, primary) || !step(RecordType::step_primary, i, state))
        return SwapResult::flash_error;
      done = SwapStep::primary_has_secondary;
    }
    if (!copy_sector(scratch, secondary) || !step(RecordType::step_done, i, state))
      return SwapResult::flash_error;
  }
  return SwapResult::done;
}

}  // namespace otakit
