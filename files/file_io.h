// Whole-file reads and atomic writes on POSIX (write to a temp file, fsync, rename), for one
// file or for several that must appear together or not at all. Used by the tools, the platform
// stand-ins and the virtual device alike.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace otakit::files {

using Bytes = std::vector<uint8_t>;

// Reads a whole file; throws std::runtime_error with the path and the OS reason.
Bytes read_file(const std::string& path);
// Writes atomically: readers see the old file or the new one, never a partial one.
void write_file_atomic(const std::string& path, const uint8_t* data, size_t len);
inline void write_file_atomic(const std::string& path, const Bytes& data) {
  write_file_atomic(path, data.data(), data.size());
}
bool file_exists(const std::string& path);

// Files that are written together: each goes to a temporary beside its target, and only once all
// are written does commit() rename them into place, so a failure (an unwritable folder, a full
// disk) leaves every target as it was. Temporaries not committed are removed by the destructor.
class FileBatch {
 public:
  FileBatch() = default;
  FileBatch(const FileBatch&) = delete;
  FileBatch& operator=(const FileBatch&) = delete;
  ~FileBatch();

  // Throws std::runtime_error with the path and the OS reason.
  void add(const std::string& path, const Bytes& data);
  // Renames every file into place; throws on a failed rename (the rare case that can leave the
  // earlier targets replaced, as two renames cannot be one).
  void commit();

 private:
  struct Staged {
    std::string temporary;
    std::string target;
  };
  std::vector<Staged> staged_;
};

}  // namespace otakit::files
