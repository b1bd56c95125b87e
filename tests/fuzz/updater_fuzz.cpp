// Any upload in any pieces: the Updater leaves the running image and the boot area alone and writes a
// boot command exactly when end() succeeds, for an image the rule passes and the next boot swaps in.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <vector>

#include "core/boot/boot_command.h"
#include "core/boot/app_boot.h"
#include "core/boot/loader.h"
#include "core/image/esp_image.h"
#include "core/updater/updater.h"
#include "platform/posix/zlib_inflater.h"
#include "tests/fuzz/fuzz_device.h"

namespace {

using namespace otakit;
using fuzz::kFlashSize;
using fuzz::kLayout;

// Input: mode, size delta, four chunk-size bytes, then the upload. Mode bit 0 picks the running
// image (the old one as provisioned, or the new one confirmed); bit 1 repairs the upload's ESP
// checksums so that mutations get past them; bits 2-3 pick the size announced to begin(): exact,
// short by the delta (write() overruns), long by it (end() is premature), or long with end(true).
constexpr size_t kInputHeader = 6;
enum Announce : uint8_t { exact, too_short, too_long, too_long_take_received };

uint32_t chunk_size(uint8_t b) { return ((b & 0x1Fu) + 1u) << (b >> 5); }  // 1 to 4096 bytes

uint32_t announced_size(uint8_t mode, uint8_t delta_byte, uint32_t upload_size) {
  const uint32_t delta = 1u + (delta_byte & 0x3Fu);
  switch (Announce((mode >> 2) & 3)) {
    case exact: return upload_size;
    case too_short: return upload_size > delta ? upload_size - delta : 1;
    default: return upload_size + delta;
  }
}

// Sets each checksum byte the parser finds wrong: the eboot image's first, then the app's.
void repair_checksums(std::vector<uint8_t>& upload) {
  for (int image = 0; image < 2; ++image) {
    EspFile file;
    ImageDiagnosis d = parse_esp_file(upload.data(), uint32_t(upload.size()), &file);
    if (d.error != ImageError::checksum_mismatch) return;
    upload[d.offset] = uint8_t(d.expected);
  }
}

// Feeds the upload in the input's chunk sizes; false as soon as the Updater takes less.
bool send(Updater& updater, const std::vector<uint8_t>& upload, const uint8_t* chunk_bytes) {
  size_t at = 0;
  for (uint32_t i = 0; at < upload.size(); ++i) {
    uint32_t n = chunk_size(chunk_bytes[i % 4]);
    if (n > upload.size() - at) n = uint32_t(upload.size() - at);
    if (updater.write(upload.data() + at, n) != n) return false;
    at += n;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < kInputHeader || size > kFlashSize) return 0;
  const uint8_t mode = data[0];
  std::vector<uint8_t> upload(data + kInputHeader, data + size);
  if (mode & 2) repair_checksums(upload);

  const fuzz::Snapshots& snap = fuzz::snapshots();
  const uint8_t* const before = mode & 1 ? snap.confirmed : snap.idle;
  const uint8_t* const running = mode & 1 ? fuzz::images().new_image : fuzz::images().old_image;
  const uint32_t running_size = mode & 1 ? fuzz::kNewSize : fuzz::kOldSize;
  static uint8_t bytes[kFlashSize];
  memcpy(bytes, before, kFlashSize);
  fuzz::ByteFlash flash(bytes, kFlashSize);
  fuzz::ByteRtc rtc;
  posix::ZlibInflater inflater;
  BootOptions options;
  options.inflater = &inflater;
  if (!BootLoader(flash, kLayout, rtc, options).boot().bootable) __builtin_trap();
  AppBoot boot(flash, kLayout, rtc);
  if (!boot.load()) __builtin_trap();

  Updater updater(flash, kLayout, boot);
  updater.set_inflater(&inflater);
  bool ended = false;
  if (updater.begin(announced_size(mode, data[1], uint32_t(upload.size())))) {
    send(updater, upload, data + 2);
    ended = updater.end(((mode >> 2) & 3) == too_long_take_received);
  }

  // The running image's sectors and the boot area are exactly as they were.
  const uint32_t boot_area = kLayout.boot_area_start(), boot_area_size = kLayout.fs_start - boot_area;
  if (memcmp(bytes, running, running_size) != 0 || memcmp(bytes, before, round_up_4k(running_size)) != 0 ||
      memcmp(bytes + boot_area, before + boot_area, boot_area_size) != 0)
    __builtin_trap();

  EbootCommand command;
  const bool commanded = read_eboot_command(rtc, &command) == CommandStatus::valid;
  if (commanded != ended) __builtin_trap();
  if (!ended) return 0;

  // What was staged passes the rule, and the next boot swaps exactly those bytes in.
  const uint32_t staged = command.args[0], staged_size = command.args[2];
  if (command.action != EbootAction::copy_raw || staged != updater.staged_address() || staged_size == 0 ||
      staged > kFlashSize || staged_size > kFlashSize - staged)
    __builtin_trap();
  FlashRegionReader image(flash, staged, staged_size);
  if (!check_inflated_image(image, boot.image_rules()).ok()) __builtin_trap();
  const std::vector<uint8_t> staged_bytes(bytes + staged, bytes + staged + staged_size);
  BootReport report = BootLoader(flash, kLayout, rtc, options).boot();
  if (report.action != BootAction::upgraded || memcmp(bytes, staged_bytes.data(), staged_size) != 0)
    __builtin_trap();
  return 0;
}
