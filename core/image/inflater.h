// Gzip inflation for the boot path, behind an interface: zlib on Linux, uzlib or similar on a chip.
#pragma once
#include <stdint.h>

namespace otakit {

enum class InflateStatus : uint8_t { more, end_of_stream, error };

class Inflater {
 public:
  // Starts a new gzip stream (header, deflate data, CRC-32 and ISIZE trailer are all checked).
  virtual bool start() = 0;
  // Consumes input and produces output; *consumed and *produced report how much.
  virtual InflateStatus inflate(const uint8_t* in, uint32_t in_len, uint32_t* consumed, uint8_t* out,
                                uint32_t out_cap, uint32_t* produced) = 0;

 protected:
  ~Inflater() = default;
};

}  // namespace otakit
