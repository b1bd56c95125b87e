// PEM -> DER with br_pem_decoder, DER -> subject DN and public key with br_x509_decoder: the
// parts of a certificate BearSSL's chain validation needs from a trust anchor.
#include "platform/posix/trust_anchors.h"

#include <stdexcept>

#include "files/file_io.h"
#include "platform/posix/pem.h"

namespace otakit::posix {
namespace {

void append_bytes(void* to, const void* data, size_t len) {
  auto* bytes = static_cast<std::vector<unsigned char>*>(to);
  const auto* p = static_cast<const unsigned char*>(data);
  bytes->insert(bytes->end(), p, p + len);
}

std::vector<unsigned char> copy(const unsigned char* data, size_t len) {
  return std::vector<unsigned char>(data, data + len);
}

}  // namespace

TrustAnchors TrustAnchors::load_pem_file(const std::string& path) {
  files::Bytes bytes = files::read_file(path);
  return from_pem(std::string(bytes.begin(), bytes.end()), path);
}

TrustAnchors TrustAnchors::from_pem(const std::string& pem, const std::string& source) {
  TrustAnchors result;
  for (const PemObject& object : decode_pem(pem, source)) {
    if (object.label == "CERTIFICATE" || object.label == "X509 CERTIFICATE") {
      result.add_certificate(object.der, source);
    }
  }
  if (result.anchors_.empty()) throw std::runtime_error(source + ": no PEM CERTIFICATE in it");
  return result;
}

void TrustAnchors::add_certificate(const std::vector<unsigned char>& der, const std::string& source) {
  Owned owned;
  br_x509_decoder_context decoder;
  br_x509_decoder_init(&decoder, append_bytes, &owned.dn);
  br_x509_decoder_push(&decoder, der.data(), der.size());
  const br_x509_pkey* key = br_x509_decoder_get_pkey(&decoder);
  if (key == nullptr) {
    throw std::runtime_error(source + ": certificate " + std::to_string(anchors_.size() + 1) +
                             " cannot be decoded (BearSSL error " +
                             std::to_string(br_x509_decoder_last_error(&decoder)) + ")");
  }
  br_x509_trust_anchor anchor{};
  // A CA signs the server's chain; any other certificate (a self-signed server's) is trusted
  // directly: its key must be the server's.
  anchor.flags = br_x509_decoder_isCA(&decoder) ? BR_X509_TA_CA : 0;
  anchor.pkey.key_type = key->key_type;
  if (key->key_type == BR_KEYTYPE_RSA) {
    owned.key_a = copy(key->key.rsa.n, key->key.rsa.nlen);
    owned.key_b = copy(key->key.rsa.e, key->key.rsa.elen);
    anchor.pkey.key.rsa = br_rsa_public_key{owned.key_a.data(), owned.key_a.size(), owned.key_b.data(),
                                            owned.key_b.size()};
  } else {
    owned.key_a = copy(key->key.ec.q, key->key.ec.qlen);
    anchor.pkey.key.ec = br_ec_public_key{key->key.ec.curve, owned.key_a.data(), owned.key_a.size()};
  }
  anchor.dn = br_x500_name{owned.dn.data(), owned.dn.size()};
  owned_.push_back(std::move(owned));
  anchors_.push_back(anchor);
}

}  // namespace otakit::posix
