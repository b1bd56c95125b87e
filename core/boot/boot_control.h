// The boot path (eboot's role) and the application's view of it. At boot it resumes a swap cut
// by a power loss, acts on an eboot COPY_RAW command by swapping the staged image in (not copying
// over the old one), counts boots of an image on trial and rolls back one that is never
// confirmed. All state lives in the flash journal; the RTC command only starts an update.
#pragma once
#include <stdint.h>

#include "core/boot/boot_command.h"
#include "core/boot/boot_state.h"
#include "core/boot/inflater.h"
#include "core/boot/journal.h"
#include "core/flash/flash.h"
#include "core/flash/layout.h"

namespace otakit {

struct BootOptions {
  uint32_t max_trial_boots = 3;   // boots of an unconfirmed image before it is rolled back (<= 255)
  Inflater* inflater = nullptr;   // needed to boot gzip images; without one they are refused
};

enum class BootAction : uint8_t {
  booted,            // the active image, nothing to do
  upgraded,          // a staged image was swapped in and now runs on trial
  resumed,           // a swap cut by a power loss was finished
  rolled_back,       // the trial image was never confirmed: the previous one is back
  command_rejected,  // an eboot command was invalid or its image unacceptable; old image runs
  no_image,          // nothing bootable in flash
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
  // Writes the eboot COPY_RAW command for an image staged at `address` (takes effect at reboot).
  // With sha256 (of the `size` staged bytes as received), the boot path swaps in only those bytes.
  bool stage(uint32_t address, uint32_t size, const uint8_t* sha256 = nullptr);
  // Marks the running trial image good; anti-rollback floors rise to its security version.
  bool confirm();
  // Factory install: writes `image` to the primary slot and starts a journal that records it.
  bool provision(const uint8_t* image, uint32_t size, uint32_t security_version);
  // Reads the security version an image declares (0 when it carries no OTAKit descriptor).
  uint32_t image_security_version(uint32_t address, uint32_t size);

 private:
  bool load_journal(BootReport* report);
  bool adopt_primary_without_journal(BootReport* report);
  BootAction act_on_command(const EbootCommand& command, BootReport* report);
  bool inflate_staged(uint32_t staged, uint32_t size, uint32_t target, uint32_t inflated, uint8_t sha256[32],
                      BootReport* report);
  BootAction roll_back_trial(BootReport* report);
  bool run_swap(BootReport* report);
  bool hash_region(uint32_t address, uint32_t size, uint8_t out[32]);
  BootAction start_swap(const SwapPlan& plan, BootReport* report);

  Flash& flash_;
  const FlashLayout& layout_;
  RtcMemory& rtc_;
  BootOptions options_;
  Journal journal_;
  BootState state_;
  uint8_t sector_buffer_[kSectorSize];
};

}  // namespace otakit
