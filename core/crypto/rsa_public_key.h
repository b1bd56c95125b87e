// An RSA public key read from PEM or DER: SubjectPublicKeyInfo ("BEGIN PUBLIC KEY", what
// `openssl rsa -pubout` and signing.py use) or PKCS#1 ("BEGIN RSA PUBLIC KEY").
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace otakit::crypto {

enum class KeyError : uint8_t {
  ok,
  empty,
  bad_pem,          // PEM armour present but broken, or no object inside
  bad_der,          // DER structure is malformed or truncated
  not_rsa,          // a well-formed key of another algorithm
  modulus_too_large,// above 4096 bits
  modulus_too_small,// below 1024 bits
  bad_exponent,
};

const char* describe(KeyError error);

class RsaPublicKey {
 public:
  static constexpr size_t kMaxModulusBytes = 512;  // RSA-4096
  static constexpr size_t kMaxExponentBytes = 8;
  static constexpr size_t kMaxDerBytes = 1200;  // an RSA-4096 SubjectPublicKeyInfo is about 550 bytes

  // Accepts PEM text or raw DER. On failure the key stays empty.
  KeyError load(const uint8_t* data, size_t len);

  bool empty() const { return modulus_len_ == 0; }
  size_t modulus_bytes() const { return modulus_len_; }
  const uint8_t* modulus() const { return modulus_; }
  const uint8_t* exponent() const { return exponent_; }
  size_t exponent_bytes() const { return exponent_len_; }

 private:
  KeyError load_der(const uint8_t* der, size_t len);

  uint8_t modulus_[kMaxModulusBytes] = {};
  uint8_t exponent_[kMaxExponentBytes] = {};
  size_t modulus_len_ = 0;
  size_t exponent_len_ = 0;
  uint8_t der_scratch_[kMaxDerBytes];  // the PEM block's DER while load() decodes it
};

}  // namespace otakit::crypto
