// RSA private keys for the host tools (OpenSSL 3 EVP): load PEM, generate, and write the PKCS#8
// private and SubjectPublicKeyInfo public PEM files that openssl and signing.py use.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "host/bytes.h"

struct evp_pkey_st;

namespace otakit::host {

class RsaPrivateKey {
 public:
  static constexpr unsigned kDefaultBits = 2048;
  static constexpr unsigned kMinBits = 1024;  // the device verifier's lower limit
  static constexpr unsigned kMaxBits = 4096;  // its upper limit (512-byte signatures)

  // Throws std::runtime_error naming `source` when the PEM is not an RSA private key.
  static RsaPrivateKey from_pem(const Bytes& pem, const std::string& source);
  static RsaPrivateKey load(const std::string& path);
  // bits must be a multiple of 8 in [kMinBits, kMaxBits] (std::invalid_argument otherwise).
  static RsaPrivateKey generate(unsigned bits);

  unsigned bits() const;
  size_t signature_size() const;
  std::string private_pem() const;  // "BEGIN PRIVATE KEY" (PKCS#8, unencrypted)
  std::string public_pem() const;   // "BEGIN PUBLIC KEY" (SubjectPublicKeyInfo)
  evp_pkey_st* get() const { return key_.get(); }

 private:
  struct Free {
    void operator()(evp_pkey_st* key) const;
  };
  explicit RsaPrivateKey(evp_pkey_st* key) : key_(key) {}
  std::unique_ptr<evp_pkey_st, Free> key_;
};

// The pending OpenSSL error queue as one line ("" if empty); clears the queue.
std::string openssl_errors();

}  // namespace otakit::host
