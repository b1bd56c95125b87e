#include "platform/posix/rtc_memory_file.h"

#include <cstdio>
#include <cstring>

#include "files/file_io.h"

namespace otakit::posix {

RtcMemoryFile::RtcMemoryFile(std::string path) : path_(std::move(path)) {
  if (FILE* f = std::fopen(path_.c_str(), "rb")) {
    size_t n = std::fread(bytes_, 1, sizeof(bytes_), f);
    std::fclose(f);
    if (n != sizeof(bytes_)) std::memset(bytes_, 0, sizeof(bytes_));
  }
}

bool RtcMemoryFile::read(uint32_t offset, void* out, uint32_t len) {
  if (len == 0 || offset > kRtcUserMemorySize || len > kRtcUserMemorySize - offset) return false;
  std::memcpy(out, bytes_ + offset, len);
  return true;
}

bool RtcMemoryFile::write(uint32_t offset, const void* data, uint32_t len) {
  if (len == 0 || offset > kRtcUserMemorySize || len > kRtcUserMemorySize - offset) return false;
  std::memcpy(bytes_ + offset, data, len);
  files::write_file_atomic(path_, bytes_, sizeof(bytes_));
  return true;
}

void RtcMemoryFile::power_loss() {
  std::memset(bytes_, 0, sizeof(bytes_));
  std::remove(path_.c_str());
}

}  // namespace otakit::posix
