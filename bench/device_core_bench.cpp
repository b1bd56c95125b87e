// Device-core figures, each beside a baseline: heap use of the write path, flash wear of one
// update including the boot swap (against writing each image sector once, as eboot's plain copy
// does), and the time to stage and boot a 1 MiB image on file-backed flash.
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <new>
#include <vector>

#include "core/boot/app_boot.h"
#include "core/boot/loader.h"
#include "core/boot/sector_table.h"
#include "core/updater/updater.h"
#include "host/image_builder.h"
#include "platform/posix/emulated_flash.h"
#include "platform/posix/file_flash.h"

namespace {

std::atomic<uint64_t> g_allocations{0}, g_bytes{0};

}  // namespace

void* operator new(std::size_t n) {
  ++g_allocations;
  g_bytes += n;
  if (void* p = std::malloc(n)) return p;
  throw std::bad_alloc();
}
// GCC sees malloc'd memory (from the operator new above, once inlined) reach free() and calls it
// a new/delete mismatch; it is the same allocator on both sides.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace {

using namespace otakit;
using Clock = std::chrono::steady_clock;

std::vector<uint8_t> image_of(uint32_t size, uint32_t seed) {
  host::ImageSpec spec;
  spec.total_size = size;
  spec.seed = seed;
  spec.size_code = 4;  // 4 MiB
  return host::build_esp_image(spec);
}

bool stage(Updater& u, const std::vector<uint8_t>& image) {
  if (!u.begin(uint32_t(image.size()))) return false;
  for (size_t at = 0; at < image.size(); at += 1460) {
    uint32_t n = uint32_t(std::min<size_t>(1460, image.size() - at));
    if (u.write(image.data() + at, n) != n) return false;
  }
  return u.end();
}

// Baseline: the original eboot's copy_raw, erase + write of each sector, no journal, no rollback.
void eboot_copy(Flash& flash, uint32_t src, uint32_t size) {
  std::vector<uint8_t> buf(kSectorSize);
  for (uint32_t at = 0; at < size; at += kSectorSize) {
    flash.read(src + at, buf.data(), kSectorSize);
    flash.erase_sector(at / kSectorSize);
    flash.write(at, buf.data(), kSectorSize);
  }
}

struct Wear {
  uint64_t erases = 0, writes = 0, max_erases = 0;
};
Wear total_wear(const posix::EmulatedFlash& flash) {
  Wear w;
  for (const auto& s : flash.wear()) {
    w.erases += s.erases;
    w.writes += s.writes;
    w.max_erases = std::max<uint64_t>(w.max_erases, s.erases);
  }
  return w;
}

}  // namespace

int main() {
  const FlashLayout& layout = *find_layout("4M1M");
  const uint32_t kImage = kMaxSwapSectors * kSectorSize;  // the largest swap: 1016 KiB
  auto old_image = image_of(kImage - 4096 * 3, 1);
  auto new_image = image_of(kImage, 2);

  // 1. Heap use of the write path (begin/write/end) with everything else already set up.
  posix::MemoryFlash mem(layout.flash_size);
  VolatileRtcMemory rtc;
  BootLoader loader(mem, layout, rtc);
  loader.provision(old_image.data(), uint32_t(old_image.size()));
  AppBoot boot(mem, layout, rtc);
  boot.load();
  Updater updater(mem, layout, boot);
  uint64_t a0 = g_allocations, b0 = g_bytes;
  bool ok = stage(updater, new_image);
  uint64_t allocations = g_allocations - a0, bytes = g_bytes - b0;
  fmt::print("write path (stage {} KiB through Updater)", kImage / 1024);
  fmt::print(": ok={} heap allocations={} heap bytes={}\n", ok, allocations,
             bytes);
  fmt::print("  static RAM: Updater {} bytes (one {} B sector buffer), AppBoot {} bytes; BootLoader {} bytes "
             "(at boot only)\n", sizeof(Updater), Updater::kBufferSize, sizeof(AppBoot), sizeof(BootLoader));

  // 2. Wear for one update including the boot swap, against eboot's plain copy of the same image.
  mem.reset_wear();
  posix::MemoryFlash base(layout.flash_size);
  {
    Updater u2(mem, layout, boot);
    stage(u2, image_of(kImage, 3));  // a fresh update, counted from staging to the swapped boot
    BootLoader b2(mem, layout, rtc);
    b2.boot();
  }
  Wear ours = total_wear(mem);
  uint32_t sectors = kImage / kSectorSize;
  // Baseline: stage (erase+write each sector once) + eboot copy (erase+write each sector once).
  for (uint32_t s = 0; s < sectors; ++s) {
    base.erase_sector(0x200000 / kSectorSize + s);
    base.write(0x200000 + s * kSectorSize, new_image.data() + s * kSectorSize, kSectorSize);
  }
  eboot_copy(base, 0x200000, kImage);
  Wear eboot = total_wear(base);
  fmt::print("wear for one {} KiB update (stage + boot):\n", kImage / 1024);
  fmt::print("  {:<34} {:>8} {:>8} {:>16}\n", "", "erases", "writes", "max erases/sector");
  fmt::print("  {:<34} {:>8} {:>8} {:>16}\n", "minimum (each image sector once)", sectors, sectors, 1);
  fmt::print("  {:<34} {:>8} {:>8} {:>16}\n", "eboot copy (no rollback, unsafe)", eboot.erases, eboot.writes,
             eboot.max_erases);
  fmt::print("  {:<34} {:>8} {:>8} {:>16}\n", "otakit swap (journaled, rollback)", ours.erases, ours.writes,
             ours.max_erases);
  fmt::print("  ratio otakit/minimum: erases {:.2f}x, writes {:.2f}x; otakit/eboot: erases {:.2f}x\n",
             double(ours.erases) / sectors, double(ours.writes) / sectors, double(ours.erases) / eboot.erases);

  // 3. Time to stage + boot 1 MiB on file-backed flash, against eboot's plain copy on the same file.
  std::string path = fmt::format("/tmp/otakit-bench-{}.bin", ::getpid());
  double ours_ms = 0, base_ms = 0;
  {
    auto file = posix::FileFlash::open(path, layout.flash_size);
    BootLoader(file, layout, rtc).provision(old_image.data(), uint32_t(old_image.size()));
    AppBoot b(file, layout, rtc);
    b.load();
    auto t0 = Clock::now();
    Updater u(file, layout, b);
    stage(u, new_image);
    BootLoader after(file, layout, rtc);
    BootReport r = after.boot();
    ours_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (r.action != BootAction::upgraded) fmt::print("unexpected boot result: {}\n", describe(r.action));
    t0 = Clock::now();
    for (uint32_t s = 0; s < sectors; ++s) file.erase_sector(0x200000 / kSectorSize + s);
    for (uint32_t at = 0; at < kImage; at += kSectorSize) file.write(0x200000 + at, new_image.data() + at, kSectorSize);
    eboot_copy(file, 0x200000, kImage);
    base_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  }
  ::unlink(path.c_str());
  fmt::print("stage + boot {} KiB on file-backed flash: otakit {:.1f} ms, eboot-style copy {:.1f} ms, ratio {:.2f}x\n",
             kImage / 1024, ours_ms, base_ms, ours_ms / base_ms);
  return ok && allocations == 0 ? 0 : 1;
}
