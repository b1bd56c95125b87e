// The ESP8266's user RTC memory (512 bytes): survives resets and deep sleep, not power loss.
#pragma once
#include <stdint.h>

namespace otakit {

constexpr uint32_t kRtcUserMemorySize = 512;

class RtcMemory {
 public:
  // Offsets and sizes are in bytes; both fail (false) outside the 512 bytes, like rtcUserMemory*.
  virtual bool read(uint32_t offset, void* out, uint32_t len) = 0;
  virtual bool write(uint32_t offset, const void* data, uint32_t len) = 0;
  // The power went away: the contents become garbage, as on the chip.
  virtual void power_loss() = 0;

 protected:
  ~RtcMemory() = default;
};

// RTC memory in RAM: what a test or the virtual device uses between two boots of one power cycle.
class VolatileRtcMemory : public RtcMemory {
 public:
  bool read(uint32_t offset, void* out, uint32_t len) override;
  bool write(uint32_t offset, const void* data, uint32_t len) override;
  void power_loss() override;
  uint8_t* bytes() { return bytes_; }

 private:
  uint8_t bytes_[kRtcUserMemorySize] = {};
};

}  // namespace otakit
