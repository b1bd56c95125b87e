// The boot path's gzip inflater on Linux: zlib in gzip mode, which checks the CRC-32 and ISIZE
// trailer that eboot's uzlib ignores.
#pragma once
#include <zlib.h>

#include "core/image/inflater.h"

namespace otakit::posix {

class ZlibInflater : public Inflater {
 public:
  ZlibInflater() = default;
  ZlibInflater(const ZlibInflater&) = delete;
  ZlibInflater& operator=(const ZlibInflater&) = delete;
  ~ZlibInflater();

  bool start() override;
  InflateStatus inflate(const uint8_t* in, uint32_t in_len, uint32_t* consumed, uint8_t* out, uint32_t out_cap,
                        uint32_t* produced) override;

 private:
  z_stream stream_{};
  bool open_ = false;
};

}  // namespace otakit::posix
