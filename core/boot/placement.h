// Where staged images go in the OTA gap. Shared by the Updater (which writes them) and the boot
// path (which checks a command before acting on it), so both apply the same rule.
#pragma once
#include <stdint.h>

#include "core/boot/boot_state.h"
#include "core/boot/sector_table.h"
#include "core/flash/layout.h"
#include "core/image/acceptance.h"

namespace otakit {

// The bytes a swap exchanges between an image and the one it replaces: the larger of the two,
// rounded up to whole sectors (so the smaller image's old sectors travel too).
inline uint32_t swap_area(uint32_t image_size, uint32_t other_size) {
  uint32_t image = round_up_4k(image_size), other = round_up_4k(other_size);
  return image > other ? image : other;
}

// The largest image a swap against a running image of running_size takes: half the space below
// the boot area (both images are kept for rollback), within what the sector table covers and
// what the irom window maps.
inline uint32_t staging_capacity(const FlashLayout& layout, uint32_t running_size) {
  uint32_t cap = (layout.boot_area_start() / 2) & ~0xFFFu;
  if (cap > kMaxSwapSectors * kSectorSize) cap = kMaxSwapSectors * kSectorSize;
  if (round_up_4k(running_size) > cap) return 0;
  return cap < layout.max_sketch_size ? cap : layout.max_sketch_size;
}

// The swap exchanges the first `area` bytes of flash (the primary slot) with an equally large
// secondary area, area = max(new, running) rounded to sectors. The two must not overlap, so the
// secondary ends at the boot area and starts at or above `area`. False if that does not fit.
inline bool place_staging(const FlashLayout& layout, uint32_t running_size, uint32_t image_size,
                          uint32_t* address) {
  uint32_t area = swap_area(image_size, running_size);
  uint32_t top = layout.boot_area_start();
  if (area > top / 2 || area > kMaxSwapSectors * kSectorSize) return false;
  *address = top - area;
  return true;
}

// For a gzip image staged at `staged`: where its inflated form (inflated_size bytes) goes,
// right below it. False if the inflated image, the staged gzip and the primary slot do not all fit.
inline bool place_inflated(uint32_t staged, uint32_t running_size, uint32_t inflated_size,
                           uint32_t* address) {
  uint32_t area = swap_area(inflated_size, running_size);
  if (area > staged || staged - area < area || area > kMaxSwapSectors * kSectorSize) return false;
  *address = staged - area;
  return true;
}

// What the device accepts as its next image: its chip, its security floor, the space a swap
// against the running image leaves. The Updater and the loader check by the same rules.
inline ImageRules next_image_rules(uint32_t chip_size, const FlashLayout& layout, const BootState& state) {
  ImageRules rules;
  rules.chip_size = chip_size;
  rules.max_size = staging_capacity(layout, state.active.size);
  rules.min_security_version = state.min_security_version;
  return rules;
}

}  // namespace otakit
