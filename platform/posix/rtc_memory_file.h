// RTC memory kept in a small file next to the flash file, so a "soft reboot" (a new process)
// still sees the eboot command while a "power cycle" (otakit device --power-cycle) loses it.
#pragma once
#include <string>

#include "core/boot/rtc_memory.h"

namespace otakit::posix {

class RtcMemoryFile : public RtcMemory {
 public:
  explicit RtcMemoryFile(std::string path);
  bool read(uint32_t offset, void* out, uint32_t len) override;
  bool write(uint32_t offset, const void* data, uint32_t len) override;
  // Simulates a power cut: the file is removed, so the next read sees zeros.
  void power_loss() override;

 private:
  std::string path_;
  uint8_t bytes_[kRtcUserMemorySize] = {};
};

}  // namespace otakit::posix
