// Trust anchors for core/tls's anchors mode, built from a PEM file of CA certificates (a CA
// bundle such as /etc/ssl/certs/ca-certificates.crt, or one server's self-signed certificate),
// with BearSSL's own PEM and X.509 decoders: what `--ca-file` loads.
#pragma once
#include <bearssl_x509.h>

#include <string>
#include <vector>

namespace otakit::posix {

class TrustAnchors {
 public:
  // Throws std::runtime_error naming the file and the reason (no certificate, not PEM,
  // a certificate BearSSL cannot decode).
  static TrustAnchors load_pem_file(const std::string& path);
  static TrustAnchors from_pem(const std::string& pem, const std::string& source = "PEM text");

  TrustAnchors(TrustAnchors&&) = default;
  TrustAnchors& operator=(TrustAnchors&&) = default;
  TrustAnchors(const TrustAnchors&) = delete;  // the anchors point into the owned bytes
  TrustAnchors& operator=(const TrustAnchors&) = delete;

  // For TlsClientConfig::anchors / anchor_count; valid while this object lives.
  const br_x509_trust_anchor* data() const { return anchors_.data(); }
  size_t size() const { return anchors_.size(); }

 private:
  TrustAnchors() = default;
  void add_certificate(const std::vector<unsigned char>& der, const std::string& source);

  // One certificate's subject DN and key bytes; a moved std::vector keeps its bytes in place,
  // so the anchors' pointers stay valid when this object moves.
  struct Owned {
    std::vector<unsigned char> dn;
    std::vector<unsigned char> key_a;  // RSA modulus or EC point
    std::vector<unsigned char> key_b;  // RSA exponent
  };
  std::vector<Owned> owned_;
  std::vector<br_x509_trust_anchor> anchors_;
};

}  // namespace otakit::posix
