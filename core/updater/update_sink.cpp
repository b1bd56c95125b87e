// UpdaterSink's begin, which must keep set_md5's reason past the abort (core/updater/update_sink.h).
#include "core/updater/update_sink.h"

#include "core/util/text.h"

namespace otakit {

bool UpdaterSink::begin(uint32_t size, UpdateCommand command, const char* md5_hex) {
  begin_error_[0] = '\0';
  if (!updater_.begin(size, command)) return false;
  if (md5_hex == nullptr || updater_.set_md5(md5_hex)) return true;
  TextBuilder(begin_error_, sizeof(begin_error_)).add(updater_.error_message());
  updater_.abort();
  return false;
}

}  // namespace otakit
