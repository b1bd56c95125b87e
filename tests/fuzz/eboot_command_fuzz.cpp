// RTC memory holds whatever the application, a crash or a glitch left there. The eboot command
// decoder must round-trip what it accepts, and the boot path, handed any command on a device that
// is idle with an image staged, has an image on trial or has just confirmed one, must stay bootable
// with a journal that tells the truth about the bytes in flash (the running image and the rollback
// copy match their recorded hashes).
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/boot/boot_command.h"
#include "core/boot/loader.h"
#include "core/crypto/digest.h"
#include "core/util/bytes.h"
#include "core/util/crc32_mpeg2.h"
#include "tests/fuzz/byte_flash.h"
#include "tests/fuzz/fuzz_device.h"

namespace {

using namespace otakit;
using fuzz::ByteRtc;

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

void check_device(Flash& flash, const BootLoader& boot, const BootReport& report) {
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
  static uint8_t bytes[fuzz::kFlashSize];
  const fuzz::Snapshots& snap = fuzz::snapshots();
  const uint8_t* const start[3] = {snap.idle, snap.trial, snap.confirmed};
  memcpy(bytes, start[(data[0] >> 1) % 3], sizeof(bytes));
  fuzz::ByteFlash flash(bytes, sizeof(bytes));
  ByteRtc rtc;
  memcpy(rtc.bytes, block, sizeof(block));
  {
    BootLoader boot(flash, fuzz::kLayout, rtc);
    check_device(flash, boot, boot.boot());
  }
  BootLoader reboot(flash, fuzz::kLayout, rtc);  // a reset: whatever is left in RTC memory runs again
  BootReport report = reboot.boot();
  if (report.journal != JournalStatus::ok) __builtin_trap();
  check_device(flash, reboot, report);
  return 0;
}
