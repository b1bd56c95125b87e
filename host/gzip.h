// gzip (RFC 1952) with zlib, for `.bin.gz` images: eboot inflates them while copying.
#pragma once
#include <cstddef>

#include "host/bytes.h"

namespace otakit::host {

// Deterministic output: no file name, modification time 0, best compression.
Bytes gzip_compress(const Bytes& data);
// Inflates one gzip member; throws std::runtime_error when the stream is corrupt or exceeds
// max_output bytes (a guard against inflation bombs).
Bytes gzip_decompress(const Bytes& data, size_t max_output);

}  // namespace otakit::host
