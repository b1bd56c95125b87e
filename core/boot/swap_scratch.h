// Swap-with-scratch: exchanges the primary slot and a secondary area sector by sector through
// a scratch sector, journaling each of the three copies so a power cut at any instant resumes.
// With the plan's sector table (the normal case) every sector's progress is read from the flash
// contents, the journal's steps only saying where to start looking, and every copy's source is
// checked against the table before it is written. Damage to the incoming image stops the swap
// (the caller puts the outgoing image back); damage to the outgoing one only spoils the rollback
// copy, so the swap goes on and the incoming image still arrives whole. The scratch rotates over the free sectors
// between the two areas (when there are any), so no single sector takes one erase per sector.
#pragma once
#include <stdint.h>

#include "core/boot/journal.h"
#include "core/boot/sector_table.h"
#include "core/flash/flash.h"

namespace otakit {

enum class SwapResult : uint8_t {
  done,
  flash_error,
  unverifiable,  // a sector of the incoming image is damaged: nothing was written over it
};

class SwapScratch {
 public:
  // table: an opened sector table for state->plan, or nullptr to trust the journal alone.
  SwapScratch(Flash& flash, Journal& journal, uint32_t scratch_address, SectorTable* table, uint8_t* sector_buffer)
      : flash_(flash), journal_(journal), scratch_(scratch_address), table_(table), buf_(sector_buffer) {}

  // Continues state->plan from state->swap_sector until every sector is exchanged.
  SwapResult run(BootState* state);
  uint32_t stuck_sector() const { return stuck_; }  // after unverifiable
  bool outgoing_damaged() const { return outgoing_damaged_; }
  // Makes the primary's sector hold its outgoing content again (from the scratch if need be), so
  // that a swap stopped there can be undone; unverifiable when no intact copy of it is left.
  SwapResult restore_outgoing(const SwapPlan& plan, uint32_t sector);

 private:
  SwapResult settle_sector(uint32_t sector, BootState* state);
  SwapResult replay_sector(uint32_t sector, BootState* state);
  SwapResult copy_checked(uint32_t from, uint32_t to, uint32_t expected);
  SwapResult copy_outgoing(uint32_t from, uint32_t to, uint32_t expected);
  SwapResult copy_sector(uint32_t from, uint32_t to);
  SwapResult write_and_check(uint32_t to);
  bool step(RecordType type, uint32_t sector, BootState* state);
  uint32_t scratch_for(const SwapPlan& plan, uint32_t sector) const;

  Flash& flash_;
  Journal& journal_;
  uint32_t scratch_;
  SectorTable* table_;
  uint8_t* buf_;  // kSectorSize bytes, 4-aligned, owned by the caller
  uint32_t stuck_ = 0;
  bool outgoing_damaged_ = false;
};

}  // namespace otakit
