// Whole-file reads and atomic writes for host tools (write to a temp file, fsync, rename).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace otakit::host {

using Bytes = std::vector<uint8_t>;

// Reads a whole file; throws std::runtime_error with the path and the OS reason.
Bytes read_file(const std::string& path);
// Writes atomically: readers see the old file or the new one, never a partial one.
void write_file_atomic(const std::string& path, const uint8_t* data, size_t len);
inline void write_file_atomic(const std::string& path, const Bytes& data) {
  write_file_atomic(path, data.data(), data.size());
}
bool file_exists(const std::string& path);

}  // namespace otakit::host
