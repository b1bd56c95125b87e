// UpdaterSink: begin keeps set_md5's reason past the abort, and every call after begin acts only
// on the update this sink began (core/updater/update_sink.h).
#include "core/updater/update_sink.h"

#include "core/util/text.h"

namespace otakit {

bool UpdaterSink::begin(uint32_t size, UpdateCommand command, const char* md5_hex) {
  begin_error_[0] = '\0';
  owns_update_ = false;
  if (!updater_.begin(size, command)) return false;
  owns_update_ = true;
  return set_md5_or_abort(md5_hex);
}

bool UpdaterSink::resume(uint32_t size, UpdateCommand command, const char* md5_hex, uint32_t offset,
                         const uint8_t* prefix_sha256) {
  begin_error_[0] = '\0';
  owns_update_ = false;
  if (!updater_.resume(size, command, offset, prefix_sha256)) return false;
  owns_update_ = true;
  return set_md5_or_abort(md5_hex);
}

bool UpdaterSink::set_md5_or_abort(const char* md5_hex) {
  if (md5_hex == nullptr || updater_.set_md5(md5_hex)) return true;
  TextBuilder(begin_error_, sizeof(begin_error_)).add(updater_.error_message());
  abort();
  return false;
}

uint32_t UpdaterSink::write(const uint8_t* data, uint32_t len) {
  if (owns_update_) return updater_.write(data, len);
  refuse_idle();
  return 0;
}

bool UpdaterSink::finish(bool at_received) {
  if (!owns_update_) return refuse_idle();
  owns_update_ = false;
  return updater_.end(at_received);
}

void UpdaterSink::abort() {
  if (owns_update_) updater_.abort();
  owns_update_ = false;
}

bool UpdaterSink::refuse_idle() {
  TextBuilder(begin_error_, sizeof(begin_error_)).add("ERROR[23]: ").add(describe(UpdateError::not_running));
  return false;
}

}  // namespace otakit
