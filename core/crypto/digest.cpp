// The digest helpers that do not depend on the hash library (core/crypto/digest.h).
#include "core/crypto/digest.h"

#include "core/util/hex.h"

namespace otakit::crypto {

void Md5::finish_hex(char out[kMd5HexSize]) {
  uint8_t digest[kMd5Size];
  finish(digest);
  to_hex(digest, sizeof(digest), out);
}

void md5_hex(const void* data, size_t len, char out[kMd5HexSize]) {
  Md5 md5;
  md5.update(data, len);
  md5.finish_hex(out);
}

}  // namespace otakit::crypto
