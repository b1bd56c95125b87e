#include "host/gzip.h"

#include <zlib.h>

#include <stdexcept>
#include <string>

namespace otakit::host {
namespace {

constexpr int kGzipWindowBits = 15 + 16;  // +16 selects the gzip wrapper in zlib
constexpr int kMemLevel = 9;

}  // namespace

Bytes gzip_compress(const Bytes& data) {
  z_stream z{};
  if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, kGzipWindowBits, kMemLevel,
                   Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("zlib: cannot start gzip compression");
  Bytes out(deflateBound(&z, uLong(data.size())));
  z.next_in = const_cast<Bytef*>(data.data());
  z.avail_in = uInt(data.size());
  z.next_out = out.data();
  z.avail_out = uInt(out.size());
  int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error("zlib: gzip compression did not finish");
  return out;
}

Bytes gzip_decompress(const Bytes& data, size_t max_output) {
  z_stream z{};
  if (inflateInit2(&z, kGzipWindowBits) != Z_OK)
    throw std::runtime_error("zlib: cannot start gzip decompression");
  Bytes out;
  uint8_t chunk[65536];
  z.next_in = const_cast<Bytef*>(data.data());
  z.avail_in = uInt(data.size());
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    z.next_out = chunk;
    z.avail_out = sizeof(chunk);
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      std::string why = z.msg ? z.msg : "truncated stream";
      inflateEnd(&z);
      throw std::runtime_error("gzip data is corrupt: " + why);
    }
    out.insert(out.end(), chunk, chunk + (sizeof(chunk) - z.avail_out));
    if (out.size() > max_output) {
      inflateEnd(&z);
      throw std::runtime_error("gzip data inflates to more than " + std::to_string(max_output) +
                               " bytes");
    }
    if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
      inflateEnd(&z);
      throw std::runtime_error("gzip data is truncated");
    }
  }
  inflateEnd(&z);
  return out;
}

}  // namespace otakit::host
