// MD5 and SHA-256 on BearSSL, the library the ESP8266 core itself uses.
#include <bearssl_hash.h>

#include "core/crypto/digest.h"

namespace otakit::crypto {
namespace {

template <typename Ctx>
Ctx* as(unsigned char* storage) {
  return reinterpret_cast<Ctx*>(storage);
}

}  // namespace

static_assert(sizeof(br_md5_context) <= 128, "Md5 storage too small");
static_assert(sizeof(br_sha256_context) <= 160, "Sha256 storage too small");

void Md5::reset() { br_md5_init(as<br_md5_context>(state_)); }
void Md5::update(const void* data, size_t len) { br_md5_update(as<br_md5_context>(state_), data, len); }
void Md5::finish(uint8_t out[kMd5Size]) { br_md5_out(as<br_md5_context>(state_), out); }

void Sha256::reset() { br_sha256_init(as<br_sha256_context>(state_)); }
void Sha256::update(const void* data, size_t len) {
  br_sha256_update(as<br_sha256_context>(state_), data, len);
}
void Sha256::finish(uint8_t out[kSha256Size]) { br_sha256_out(as<br_sha256_context>(state_), out); }

}  // namespace otakit::crypto
