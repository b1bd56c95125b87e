// RSA PKCS#1 v1.5 verification on BearSSL (br_rsa_pkcs1_vrfy, the call the ESP8266 core makes).
#include <bearssl_rsa.h>
#include <string.h>

#include "core/crypto/signature_verifier.h"

namespace otakit::crypto {

bool RsaSha256Verifier::verify(const uint8_t digest[kSha256Size], const uint8_t* signature,
                               size_t signature_len) const {
  if (key_.empty() || signature == nullptr || signature_len != key_.modulus_bytes()) return false;
  br_rsa_public_key pk;
  pk.n = const_cast<unsigned char*>(key_.modulus());
  pk.nlen = key_.modulus_bytes();
  pk.e = const_cast<unsigned char*>(key_.exponent());
  pk.elen = key_.exponent_bytes();

  const unsigned char* oid = padding_ == RsaPadding::pkcs1_sha256 ? BR_HASH_OID_SHA256 : nullptr;
  unsigned char recovered[kSha256Size];
  br_rsa_pkcs1_vrfy vrfy = br_rsa_pkcs1_vrfy_get_default();
  if (!vrfy(signature, signature_len, oid, sizeof(recovered), &pk, recovered)) return false;
  unsigned diff = 0;  // constant-time compare: the digest is not secret, but it costs nothing
  for (size_t i = 0; i < kSha256Size; ++i) diff |= unsigned(recovered[i] ^ digest[i]);
  return diff == 0;
}

}  // namespace otakit::crypto
