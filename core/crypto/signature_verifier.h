// What the Updater needs from a signature scheme: the trailer's expected signature length and a
// check of a SHA-256 digest against a signature. A small interface, as the ESP8266 core's.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "core/crypto/digest.h"
#include "core/crypto/rsa_public_key.h"

namespace otakit::crypto {

class SignatureVerifier {
 public:
  // Signature length in bytes (the RSA modulus length); 0 means "no key": nothing is verified.
  virtual uint32_t signature_length() const = 0;
  virtual bool verify(const uint8_t digest[kSha256Size], const uint8_t* signature,
                      size_t signature_len) const = 0;

 protected:
  ~SignatureVerifier() = default;
};

enum class RsaPadding : uint8_t {
  pkcs1_sha256,  // RSASSA-PKCS1-v1_5 with the SHA-256 DigestInfo: signing.py, current cores
  legacy_bare,   // PKCS#1 v1.5 type 1 over the bare 32-byte digest: signing.py --legacy, cores <= 2.5.2
};

// RSA verification with BearSSL's PKCS#1 v1.5 routine, as the ESP8266 core does it.
class RsaSha256Verifier final : public SignatureVerifier {
 public:
  RsaSha256Verifier(const RsaPublicKey& key, RsaPadding padding) : key_(key), padding_(padding) {}
  uint32_t signature_length() const override { return uint32_t(key_.modulus_bytes()); }
  bool verify(const uint8_t digest[kSha256Size], const uint8_t* signature,
              size_t signature_len) const override;

 private:
  const RsaPublicKey& key_;
  RsaPadding padding_;
};

}  // namespace otakit::crypto
