#include "platform/posix/resume_store_file.h"

#include <cerrno>
#include <cstdio>
#include <stdexcept>

#include "files/file_io.h"

namespace otakit::posix {

bool ResumeStoreFile::load(pull::ResumeRecord* out) {
  FILE* f = std::fopen(path_.c_str(), "rb");
  if (f == nullptr) return false;
  uint8_t bytes[pull::kResumeRecordSize + 1];
  size_t n = std::fread(bytes, 1, sizeof(bytes), f);
  std::fclose(f);
  uint32_t sequence = 0;
  return n == pull::kResumeRecordSize && pull::decode_resume_record(bytes, out, &sequence) == pull::ResumeSlot::record;
}

bool ResumeStoreFile::save(const pull::ResumeRecord& record) {
  if (!pull::resume_record_plausible(record)) return false;
  uint8_t bytes[pull::kResumeRecordSize];
  pull::encode_resume_record(record, 1, bytes);
  try {
    files::write_file_atomic(path_, bytes, sizeof(bytes));
  } catch (const std::runtime_error&) {
    return false;
  }
  return true;
}

bool ResumeStoreFile::clear() { return std::remove(path_.c_str()) == 0 || errno == ENOENT; }

}  // namespace otakit::posix
