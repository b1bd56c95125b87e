// Where a virtual device keeps its state: the flash file and, next to it, the RTC memory file
// and the JSON state file that `otakit device status` reads.
#pragma once
#include <string>

namespace otakit::device {

struct DeviceFiles {
  std::string flash;  // the flash image (what a chip's SPI flash holds)
  std::string rtc;    // user RTC memory: kept across soft reboots, lost on power cycle
  std::string state;  // JSON written after each boot and on every event, for status/tools
};

DeviceFiles device_files_for(const std::string& flash_path);

}  // namespace otakit::device
