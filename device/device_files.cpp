#include "device/device_files.h"

namespace otakit::device {

DeviceFiles device_files_for(const std::string& flash_path) {
  return DeviceFiles{flash_path, flash_path + ".rtc", flash_path + ".state.json"};
}

}  // namespace otakit::device
