#include "files/file_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <sys/stat.h>

namespace otakit::files {
namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path) {
  throw std::runtime_error(what + " " + path + ": " + std::strerror(errno));
}

// Writes data to a new temporary file beside path (named with tag, so a batch may stage several)
// and flushes it to disk; returns its name.
std::string write_temporary(const std::string& path, const uint8_t* data, size_t len, const std::string& tag) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid()) + tag;
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("cannot create", tmp);
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::write(fd, data + done, len - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int saved = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      errno = saved;
      fail("cannot write", tmp);
    }
    done += size_t(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    fail("cannot flush", tmp);
  }
  return tmp;
}

void rename_into_place(const std::string& tmp, const std::string& path) {
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int saved = errno;
    ::unlink(tmp.c_str());
    errno = saved;
    fail("cannot rename to", path);
  }
}

}  // namespace

Bytes read_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("cannot open", path);
  Bytes out;
  uint8_t chunk[65536];
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n < 0) {
      if (errno == EINTR) continue;
      int saved = errno;
      ::close(fd);
      errno = saved;
      fail("cannot read", path);
    }
    if (n == 0) break;
    out.insert(out.end(), chunk, chunk + n);
  }
  ::close(fd);
  return out;
}

void write_file_atomic(const std::string& path, const uint8_t* data, size_t len) {
  rename_into_place(write_temporary(path, data, len, ""), path);
}

FileBatch::~FileBatch() {
  for (const Staged& file : staged_) ::unlink(file.temporary.c_str());
}

void FileBatch::add(const std::string& path, const Bytes& data) {
  std::string tag = "." + std::to_string(staged_.size());
  staged_.push_back({write_temporary(path, data.data(), data.size(), tag), path});
}

void FileBatch::commit() {
  while (!staged_.empty()) {
    Staged file = staged_.front();
    staged_.erase(staged_.begin());
    rename_into_place(file.temporary, file.target);  // on failure the destructor removes the rest
  }
}

bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace otakit::files
