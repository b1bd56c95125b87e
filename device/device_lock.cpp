#include "device/device_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "device/device_errors.h"

namespace otakit::device {

DeviceLock::DeviceLock(const std::string& flash_path) {
  std::string path = flash_path + ".lock";
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0)
    throw DeviceInputError("cannot create " + path + " (" + std::strerror(errno) +
                           "): the folder of --flash must exist and be writable");
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    char pid[32] = {};
    ssize_t n = ::pread(fd_, pid, sizeof(pid) - 1, 0);
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error("a device is running on " + flash_path + " (pid " +
                             std::string(pid, n > 0 ? size_t(n) : 0) +
                             "); stop it first, or use its control socket (otakit device confirm/reboot)");
  }
  std::string me = std::to_string(::getpid());
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, me.data(), me.size(), 0) < 0) {
    // The PID is informational only; the lock itself is what matters.
  }
}

DeviceLock::~DeviceLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace otakit::device
