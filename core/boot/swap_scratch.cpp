#include "core/boot/swap_scratch.h"

#include <string.h>

namespace otakit {
namespace {

constexpr int kReadAttempts = 3;  // a source that fails its digest this often is damaged, not misread

}  // namespace

SwapResult SwapScratch::write_and_check(uint32_t to) {
  if (flash_.erase_sector(to / kSectorSize) != FlashStatus::ok) return SwapResult::flash_error;
  if (flash_.write(to, buf_, kSectorSize) != FlashStatus::ok) return SwapResult::flash_error;
  // Read back (twice at most, so a misread of a good copy is not a failure): a copy that did not
  // take must not be journaled as done.
  alignas(4) uint8_t check[256];
  for (uint32_t off = 0; off < kSectorSize; off += sizeof(check)) {
    bool same = false;
    for (int attempt = 0; attempt < 2 && !same; ++attempt) {
      if (flash_.read(to + off, check, sizeof(check)) != FlashStatus::ok) return SwapResult::flash_error;
      same = memcmp(check, buf_ + off, sizeof(check)) == 0;
    }
    if (!same) return SwapResult::flash_error;
  }
  return SwapResult::done;
}

SwapResult SwapScratch::copy_sector(uint32_t from, uint32_t to) {
  if (flash_.read(from, buf_, kSectorSize) != FlashStatus::ok) return SwapResult::flash_error;
  return write_and_check(to);
}

SwapResult SwapScratch::copy_checked(uint32_t from, uint32_t to, uint32_t expected) {
  for (int attempt = 0; attempt < kReadAttempts; ++attempt) {
    if (flash_.read(from, buf_, kSectorSize) != FlashStatus::ok) return SwapResult::flash_error;
    if (sector_digest(buf_) == expected) return write_and_check(to);
  }
  return SwapResult::unverifiable;
}

// The outgoing image only becomes the rollback copy: when its source fails the check, it is
// copied as it is, the swap goes on, and the rollback copy will fail its hash when it is needed.
SwapResult SwapScratch::copy_outgoing(uint32_t from, uint32_t to, uint32_t expected) {
  SwapResult r = copy_checked(from, to, expected);
  if (r != SwapResult::unverifiable) return r;
  outgoing_damaged_ = true;
  return copy_sector(from, to);
}

SwapResult SwapScratch::restore_outgoing(const SwapPlan& plan, uint32_t i) {
  uint32_t old_digest = 0, new_digest = 0, now = 0;
  if (table_ == nullptr) return SwapResult::unverifiable;
  if (!table_->entry(i, &old_digest, &new_digest)) return SwapResult::flash_error;
  if (!digest_flash_sector(flash_, i * kSectorSize, &now)) return SwapResult::flash_error;
  if (now == old_digest) return SwapResult::done;
  return copy_checked(scratch_for(plan, i), i * kSectorSize, old_digest);
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

// Where sector i stands is read from the flash: the primary holds its planned content (old) or the
// secondary's (new) or neither (cut mid-copy); the scratch and the secondary then say the rest.
SwapResult SwapScratch::settle_sector(uint32_t i, BootState* state) {
  const SwapPlan& plan = state->plan;
  uint32_t primary = i * kSectorSize, secondary = plan.secondary + i * kSectorSize;
  uint32_t scratch = scratch_for(plan, i);
  uint32_t old_digest = 0, new_digest = 0, now = 0;
  if (!table_->entry(i, &old_digest, &new_digest)) return SwapResult::flash_error;
  if (old_digest == new_digest) return step(RecordType::step_done, i, state) ? SwapResult::done : SwapResult::flash_error;
  if (!digest_flash_sector(flash_, primary, &now)) return SwapResult::flash_error;
  SwapResult r = SwapResult::done;
  if (now == new_digest) {
    uint32_t in_secondary = 0;
    if (!digest_flash_sector(flash_, secondary, &in_secondary)) return SwapResult::flash_error;
    if (in_secondary == old_digest) return step(RecordType::step_done, i, state) ? r : SwapResult::flash_error;
  } else {
    // Else the primary was cut in the middle of receiving the incoming sector (or has rotted).
    if (now == old_digest) {  // nothing of this sector moved yet, or only its copy into scratch
      r = copy_outgoing(primary, scratch, old_digest);
      if (r != SwapResult::done) return r;
      if (!step(RecordType::step_scratch, i, state)) return SwapResult::flash_error;
    }
    r = copy_checked(secondary, primary, new_digest);
    if (r != SwapResult::done) return r;
    if (!step(RecordType::step_primary, i, state)) return SwapResult::flash_error;
  }
  r = copy_outgoing(scratch, secondary, old_digest);
  if (r != SwapResult::done) return r;
  return step(RecordType::step_done, i, state) ? SwapResult::done : SwapResult::flash_error;
}

// Without a readable sector table: the journal's last step says where the sector stands.
SwapResult SwapScratch::replay_sector(uint32_t i, BootState* state) {
  const SwapPlan& plan = state->plan;
  uint32_t primary = i * kSectorSize, secondary = plan.secondary + i * kSectorSize;
  uint32_t scratch = scratch_for(plan, i);
  SwapStep done = state->swap_sector == i ? state->swap_step : SwapStep::none;
  SwapResult r = SwapResult::done;
  if (done == SwapStep::none) {
    if ((r = copy_sector(primary, scratch)) != SwapResult::done) return r;
    if (!step(RecordType::step_scratch, i, state)) return SwapResult::flash_error;
    done = SwapStep::scratch_has_primary;
  }
  if (done == SwapStep::scratch_has_primary) {
    if ((r = copy_sector(secondary, primary)) != SwapResult::done) return r;
    if (!step(RecordType::step_primary, i, state)) return SwapResult::flash_error;
  }
  if ((r = copy_sector(scratch, secondary)) != SwapResult::done) return r;
  return step(RecordType::step_done, i, state) ? SwapResult::done : SwapResult::flash_error;
}

SwapResult SwapScratch::run(BootState* state) {
  for (uint32_t i = state->swap_sector; i < state->plan.sectors; ++i) {
    SwapResult r = table_ != nullptr ? settle_sector(i, state) : replay_sector(i, state);
    if (r == SwapResult::unverifiable) stuck_ = i;
    if (r != SwapResult::done) return r;
  }
  return SwapResult::done;
}

}  // namespace otakit
