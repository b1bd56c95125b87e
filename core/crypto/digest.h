// Streaming MD5 and SHA-256 for the device core. The implementation (BearSSL) stays out of this
// header so the core can move to another library by replacing one file.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace otakit::crypto {

constexpr size_t kMd5Size = 16;
constexpr size_t kMd5HexSize = 2 * kMd5Size + 1;  // 32 lowercase hex digits and a NUL
constexpr size_t kSha256Size = 32;

class Md5 {
 public:
  Md5() { reset(); }
  void reset();
  void update(const void* data, size_t len);
  // Writes the digest; the object must be reset() before it is used again.
  void finish(uint8_t out[kMd5Size]);
  // The digest in lowercase hex, the form every MD5 takes on the wire and in messages.
  void finish_hex(char out[kMd5HexSize]);

 private:
  alignas(8) unsigned char state_[128];
};

// The MD5 of data in lowercase hex, in one call.
void md5_hex(const void* data, size_t len, char out[kMd5HexSize]);

class Sha256 {
 public:
  Sha256() { reset(); }
  void reset();
  void update(const void* data, size_t len);
  void finish(uint8_t out[kSha256Size]);

 private:
  alignas(8) unsigned char state_[160];
};

}  // namespace otakit::crypto
