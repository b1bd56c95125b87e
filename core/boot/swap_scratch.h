// Swap-with-scratch: exchanges the primary slot and a secondary area sector by sector through
// a scratch sector, journaling each of the three copies so a power cut at any instant resumes.
// The scratch rotates over the free sectors between the two areas (when there are any), so no
// single sector takes one erase per swapped sector.
#pragma once
#include <stdint.h>

#include "core/boot/journal.h"
#include "core/flash/flash.h"

namespace otakit {

enum class SwapResult : uint8_t { done, flash_error };

class SwapScratch {
 public:
  SwapScratch(Flash& flash, Journal& journal, uint32_t scratch_address, uint8_t* sector_buffer)
      : flash_(flash), journal_(journal), scratch_(scratch_address), buf_(sector_buffer) {}

  // Continues state->plan from state->swap_sector/swap_step until every sector is exchanged.
  SwapResult run(BootState* state);

 private:
  bool copy_sector(uint32_t from, uint32_t to);
  bool sectors_equal(uint32_t a, uint32_t b, bool* equal);
  bool step(RecordType type, uint32_t sector, BootState* state);
  uint32_t scratch_for(const SwapPlan& plan, uint32_t sector) const;

  Flash& flash_;
  Journal& journal_;
  uint32_t scratch_;
  uint8_t* buf_;  // kSectorSize bytes, owned by the caller
};

}  // namespace otakit
