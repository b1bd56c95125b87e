// One process per flash file: the running device holds an exclusive lock on <flash>.lock, and
// offline commands (stage, power-cycle) refuse to touch a flash file that a device is using.
#pragma once
#include <string>

namespace otakit::device {

class DeviceLock {
 public:
  // Throws std::runtime_error naming the holder's PID when another process has the lock, and
  // DeviceInputError when the lock file cannot be made next to the flash file.
  explicit DeviceLock(const std::string& flash_path);
  DeviceLock(const DeviceLock&) = delete;
  DeviceLock& operator=(const DeviceLock&) = delete;
  ~DeviceLock();  // held for the process's life: reboots happen inside it

 private:
  int fd_ = -1;
};

}  // namespace otakit::device
