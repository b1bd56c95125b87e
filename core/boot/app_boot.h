// What a running application asks of the boot path (MCUboot's bootutil_public.h to the loader's
// loader.c): stage the next image, confirm the image on trial, or give it up. It reads the same
// flash journal the loader wrote and never makes a boot-time decision itself.
#pragma once
#include <stdint.h>

#include "core/boot/boot_state.h"
#include "core/boot/journal.h"
#include "core/boot/rtc_memory.h"
#include "core/flash/flash.h"
#include "core/flash/layout.h"
#include "core/image/acceptance.h"

namespace otakit {

class AppBoot {
 public:
  AppBoot(Flash& flash, const FlashLayout& layout, RtcMemory& rtc);

  // Replays the journal the loader left; false when the flash cannot be read (every call below
  // then fails). Call once after the loader ran.
  bool load();

  // True once load() read the journal; the Updater begins nothing before.
  bool loaded() const { return loaded_; }
  const BootState& state() const { return state_; }
  bool on_trial() const { return loaded_ && state_.phase == BootPhase::trial; }
  // What this device accepts as the next image: its chip, its security floor, the space a swap
  // against the running image leaves (core/image/acceptance.h).
  ImageRules image_rules() const;
  // Writes the eboot COPY_RAW command for an image staged at `address` (takes effect at reboot).
  // With sha256 (of the `size` staged bytes as received), the boot path swaps in only those bytes.
  // False when the RTC memory cannot be written.
  bool stage(uint32_t address, uint32_t size, const uint8_t* sha256 = nullptr);
  // Marks the running trial image good; anti-rollback floors rise to its security version.
  // False when no image is on trial or the journal cannot be written.
  bool confirm();
  // Gives up on the running trial image: the next boot swaps the previous one back.
  // False when no image is on trial or the journal cannot be written.
  bool reject_trial();

 private:
  Flash& flash_;
  const FlashLayout& layout_;
  RtcMemory& rtc_;
  Journal journal_;
  BootState state_;
  bool loaded_ = false;
};

}  // namespace otakit
