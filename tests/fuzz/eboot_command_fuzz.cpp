// RTC memory holds whatever the application, a crash or a glitch left there. The eboot command
// decoder must round-trip what it accepts, and the boot path, handed any command on a device
// that is idle or has an image on trial, must stay bootable with a journal that tells the truth
// about the bytes in flash (the running image and the rollback copy match their recorded hashes).
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/boot/boot_command.h"
#include "core/boot/boot_control.h"
#include "core/crypto/digest.h"
#include "core/util/bytes.h"
#include "core/util/crc32_mpeg2.h"
#include "tests/fuzz/byte_flash.h"

namespace {

using namespace otakit;

// A small chip keeps every run fast: 128 KiB, boot area at 0x18000, no filesystem.
const FlashLayout kLayout = {"fuzz", 0x20000, 0x1B000, 0x1B000, 0x18000};
constexpr uint32_t kOldSize = 8000, kNewSize = 12001;

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
  uint8_t bytes[kRtcUserMemorySize] = {};
};

struct Snapshots {
  uint8_t idle[0x20000];
  uint8_t trial[0x20000];
};

void fill_image(uint8_t* out, uint32_t size, uint8_t seed) {
  for (uint32_t i = 0; i < size; ++i) out[i] = uint8_t(i * 131u + seed * 7u + (i >> 7));
  out[0] = 0xE9;
}

// The device after provisioning (idle), and after an update swapped in and booted once (trial).
const Snapshots& snapshots() {
  static Snapshots* s = [] {
    static Snapshots snap;
    static uint8_t old_image[kOldSize], new_image[kNewSize];
    fill_image(old_image, kOldSize, 1);
    fill_image(new_image, kNewSize, 2);
    memset(snap.idle, 0xFF, sizeof(snap.idle));
    fuzz::ByteFlash flash(snap.idle, sizeof(snap.idle));
    ByteRtc rtc;
    BootControl boot(flash, kLayout, rtc);
    if (!boot.provision(old_image, kOldSize, 0)) __builtin_trap();
    memcpy(snap.trial, snap.idle, sizeof(snap.idle));
    fuzz::ByteFlash trial_flash(snap.trial, sizeof(snap.trial));
    const uint32_t staged = 0x18000 - 0x3000;
    for (uint32_t at = 0; at < kNewSize; at += kSectorSize) {
      uint32_t n = kNewSize - at < kSectorSize ? kNewSize - at : kSectorSize;
      trial_flash.erase_sector((staged + at) / kSectorSize);
      trial_flash.write(staged + at, new_image + at, n);
    }
    BootControl trial_boot(trial_flash, kLayout, rtc);
    trial_boot.boot();
    uint8_t sha[32];
    crypto::Sha256 h;
    h.update(new_image, kNewSize);
    h.finish(sha);
    if (!trial_boot.stage(staged, kNewSize, sha)) __builtin_trap();
    BootControl after(trial_flash, kLayout, rtc);
    if (after.boot().action != BootAction::upgraded) __builtin_trap();
    return &snap;
  }();
  return *s;
}

bool region_matches(Flash& flash, uint32_t address, const ImageRecord& image) {
  struct Sink {
    static void feed(void* ctx, const uint8_t* d, size_t n) { static_cast<crypto::Sha256*>(ctx)->update(d, n); }
  };
  crypto::Sha256 sha;
  if (flash_stream(flash, address, image.size, Sink::feed, &sha) != FlashStatus::ok) return false;
  uint8_t digest[32];
  sha.finish(digest);
  return memcmp(digest, image.sha256, 32) == 0;
}

void check_device(Flash& flash, const BootControl& boot, const BootReport& report) {
  const BootState& s = boot.state();
  if (!report.bootable || s.phase == BootPhase::swapping) __builtin_trap();
  if (strnlen(report.detail, sizeof(report.detail)) >= sizeof(report.detail)) __builtin_trap();
  if (!region_matches(flash, 0, s.active)) __builtin_trap();
  if (s.phase == BootPhase::trial && !region_matches(flash, s.previous_address, s.previous)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  uint8_t block[kEbootCommandSize] = {};
  memcpy(block, data + 1, size - 1 < sizeof(block) ? size - 1 : sizeof(block));
  if (data[0] & 1) store_le32(block + 124, crc32_mpeg2(block, 124));  // let half the inputs pass the CRC

  // The decoder: what it accepts re-encodes to the same 128 bytes.
  EbootCommand decoded;
  if (decode_eboot_command(block, &decoded) == CommandStatus::valid) {
    uint8_t again[kEbootCommandSize];
    encode_eboot_command(decoded, again);
    if (memcmp(again, block, sizeof(block)) != 0) __builtin_trap();
  }

  // The boot path with that command in RTC memory.
  static uint8_t bytes[0x20000];
  const Snapshots& snap = snapshots();
  memcpy(bytes, data[0] & 2 ? snap.trial : snap.idle, sizeof(bytes));
  fuzz::ByteFlash flash(bytes, sizeof(bytes));
  ByteRtc rtc;
  memcpy(rtc.bytes, block, sizeof(block));
  {
    BootControl boot(flash, kLayout, rtc);
    check_device(flash, boot, boot.boot());
  }
  BootControl reboot(flash, kLayout, rtc);  // a reset: whatever is left in RTC memory runs again
  BootReport report = reboot.boot();
  if (report.journal != JournalStatus::ok) __builtin_trap();
  check_device(flash, reboot, report);
  return 0;
}
