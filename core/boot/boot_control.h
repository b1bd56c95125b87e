// The boot path (eboot's role) and the application's view of it. At boot it resumes a swap cut
// by a power loss, acts on an eboot COPY_RAW command by swapping the staged image in (not copying
// over the old one), counts boots of an image on trial and rolls back one that is never
// confirmed, and checks the primary against the journal before it runs. All state lives in the
// flash journal; the RTC command only starts an update. docs/boot.md says what happens for each
// kind of damage.
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

class BootControl {
 public:
  BootControl(Flash& flash, const FlashLayout& layout, RtcMemory& rtc, const BootOptions& options = BootOptions());

  // --- boot path ---
  BootReport boot();

  // --- application side ---
  const BootState& state() const { return state_; }
  bool on_trial() const { return state_.phase == BootPhase::trial; }
  // What this device accepts as the next image: its chip, its security floor, the space a swap
  // against the running image leaves (core/image/acceptance.h).
  ImageRules image_rules() const;
  // Writes the eboot COPY_RAW command for an image staged at `address` (takes effect at reboot).
  // With sha256 (of the `size` staged bytes as received), the boot path swaps in only those bytes.
  bool stage(uint32_t address, uint32_t size, const uint8_t* sha256 = nullptr);
  // Marks the running trial image good; anti-rollback floors rise to its security version.
  bool confirm();
  // Gives up on the running trial image: the next boot swaps the previous one back.
  bool reject_trial();
  // Factory install: checks `image` by the acceptance rule, writes it to the primary slot and
  // starts a journal that records it.
  bool provision(const uint8_t* image, uint32_t size);

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
