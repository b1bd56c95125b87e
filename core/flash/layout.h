// Named flash layouts of real ESP8266 boards (the core's eagle.flash.*.ld files) and the
// original's space rules. Addresses are physical flash offsets (CPU address - 0x40200000).
#pragma once
#include <stdint.h>

#include "core/util/bytes.h"

namespace otakit {

constexpr uint32_t kAppOffset = 0x1000;  // the app header follows the 4 KiB eboot sector

struct FlashLayout {
  const char* name;
  uint32_t flash_size;
  uint32_t fs_start;         // == fs_end when the layout has no filesystem
  uint32_t fs_end;
  uint32_t max_sketch_size;  // the irom window limit, from the linker script's comment

  uint32_t fs_size() const { return fs_end - fs_start; }
  // EEPROM, RF calibration and WiFi config occupy the top 20 KiB.
  uint32_t eeprom_start() const { return flash_size - 0x5000; }

  // OTAKit's boot area sits right below the filesystem, at the top of the OTA gap where the
  // original stages images: from the bottom, the pull client's resume record (one sector of
  // fixed-size records, core/pull/resume_store.h), the swap scratch, the swap's sector table and
  // the two journal sectors. Staging areas end where it starts, and the loader refuses boot
  // commands that reach into it.
  static constexpr uint32_t kBootAreaSectors = 5;
  uint32_t boot_area_start() const { return fs_start - kBootAreaSectors * 0x1000; }
  uint32_t resume_record_address() const { return boot_area_start(); }
  uint32_t scratch_sector_address() const { return boot_area_start() + 0x1000; }
  uint32_t sector_table_address() const { return boot_area_start() + 0x2000; }
  uint32_t journal_address(int which) const { return boot_area_start() + 0x1000 * (3 + which); }
};

// The original's getFreeSketchSpace(): FS start minus the running sketch rounded to 4 KiB.
inline uint32_t free_sketch_space(const FlashLayout& layout, uint32_t sketch_size) {
  uint32_t used = round_up_4k(sketch_size);
  return used > layout.fs_start ? 0 : layout.fs_start - used;
}

// Looks a layout up by its Arduino name ("1M", "4M1M", "2M1M", "16M14M", ...); nullptr if unknown.
const FlashLayout* find_layout(const char* name);
// All layouts, for listings; ends with a zeroed entry.
const FlashLayout* all_layouts();

}  // namespace otakit
