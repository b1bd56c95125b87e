// Flash backed by a file (mmap'd, MAP_SHARED): the virtual device's flash survives process exit
// and crashes, as a chip's does. Faults and wear counters come from EmulatedFlash.
#pragma once
#include <string>

#include "platform/posix/emulated_flash.h"

namespace otakit::posix {

class FileFlash : public EmulatedFlash {
 public:
  // Opens `path`, creating it filled with 0xFF at `size` bytes if it does not exist.
  // Throws std::runtime_error if it exists with another size or cannot be mapped.
  static FileFlash open(const std::string& path, uint32_t size);
  FileFlash(FileFlash&& other) noexcept;
  FileFlash(const FileFlash&) = delete;
  FileFlash& operator=(const FileFlash&) = delete;
  FileFlash& operator=(FileFlash&&) = delete;
  ~FileFlash();

  bool created() const { return created_; }

 private:
  FileFlash(uint8_t* map, uint32_t size, bool created) : EmulatedFlash(map, size), map_(map), created_(created) {}
  uint8_t* map_;
  bool created_;
};

}  // namespace otakit::posix
