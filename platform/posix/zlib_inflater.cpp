#include "platform/posix/zlib_inflater.h"

namespace otakit::posix {

ZlibInflater::~ZlibInflater() {
  if (open_) inflateEnd(&stream_);
}

bool ZlibInflater::start() {
  if (open_) inflateEnd(&stream_);
  stream_ = z_stream{};
  open_ = inflateInit2(&stream_, 16 + MAX_WBITS) == Z_OK;  // 16+: gzip wrapper only
  return open_;
}

InflateStatus ZlibInflater::inflate(const uint8_t* in, uint32_t in_len, uint32_t* consumed, uint8_t* out,
                                    uint32_t out_cap, uint32_t* produced) {
  stream_.next_in = const_cast<Bytef*>(in);
  stream_.avail_in = in_len;
  stream_.next_out = out;
  stream_.avail_out = out_cap;
  int rc = ::inflate(&stream_, Z_NO_FLUSH);
  *consumed = in_len - stream_.avail_in;
  *produced = out_cap - stream_.avail_out;
  if (rc == Z_STREAM_END) return InflateStatus::end_of_stream;
  if (rc == Z_OK || rc == Z_BUF_ERROR) return InflateStatus::more;
  return InflateStatus::error;
}

}  // namespace otakit::posix
