// A device in memory for core tests: flash, RTC memory, boot control and Updater, plus image
// helpers. "Reboot" rebuilds the boot objects over the same flash, as a reset does.
#pragma once
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "core/boot/boot_control.h"
#include "core/flash/layout.h"
#include "core/image/app_descriptor.h"
#include "core/updater/updater.h"
#include "platform/posix/emulated_flash.h"

namespace otakit::testing {

// Random bytes shaped like an ESP flash image: eboot magic at 0, an app header at 0x1000 whose
// first segment holds an OTAKit descriptor (when the image is large enough).
inline std::vector<uint8_t> make_image(uint32_t size, uint32_t seed, uint32_t security_version = 0) {
  std::vector<uint8_t> image(size);
  std::mt19937 rng(seed);
  for (auto& b : image) b = uint8_t(rng());
  image[0] = 0xE9;
  if (size >= 3) image[3] = 0x20;  // 1 MiB flash size code
  if (size >= kAppDescriptorOffset + kAppDescriptorSize + 0x100) {
    uint8_t* app = image.data() + kAppOffset;
    const uint8_t header[16] = {0xE9, 1, 0, 0x20, 0, 0, 0x20, 0x40, 0x10, 0x10, 0x20, 0x40, 0x00, 0x01, 0, 0};
    std::memcpy(app, header, sizeof(header));  // one segment of 0x100 bytes at 0x40201010
    AppDescriptor d;
    d.security_version = security_version;
    std::snprintf(d.version, sizeof(d.version), "test-%u", seed);
    std::snprintf(d.project, sizeof(d.project), "otakit-tests");
    encode_app_descriptor(d, image.data() + kAppDescriptorOffset);
  }
  return image;
}

struct Device {
  explicit Device(const char* layout_name = "1M")
      : layout(*find_layout(layout_name)), flash(layout.flash_size) {
    reboot();
  }

  // A reset: RTC memory survives. Returns the boot report.
  BootReport reboot() {
    updater.reset();
    boot = std::make_unique<BootControl>(flash, layout, rtc, options);
    BootReport report = boot->boot();
    updater = std::make_unique<Updater>(flash, layout, *boot);
    return report;
  }
  // A power cycle: RTC memory is lost, faults are cleared, then the boot path runs.
  BootReport power_cycle() {
    rtc.power_loss();
    flash.clear_faults();
    return reboot();
  }

  bool stage(const std::vector<uint8_t>& image, UpdateCommand command = UpdateCommand::flash,
             uint32_t chunk = 1460) {
    if (!updater->begin(uint32_t(image.size()), command)) return false;
    for (size_t at = 0; at < image.size(); at += chunk) {
      uint32_t n = uint32_t(std::min<size_t>(chunk, image.size() - at));
      if (updater->write(image.data() + at, n) != n) return false;
    }
    return updater->end();
  }

  // True if the primary slot holds exactly `image` and the journal says so.
  bool runs(const std::vector<uint8_t>& image) {
    const BootState& s = boot->state();
    if (!s.has_active || s.active.size != image.size()) return false;
    return std::memcmp(flash.bytes().data(), image.data(), image.size()) == 0;
  }

  const FlashLayout& layout;
  posix::MemoryFlash flash;
  VolatileRtcMemory rtc;
  BootOptions options;
  std::unique_ptr<BootControl> boot;
  std::unique_ptr<Updater> updater;
};

}  // namespace otakit::testing
