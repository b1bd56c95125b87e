#include "net/espota_update_sink.h"

namespace otakit::net {

bool UpdaterSink::begin(uint32_t size, UpdateCommand command, const char* md5_hex) {
  begin_error_.clear();
  if (!updater_.begin(size, command)) return false;
  if (updater_.set_md5(md5_hex)) return true;
  begin_error_ = updater_.error_message();  // the invitation parser already checked the MD5
  updater_.abort();
  return false;
}

}  // namespace otakit::net
