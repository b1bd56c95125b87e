// Certificates for the core/tls tests, made with OpenSSL 3 in memory: a CA, server certificates
// it signs (valid, expired, for another host), self-signed ones, and the digests the pin modes
// compare (SHA-256 of the SubjectPublicKeyInfo, SHA-1 of the certificate).
#pragma once
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace otakit::tls::testing {

using Bytes = std::vector<uint8_t>;

struct OpenSslFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, OpenSslFree>;
using CertPtr = std::unique_ptr<X509, OpenSslFree>;

enum class KeyType { ec_p256, rsa_2048, ec_p384 };

struct CertSpec {
  std::string common_name = "localhost";
  std::string subject_alt_names = "DNS:localhost,IP:127.0.0.1";  // empty: no SAN extension
  long valid_from_s = -86400;      // relative to now
  long valid_until_s = 30 * 86400;
  bool ca = false;
  KeyType key = KeyType::ec_p256;
};

struct Identity {
  KeyPtr key;
  CertPtr cert;
};

inline void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("OpenSSL: ") + what + " failed");
}

inline void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  check(ext != nullptr && X509_add_ext(cert, ext, -1) == 1, "X509_add_ext");
  X509_EXTENSION_free(ext);
}

// Signed by `issuer`, or self-signed when it is null.
inline Identity make_identity(const CertSpec& spec, const Identity* issuer = nullptr) {
  static long serial = 1;
  Identity id;
  id.key.reset(spec.key == KeyType::rsa_2048 ? EVP_RSA_gen(2048)
               : spec.key == KeyType::ec_p384 ? EVP_EC_gen("P-384") : EVP_EC_gen("P-256"));
  check(id.key != nullptr, "key generation");
  id.cert.reset(X509_new());
  X509* cert = id.cert.get();
  check(X509_set_version(cert, 2) == 1, "X509_set_version");
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert), spec.valid_from_s);
  X509_gmtime_adj(X509_getm_notAfter(cert), spec.valid_until_s);
  check(X509_set_pubkey(cert, id.key.get()) == 1, "X509_set_pubkey");
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("OTAKit test"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1, -1, 0);
  X509* issuer_cert = issuer ? issuer->cert.get() : cert;
  check(X509_set_issuer_name(cert, X509_get_subject_name(issuer_cert)) == 1, "X509_set_issuer_name");
  add_extension(cert, issuer_cert, NID_basic_constraints, spec.ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  add_extension(cert, issuer_cert, NID_key_usage,
                spec.ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature,keyEncipherment");
  add_extension(cert, issuer_cert, NID_subject_key_identifier, "hash");
  if (issuer) add_extension(cert, issuer_cert, NID_authority_key_identifier, "keyid:always");
  if (!spec.subject_alt_names.empty()) add_extension(cert, issuer_cert, NID_subject_alt_name, spec.subject_alt_names);
  EVP_PKEY* signer = issuer ? issuer->key.get() : id.key.get();
  check(X509_sign(cert, signer, EVP_sha256()) > 0, "X509_sign");
  return id;
}

inline std::string pem(X509* cert) {
  std::unique_ptr<BIO, OpenSslFree> bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_X509(bio.get(), cert) == 1, "PEM_write_bio_X509");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, size_t(len));
}

// A private key as PEM: PKCS#8 ("PRIVATE KEY"), or the traditional SEC 1 / PKCS#1 form ("EC PRIVATE
// KEY", "RSA PRIVATE KEY"), either encrypted with a password when asked.
enum class KeyPem { pkcs8, traditional, pkcs8_encrypted, traditional_encrypted };

inline std::string pem(EVP_PKEY* key, KeyPem form = KeyPem::pkcs8) {
  std::unique_ptr<BIO, OpenSslFree> bio(BIO_new(BIO_s_mem()));
  const EVP_CIPHER* cipher = form == KeyPem::pkcs8_encrypted || form == KeyPem::traditional_encrypted ? EVP_aes_256_cbc() : nullptr;
  char password[] = "secret";
  int ok = 0;
  if (form == KeyPem::pkcs8) ok = PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  if (form == KeyPem::pkcs8_encrypted) ok = PEM_write_bio_PKCS8PrivateKey(bio.get(), key, cipher, password, 6, nullptr, nullptr);
  if (form == KeyPem::traditional || form == KeyPem::traditional_encrypted) {
    ok = PEM_write_bio_PrivateKey_traditional(bio.get(), key, cipher, reinterpret_cast<unsigned char*>(password),
                                              cipher ? 6 : 0, nullptr, nullptr);
  }
  check(ok == 1, "PEM_write_bio_PrivateKey");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, size_t(len));
}

inline Bytes der(X509* cert) {
  int len = i2d_X509(cert, nullptr);
  Bytes out(static_cast<size_t>(len));
  unsigned char* p = out.data();
  i2d_X509(cert, &p);
  return out;
}

inline Bytes spki_der(EVP_PKEY* key) {
  int len = i2d_PUBKEY(key, nullptr);
  Bytes out(static_cast<size_t>(len));
  unsigned char* p = out.data();
  i2d_PUBKEY(key, &p);
  return out;
}

inline Bytes digest(const EVP_MD* md, const Bytes& data) {
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  check(EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) == 1, "EVP_Digest");
  out.resize(len);
  return out;
}

// What curl --pinnedpubkey sha256//... and WiFiClientSecure::setFingerprint are given.
inline Bytes public_key_pin(const Identity& id) { return digest(EVP_sha256(), spki_der(id.key.get())); }
inline Bytes sha1_fingerprint(const Identity& id) { return digest(EVP_sha1(), der(id.cert.get())); }

}  // namespace otakit::tls::testing
