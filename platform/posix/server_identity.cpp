// PEM -> DER (br_pem_decoder), each certificate checked with br_x509_decoder, the key decoded with
// br_skey_decoder and compared with the first certificate's public key, so that a wrong file is
// named here rather than found by a browser as a failing handshake.
#include "platform/posix/server_identity.h"

#include <bearssl_ec.h>
#include <bearssl_rsa.h>
#include <bearssl_x509.h>
#include <string.h>

#include <stdexcept>

#include "files/file_io.h"
#include "platform/posix/pem.h"

namespace otakit::posix {
namespace {

std::vector<unsigned char> copy(const unsigned char* data, size_t len) {
  return std::vector<unsigned char>(data, data + len);
}

std::string read_text(const std::string& path) {
  files::Bytes bytes = files::read_file(path);
  return std::string(bytes.begin(), bytes.end());
}

void ignore_bytes(void*, const void*, size_t) {}

const char* curve_name(int curve) {
  switch (curve) {
    case BR_EC_secp256r1: return "P-256";
    case BR_EC_secp384r1: return "P-384";
    case BR_EC_secp521r1: return "P-521";
    default: return nullptr;  // no ECDSA in TLS on it (X25519 only agrees keys)
  }
}

// Big-endian integers compared without their leading zeros.
bool same_integer(const unsigned char* a, size_t a_len, const unsigned char* b, size_t b_len) {
  while (a_len > 0 && *a == 0) a++, a_len--;
  while (b_len > 0 && *b == 0) b++, b_len--;
  return a_len == b_len && memcmp(a, b, a_len) == 0;
}

std::runtime_error encrypted_key(const std::string& source) {
  return std::runtime_error(source + ": the private key is encrypted; the device needs it in the clear (openssl pkey -in " +
                            source + " -out key-plain.pem)");
}

bool is_key_label(const std::string& label) {
  return label == "PRIVATE KEY" || label == "EC PRIVATE KEY" || label == "RSA PRIVATE KEY";
}

}  // namespace

ServerIdentity ServerIdentity::load_pem_files(const std::string& cert_path, const std::string& key_path) {
  return from_pem(read_text(cert_path), read_text(key_path), cert_path, key_path);
}

ServerIdentity ServerIdentity::from_pem(const std::string& cert_pem, const std::string& key_pem,
                                        const std::string& cert_source, const std::string& key_source) {
  ServerIdentity result;
  result.add_certificates(cert_pem, cert_source);
  result.set_key(key_pem, key_source);
  result.check_key_matches(cert_source, key_source);
  result.identity_.chain = result.chain_.data();
  result.identity_.chain_length = result.chain_.size();
  result.identity_.ec_key = result.ec_key_.get();
  result.identity_.rsa_key = result.rsa_key_.get();
  return result;
}

ServerIdentity::~ServerIdentity() {
  for (auto& part : key_parts_) explicit_bzero(part.data(), part.size());
}

void ServerIdentity::add_certificates(const std::string& pem, const std::string& source) {
  bool has_key = false;
  for (PemObject& object : decode_pem(pem, source)) {
    has_key = has_key || is_key_label(object.label);
    if (object.label != "CERTIFICATE" && object.label != "X509 CERTIFICATE") continue;
    br_x509_decoder_context decoder;
    br_x509_decoder_init(&decoder, ignore_bytes, nullptr);
    br_x509_decoder_push(&decoder, object.der.data(), object.der.size());
    if (br_x509_decoder_get_pkey(&decoder) == nullptr) {
      throw std::runtime_error(source + ": certificate " + std::to_string(der_.size() + 1) +
                               " cannot be decoded (BearSSL error " +
                               std::to_string(br_x509_decoder_last_error(&decoder)) + ")");
    }
    der_.push_back(std::move(object.der));
    chain_.push_back(br_x509_certificate{der_.back().data(), der_.back().size()});
  }
  if (chain_.empty()) {
    throw std::runtime_error(source + ": no PEM CERTIFICATE in it" +
                             (has_key ? " (it holds a private key: are the certificate and the key swapped?)" : ""));
  }
}

void ServerIdentity::set_key(const std::string& pem, const std::string& source) {
  // PKCS#8 encryption has its own label; the traditional kind a header in the PEM text.
  if (pem.find("Proc-Type: 4,ENCRYPTED") != std::string::npos) throw encrypted_key(source);
  std::vector<PemObject> objects = decode_pem(pem, source);
  const PemObject* key = nullptr;
  for (const PemObject& object : objects) {
    if (object.label == "ENCRYPTED PRIVATE KEY") throw encrypted_key(source);
    if (!is_key_label(object.label)) continue;
    if (key != nullptr) throw std::runtime_error(source + ": more than one private key in it");
    key = &object;
  }
  if (key == nullptr) {
    throw std::runtime_error(source + ": no PEM PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY in it");
  }
  br_skey_decoder_context decoder;
  br_skey_decoder_init(&decoder);
  br_skey_decoder_push(&decoder, key->der.data(), key->der.size());
  const int error = br_skey_decoder_last_error(&decoder);
  if (const br_ec_private_key* ec = br_skey_decoder_get_ec(&decoder)) {
    if (curve_name(ec->curve) == nullptr) {
      explicit_bzero(&decoder, sizeof decoder);
      throw std::runtime_error(source + ": an EC key on a curve TLS cannot sign with (curve " +
                               std::to_string(ec->curve) + "): use P-256, P-384 or P-521");
    }
    key_parts_.push_back(copy(ec->x, ec->xlen));
    ec_key_ = std::make_unique<br_ec_private_key>(br_ec_private_key{ec->curve, key_parts_[0].data(), key_parts_[0].size()});
  } else if (const br_rsa_private_key* rsa = br_skey_decoder_get_rsa(&decoder)) {
    key_parts_.reserve(5);
    key_parts_.push_back(copy(rsa->p, rsa->plen));
    key_parts_.push_back(copy(rsa->q, rsa->qlen));
    key_parts_.push_back(copy(rsa->dp, rsa->dplen));
    key_parts_.push_back(copy(rsa->dq, rsa->dqlen));
    key_parts_.push_back(copy(rsa->iq, rsa->iqlen));
    auto& k = key_parts_;
    rsa_key_ = std::make_unique<br_rsa_private_key>(br_rsa_private_key{
        rsa->n_bitlen, k[0].data(), k[0].size(), k[1].data(), k[1].size(), k[2].data(), k[2].size(), k[3].data(),
        k[3].size(), k[4].data(), k[4].size()});
  }
  explicit_bzero(&decoder, sizeof decoder);
  if (!ec_key_ && !rsa_key_) {
    throw std::runtime_error(source + ": the private key cannot be decoded (BearSSL error " + std::to_string(error) +
                             ")");
  }
}

// The public key of the first certificate against the one the private key gives.
void ServerIdentity::check_key_matches(const std::string& cert_source, const std::string& key_source) const {
  br_x509_decoder_context decoder;
  br_x509_decoder_init(&decoder, ignore_bytes, nullptr);
  br_x509_decoder_push(&decoder, chain_[0].data, chain_[0].data_len);
  const br_x509_pkey* cert_key = br_x509_decoder_get_pkey(&decoder);
  bool match = false;
  if (ec_key_ && cert_key->key_type == BR_KEYTYPE_EC && cert_key->key.ec.curve == ec_key_->curve) {
    unsigned char point[BR_EC_KBUF_PUB_MAX_SIZE];
    br_ec_public_key computed;
    size_t len = br_ec_compute_pub(br_ec_get_default(), &computed, point, ec_key_.get());
    match = len > 0 && same_integer(point, len, cert_key->key.ec.q, cert_key->key.ec.qlen);
  } else if (rsa_key_ && cert_key->key_type == BR_KEYTYPE_RSA) {
    br_rsa_compute_modulus modulus = br_rsa_compute_modulus_get_default();
    unsigned char n[512];  // 4096 bits, the largest RSA key BearSSL handles
    const size_t len = modulus(nullptr, rsa_key_.get());
    match = len > 0 && len <= sizeof n && modulus(n, rsa_key_.get()) == len &&
            same_integer(n, len, cert_key->key.rsa.n, cert_key->key.rsa.nlen);
  }
  if (!match) {
    throw std::runtime_error("the private key in " + key_source + " does not belong to the first certificate in " +
                             cert_source + " (the server's own certificate must come first)");
  }
}

std::string ServerIdentity::summary() const {
  std::string key = ec_key_ ? std::string("EC ") + curve_name(ec_key_->curve)
                            : "RSA " + std::to_string(rsa_key_->n_bitlen) + "-bit";
  return key + " key, " + std::to_string(chain_.size()) + (chain_.size() == 1 ? " certificate" : " certificates");
}

}  // namespace otakit::posix
