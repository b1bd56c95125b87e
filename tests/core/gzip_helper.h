// gzip for core tests (zlib, as host/gzip does for the tools; core tests do not link host/).
#pragma once
#include <zlib.h>

#include <cstdint>
#include <vector>

namespace otakit::testing {

inline std::vector<uint8_t> gzip(const std::vector<uint8_t>& data) {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::vector<uint8_t> out(deflateBound(&z, uLong(data.size())) + 64);
  z.next_in = const_cast<Bytef*>(data.data());
  z.avail_in = uInt(data.size());
  z.next_out = out.data();
  z.avail_out = uInt(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

}  // namespace otakit::testing
