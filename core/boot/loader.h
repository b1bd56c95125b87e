// The boot loader (eboot's role): the decisions made at boot, before any application runs. It
// resumes a swap cut by a power loss, acts on an eboot COPY_RAW command by swapping the staged image in (not copying
// over the old one), counts boots of an image on trial and rolls back one that is never
// confirmed, and checks the primary against the journal before it runs. All state lives in the
// flash journal; the RTC command only starts an update. docs/boot.md says what happens for each
// kind of damage. What the application asks of it is in core/boot/app_boot.h; the whole update
// flow for a firmware author is in core/ota/ota.h.
#pragma once
#include <stdint.h>

#include "core/boot/boot_command.h"
#include "core/boot/boot_state.h"
#include "core/boot/journal.h"
#include "core/boot/swap_scratch.h"
#include "core/flash/flash.h"
#include "core/flash/layout.h"
#include "core/image/acceptance.h"
#include "core/image/inflater.h"

namespace otakit {

struct BootOptions {
  uint32_t max_trial_boots = 3;   // boots of an unconfirmed image before it is rolled back (<= 255)
  Inflater* inflater = nullptr;   // needed for eboot commands that name a gzip image
  bool verify_primary = true;     // hash the primary against the journal at every boot (MCUboot's
                                  //   validate-primary); costs one SHA-256 pass over the image
};

enum class BootAction : uint8_t {
  booted,            // the active image, nothing to do
  upgraded,          // a staged image was swapped in and now runs on trial
  resumed,           // a swap cut by a power loss was finished
  rolled_back,       // the trial image was never confirmed, or the running one was damaged: the previous one is back
  adopted,           // the primary holds a valid image the journal did not know (flashed over serial): recorded
  command_rejected,  // an eboot command was invalid or its image unacceptable; old image runs
  no_image,          // nothing in flash verifies: the device must not start an application
  flash_error,
};
const char* describe(BootAction action);

struct BootReport {
  BootAction action = BootAction::booted;
  JournalStatus journal = JournalStatus::ok;
  CommandStatus command = CommandStatus::absent_or_bad_magic;
  bool bootable = false;
  char detail[160] = {};  // why a command was rejected, or what was repaired
};

class BootLoader {
 public:
  BootLoader(Flash& flash, const FlashLayout& layout, RtcMemory& rtc, const BootOptions& options = BootOptions());

  // Runs the boot path: decides which image runs and brings the flash there.
  BootReport boot();
  // Factory install: checks `image` by the acceptance rule, writes it to the primary slot and
  // starts a journal that records it.
  bool provision(const uint8_t* image, uint32_t size);
  // The state boot() or provision() left in the journal.
  const BootState& state() const { return state_; }

 private:
  bool load_journal(BootReport* report);
  BootAction resume_swap(BootReport* report);
  BootAction boot_settled(BootReport* report);
  BootAction count_trial_boot(BootReport* report);
  bool adopt_primary(BootReport* report, const char* why);
  bool primary_matches_journal(bool* matches);
  BootAction recover_primary(BootReport* report);
  BootAction act_on_command(const EbootCommand& command, BootReport* report);
  BootAction roll_back_to_previous(BootReport* report);
  BootAction run_swap(BootReport* report);
  BootAction abandon_upgrade(SwapScratch& swap, BootReport* report);
  BootAction start_swap(SwapPlan plan, BootReport* report);
  bool hash_region(uint32_t address, uint32_t size, uint8_t out[32]);
  bool region_has_hash(uint32_t address, uint32_t size, const uint8_t sha256[32], bool* equal);

  Flash& flash_;
  const FlashLayout& layout_;
  RtcMemory& rtc_;
  BootOptions options_;
  Journal journal_;
  BootState state_;
  alignas(4) uint8_t sector_buffer_[kSectorSize];
};

}  // namespace otakit
