// The pull client's resume record (core/pull/resume_store.h) in a small file, for the virtual
// device: the same 256-byte encoding and CRC as a flash slot, replaced atomically (written to a
// temporary, flushed, renamed), so a crash leaves the old record or the new one, never a mix; a
// file damaged any other way fails its CRC and counts as no record.
#pragma once
#include <string>

#include "core/pull/resume_store.h"

namespace otakit::posix {

class ResumeStoreFile final : public pull::ResumeStore {
 public:
  // path: where the record lives, e.g. next to the device's flash file. Nothing is opened yet.
  explicit ResumeStoreFile(std::string path) : path_(std::move(path)) {}

  bool load(pull::ResumeRecord* out) override;
  bool save(const pull::ResumeRecord& record) override;  // false when the file cannot be written
  bool clear() override;                                 // removes the file

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace otakit::posix
