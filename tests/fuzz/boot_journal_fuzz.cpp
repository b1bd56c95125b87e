// Any damage to the sector table and both journal sectors: a boot that says "bootable" runs exactly the
// old or the new image, with a journal whose active record describes it; and so does the next boot.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/boot/loader.h"
#include "core/crypto/digest.h"
#include "tests/fuzz/fuzz_device.h"

namespace {

using namespace otakit;
using fuzz::kFlashSize;
using fuzz::kLayout;

// The sector table and both journal sectors, which follow it.
const uint32_t kDamageStart = kLayout.sector_table_address();
constexpr uint32_t kDamageSize = 3 * kSectorSize;

// Overwrites the damaged area with (offset high, offset low, length, bytes...) triples.
void damage(uint8_t* bytes, const uint8_t* in, size_t len) {
  while (len >= 3) {
    uint32_t offset = uint32_t(in[0] << 8 | in[1]) % kDamageSize;
    uint32_t n = in[2];
    in += 3;
    len -= 3;
    if (n > len) n = uint32_t(len);
    if (n > kDamageSize - offset) n = kDamageSize - offset;
    memcpy(bytes + kDamageStart + offset, in, n);
    in += n;
    len -= n;
  }
}

bool sha_of_prefix_is(const uint8_t* image, uint32_t size, const uint8_t sha256[crypto::kSha256Size]) {
  uint8_t digest[crypto::kSha256Size];
  crypto::Sha256 h;
  h.update(image, size);
  h.finish(digest);
  return memcmp(digest, sha256, sizeof(digest)) == 0;
}

// A bootable report means: the old or the new image, whole, in the primary, and an active record
// covering it: all of its bytes, or (adopted after the journal was lost) up to its checksum.
void check_boot(const uint8_t* bytes, const BootLoader& boot, const BootReport& report) {
  if (strnlen(report.detail, sizeof(report.detail)) >= sizeof(report.detail)) __builtin_trap();
  if (report.action == BootAction::flash_error) __builtin_trap();  // the flash itself is healthy
  if (!report.bootable) return;
  const BootState& s = boot.state();
  if (!s.has_active || s.phase == BootPhase::swapping) __builtin_trap();
  const fuzz::Images& img = fuzz::images();
  const bool old_runs = memcmp(bytes, img.old_image, fuzz::kOldSize) == 0;
  const bool new_runs = memcmp(bytes, img.new_image, fuzz::kNewSize) == 0;
  if (!old_runs && !new_runs) __builtin_trap();
  const uint8_t* image = new_runs ? img.new_image : img.old_image;
  const uint32_t size = new_runs ? fuzz::kNewSize : fuzz::kOldSize;
  if (s.active.size != size && s.active.size != (size & ~15u)) __builtin_trap();
  if (!sha_of_prefix_is(image, s.active.size, s.active.sha256)) __builtin_trap();
}

}  // namespace

// Input: which snapshot (idle with an image staged, new image on trial, new image confirmed),
// then the damage.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const fuzz::Snapshots& snap = fuzz::snapshots();
  const uint8_t* const start[3] = {snap.idle, snap.trial, snap.confirmed};
  static uint8_t bytes[kFlashSize];
  memcpy(bytes, start[data[0] % 3], kFlashSize);
  damage(bytes, data + 1, size - 1);

  fuzz::ByteFlash flash(bytes, kFlashSize);
  fuzz::ByteRtc rtc;
  bool first_bootable = false;
  {
    BootLoader boot(flash, kLayout, rtc);
    BootReport report = boot.boot();
    check_boot(bytes, boot, report);
    first_bootable = report.bootable;
  }
  BootLoader again(flash, kLayout, rtc);
  BootReport report = again.boot();
  check_boot(bytes, again, report);
  if (first_bootable && !report.bootable) __builtin_trap();  // nothing was damaged in between
  return 0;
}
