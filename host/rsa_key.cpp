#include "host/rsa_key.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <stdexcept>

#include "files/file_io.h"

namespace otakit::host {
namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, size_t(len));
}

[[noreturn]] void fail(const std::string& what) {
  std::string detail = openssl_errors();
  throw std::runtime_error(detail.empty() ? what : what + " (" + detail + ")");
}

}  // namespace

std::string openssl_errors() {
  std::string text;
  while (unsigned long code = ERR_get_error()) {
    char line[256];
    ERR_error_string_n(code, line, sizeof(line));
    if (!text.empty()) text += "; ";
    text += line;
  }
  return text;
}

void RsaPrivateKey::Free::operator()(evp_pkey_st* key) const { EVP_PKEY_free(key); }

RsaPrivateKey RsaPrivateKey::from_pem(const Bytes& pem, const std::string& source) {
  if (pem.empty()) throw std::runtime_error("private key " + source + " is empty");
  BioPtr bio(BIO_new_mem_buf(pem.data(), int(pem.size())));
  if (!bio) fail("cannot buffer private key " + source);
  // An empty passphrase callback: encrypted keys fail clearly instead of prompting on a tty.
  auto no_passphrase = [](char*, int, int, void*) { return -1; };
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr);
  if (key == nullptr)
    fail("cannot read private key " + source +
         ": not an unencrypted PEM private key (openssl genrsa or otakit keygen makes one)");
  RsaPrivateKey result(key);
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA)
    throw std::runtime_error("private key " + source + " is a " +
                             std::string(EVP_PKEY_get0_type_name(key)) +
                             " key; ESP8266 devices verify RSA signatures only");
  unsigned bits = result.bits();
  if (bits < kMinBits || bits > kMaxBits)
    throw std::runtime_error("private key " + source + " has " + std::to_string(bits) +
                             " bits; devices verify 1024 to 4096-bit RSA keys");
  return result;
}

RsaPrivateKey RsaPrivateKey::load(const std::string& path) {
  return from_pem(files::read_file(path), path);
}

RsaPrivateKey RsaPrivateKey::generate(unsigned bits) {
  if (bits < kMinBits || bits > kMaxBits || bits % 8 != 0)
    throw std::invalid_argument("RSA key size " + std::to_string(bits) +
                                " is not supported: use a multiple of 8 from 1024 to 4096");
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t(bits));
  if (key == nullptr) fail("RSA key generation failed");
  return RsaPrivateKey(key);
}

unsigned RsaPrivateKey::bits() const { return unsigned(EVP_PKEY_get_bits(key_.get())); }

size_t RsaPrivateKey::signature_size() const { return size_t(EVP_PKEY_get_size(key_.get())); }

std::string RsaPrivateKey::private_pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      !PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr))
    fail("cannot encode the private key as PEM");
  return bio_text(bio.get());
}

std::string RsaPrivateKey::public_pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || !PEM_write_bio_PUBKEY(bio.get(), key_.get()))
    fail("cannot encode the public key as PEM");
  return bio_text(bio.get());
}

}  // namespace otakit::host
