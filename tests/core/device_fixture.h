// A device in memory for core tests (device::Device over an in-memory flash), plus image
// helpers.
#pragma once
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "core/boot/loader.h"
#include "device/device.h"
#include "core/flash/layout.h"
#include "core/image/app_descriptor.h"
#include "core/image/esp_image.h"
#include "core/updater/updater.h"
#include "platform/posix/emulated_flash.h"

namespace otakit::testing {

// Appends one segment of `len` bytes at load address `load` (pseudo-random, or in runs of 512
// when compressible) and folds it into the checksum.
inline void add_segment(std::vector<uint8_t>& image, uint32_t load, uint32_t len, std::mt19937& rng, uint8_t* sum,
                        bool compressible = false) {
  for (int i = 0; i < 4; ++i) image.push_back(uint8_t(load >> (8 * i)));
  for (int i = 0; i < 4; ++i) image.push_back(uint8_t(len >> (8 * i)));
  const uint8_t run = uint8_t(rng());
  for (uint32_t i = 0; i < len; ++i) {
    image.push_back(compressible ? uint8_t((i / 512) * run) : uint8_t(rng()));
    *sum ^= image.back();
  }
}

// Pads to the 16-byte boundary after the segments and stores the checksum in its last byte.
inline void end_image(std::vector<uint8_t>& image, uint8_t sum) {
  size_t end = (image.size() + 16) & ~size_t(15);
  image.resize(end, 0);
  image[end - 1] = sum;
}

inline void add_header(std::vector<uint8_t>& image, uint8_t segments, uint8_t size_code) {
  const uint8_t h[8] = {0xE9, segments, 3, uint8_t(size_code << 4), 0x00, 0x10, 0x20, 0x40};
  image.insert(image.end(), h, h + 8);
}

// A valid ESP8266 firmware file of exactly `size` bytes (>= 64): eboot at 0 and the application
// at 0x1000 with an OTAKit descriptor when it is large enough, the application alone otherwise;
// 0-15 random bytes may follow the application's checksum. size_code 0 (512K) suits every chip.
// compressible: the last (large) segment holds runs, as code and padding compress.
inline std::vector<uint8_t> make_image(uint32_t size, uint32_t seed, uint32_t security_version = 0,
                                       uint8_t size_code = 0, bool compressible = false) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> image;
  uint8_t sum = kEspChecksumSeed;
  const uint32_t first = 0x100, with_boot = kAppOffset + 24 + first + 32;
  if (size >= with_boot) {
    add_header(image, 1, size_code);
    add_segment(image, 0x4010F000, 0x100, rng, &sum);
    end_image(image, sum);
    image.resize(kAppOffset, kEbootPaddingByte);
    sum = kEspChecksumSeed;
    add_header(image, 2, size_code);
    add_segment(image, 0x40201010, first, rng, &sum);
    AppDescriptor d;
    d.security_version = security_version;
    std::snprintf(d.version, sizeof(d.version), "test-%u", seed);
    std::snprintf(d.project, sizeof(d.project), "otakit-tests");
    uint8_t record[kAppDescriptorSize];
    encode_app_descriptor(d, record);
    for (uint32_t i = 0; i < kAppDescriptorSize; ++i) {  // replace bytes 8.. of the first segment
      uint8_t& b = image[kAppDescriptorOffset + i];
      sum ^= b ^ record[i];
      b = record[i];
    }
  } else {
    add_header(image, 1, size_code);
  }
  uint32_t rest = (size & ~15u) - uint32_t(image.size()) - 8 - 16;
  add_segment(image, 0x3FFE8000, rest, rng, &sum, compressible);
  end_image(image, sum);
  while (image.size() < size) image.push_back(uint8_t(rng()));
  return image;
}

// device::Device over an in-memory flash, with the handles tests reach for. It stays on trial
// after an upgrade (no auto-confirm) so tests decide when to confirm.
struct Device {
  explicit Device(const char* layout_name = "1M")
      : layout(*find_layout(layout_name)), flash(layout.flash_size), device({flash, rtc, layout, {}, nullptr}),
        options(device.parts().boot) {
    device.set_auto_confirm(false);
    reboot();
  }

  // A reset: RTC memory survives. Returns the boot report.
  BootReport reboot() {
    device.parts().verifier = verifier;
    BootReport report = device.reboot();
    boot = &device.ota().app_boot();
    updater = &device.updater();
    return report;
  }
  // A power cycle: RTC memory is lost, faults are cleared, then the boot path runs.
  BootReport power_cycle() {
    flash.clear_faults();
    device.parts().verifier = verifier;
    BootReport report = device.power_cycle();
    boot = &device.ota().app_boot();
    updater = &device.updater();
    return report;
  }

  // Factory install; the journal it starts is read at once, as after a boot.
  bool provision(const std::vector<uint8_t>& image) { return device.provision(image) && device.ota().start(); }
  bool stage(const std::vector<uint8_t>& image, UpdateCommand command = UpdateCommand::flash,
             uint32_t chunk = 1460) {
    return device.stage(image, command, chunk);
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
  device::Device device;
  BootOptions& options;                                 // the device's; applied at the next boot
  const crypto::SignatureVerifier* verifier = nullptr;  // handed to the Updater at every boot
  AppBoot* boot = nullptr;                              // this boot's; replaced by every reboot
  Updater* updater = nullptr;
};

}  // namespace otakit::testing
