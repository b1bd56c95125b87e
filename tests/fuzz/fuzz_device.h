// The small device the boot and Updater fuzz targets run on: a 512 KiB chip, RTC memory over a
// byte array, and snapshots of its flash at three points of its life, each built once per process.
#pragma once
#include <stdint.h>
#include <string.h>

#include "core/boot/app_boot.h"
#include "core/boot/loader.h"
#include "core/boot/placement.h"
#include "core/crypto/digest.h"
#include "tests/fuzz/byte_flash.h"
#include "tests/fuzz/fuzz_images.h"

namespace otakit::fuzz {

// A small layout keeps every run fast: 512 KiB, the smallest chip an image's size code 0 fits;
// all that is used lies below 0x1B000: no filesystem, the boot area at 0x16000 (the resume
// record, scratch at 0x17000, sector table at 0x18000, journals at 0x19000 and 0x1A000).
constexpr uint32_t kFlashSize = 0x80000;
inline const FlashLayout kLayout = {"fuzz", kFlashSize, 0x1B000, 0x1B000, 0x18000};
constexpr uint32_t kOldSize = 8000, kNewSize = 12001;  // the new image ends in a fill byte

// RTC memory for the fuzz build (core's VolatileRtcMemory has no type info under -fno-rtti,
// which UBSan's vptr check needs).
class ByteRtc : public RtcMemory {
 public:
  bool read(uint32_t offset, void* out, uint32_t len) override {
    if (offset > sizeof(bytes) || len > sizeof(bytes) - offset) return false;
    memcpy(out, bytes + offset, len);
    return true;
  }
  bool write(uint32_t offset, const void* data, uint32_t len) override {
    if (offset > sizeof(bytes) || len > sizeof(bytes) - offset) return false;
    memcpy(bytes + offset, data, len);
    return true;
  }
  void power_loss() override { memset(bytes, 0xA5, sizeof(bytes)); }
  uint8_t bytes[kRtcUserMemorySize] = {};
};

struct Images {
  uint8_t old_image[kOldSize];  // provisioned first
  uint8_t new_image[kNewSize];  // staged and swapped in later
};

inline const Images& images() {
  static Images* built = [] {
    static Images i;
    if (build_image(i.old_image, kOldSize, 1, 2) == 0 || build_image(i.new_image, kNewSize, 2, 3) == 0)
      __builtin_trap();
    return &i;
  }();
  return *built;
}

// Erases and writes [address, address + size) sector by sector; the last write is padded with
// 0xFF to whole words, as the Updater pads it.
inline bool write_region(Flash& flash, uint32_t address, const uint8_t* data, uint32_t size) {
  alignas(4) static uint8_t sector[kSectorSize];
  for (uint32_t at = 0; at < size; at += kSectorSize) {
    uint32_t n = size - at < kSectorSize ? size - at : kSectorSize;
    memset(sector, 0xFF, sizeof(sector));
    memcpy(sector, data + at, n);
    if (flash.erase_sector((address + at) / kSectorSize) != FlashStatus::ok ||
        flash.write(address + at, sector, round_up_flash_align(n)) != FlashStatus::ok)
      return false;
  }
  return true;
}

// Where the Updater would stage the new image next to the old one.
inline uint32_t staged_address() {
  uint32_t address = 0;
  if (!place_staging(kLayout, kOldSize, kNewSize, &address)) __builtin_trap();
  return address;
}

struct Snapshots {
  uint8_t idle[kFlashSize];       // the old image provisioned; the new one staged, no command yet
  uint8_t trial[kFlashSize];      // the new image swapped in and booted once, on trial
  uint8_t confirmed[kFlashSize];  // the new image confirmed; the old one kept for rollback
};

inline const Snapshots& snapshots() {
  static Snapshots* built = [] {
    static Snapshots snap;
    const Images& img = images();
    ByteRtc rtc;
    memset(snap.idle, 0xFF, sizeof(snap.idle));
    ByteFlash idle(snap.idle, kFlashSize);
    if (!BootLoader(idle, kLayout, rtc).provision(img.old_image, kOldSize) ||
        !write_region(idle, staged_address(), img.new_image, kNewSize))
      __builtin_trap();

    memcpy(snap.trial, snap.idle, kFlashSize);
    ByteFlash trial(snap.trial, kFlashSize);
    uint8_t sha[crypto::kSha256Size];
    crypto::Sha256 h;
    h.update(img.new_image, kNewSize);
    h.finish(sha);
    AppBoot staging(trial, kLayout, rtc);
    if (!BootLoader(trial, kLayout, rtc).boot().bootable ||
        !staging.load() ||  // the command's id follows the last one in the journal
        !staging.stage(staged_address(), kNewSize, sha))
      __builtin_trap();
    if (BootLoader(trial, kLayout, rtc).boot().action != BootAction::upgraded) __builtin_trap();

    memcpy(snap.confirmed, snap.trial, kFlashSize);
    ByteFlash confirmed(snap.confirmed, kFlashSize);
    AppBoot confirming(confirmed, kLayout, rtc);
    if (!BootLoader(confirmed, kLayout, rtc).boot().bootable || !confirming.load() || !confirming.confirm())
      __builtin_trap();
    return &snap;
  }();
  return *built;
}

}  // namespace otakit::fuzz
