#include "platform/posix/file_flash.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace otakit::posix {

FileFlash FileFlash::open(const std::string& path, uint32_t size) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot open flash file " + path + ": " + std::strerror(errno));
  struct stat st;
  ::fstat(fd, &st);
  bool created = st.st_size == 0;
  if (!created && uint64_t(st.st_size) != size) {
    ::close(fd);
    throw std::runtime_error("flash file " + path + " has " + std::to_string(st.st_size) +
                             " bytes but the layout needs " + std::to_string(size) +
                             ": pick the layout it was made with, or a new file");
  }
  if (created) {
    std::string ff(65536, '\xff');
    for (uint32_t done = 0; done < size; done += uint32_t(ff.size()))
      if (::write(fd, ff.data(), std::min<size_t>(ff.size(), size - done)) < 0) {
        ::close(fd);
        throw std::runtime_error("cannot fill flash file " + path + ": " + std::strerror(errno));
      }
  }
  void* map = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) throw std::runtime_error("cannot map flash file " + path + ": " + std::strerror(errno));
  return FileFlash(static_cast<uint8_t*>(map), size, created);
}

FileFlash::FileFlash(FileFlash&& other) noexcept
    : EmulatedFlash(other.map_, other.size()), map_(other.map_), created_(other.created_) {
  other.map_ = nullptr;
}

FileFlash::~FileFlash() {
  if (map_ != nullptr) {
    ::msync(map_, size(), MS_SYNC);
    ::munmap(map_, size());
  }
}

}  // namespace otakit::posix
