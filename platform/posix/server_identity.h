// The certificate chain and private key of core/tls's TlsServer, loaded from PEM files with
// BearSSL's own decoders (br_pem_decoder, br_x509_decoder, br_skey_decoder): what
// `--https-cert` / `--https-key` load. Owns the bytes the TlsServerIdentity points into.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/tls/tls_server.h"

namespace otakit::posix {

class ServerIdentity {
 public:
  // cert: one or more PEM CERTIFICATEs, the server's own first, then its intermediates (a CA
  // bundle's order, as `cat cert.pem intermediate.pem`). key: the first certificate's private
  // key, PEM "PRIVATE KEY" (PKCS#8), "EC PRIVATE KEY" (SEC 1) or "RSA PRIVATE KEY" (PKCS#1),
  // not encrypted. Throws std::runtime_error naming the file and the reason: unreadable, no
  // certificate, not PEM, not decodable, an encrypted key, a curve that cannot sign, or a key
  // that does not belong to the certificate.
  static ServerIdentity load_pem_files(const std::string& cert_path, const std::string& key_path);
  static ServerIdentity from_pem(const std::string& cert_pem, const std::string& key_pem,
                                 const std::string& cert_source = "certificate PEM",
                                 const std::string& key_source = "key PEM");

  ServerIdentity(ServerIdentity&&) = default;
  ServerIdentity& operator=(ServerIdentity&&) = default;
  ServerIdentity(const ServerIdentity&) = delete;  // the identity points into the owned bytes
  ServerIdentity& operator=(const ServerIdentity&) = delete;
  ~ServerIdentity();  // the private key's bytes are wiped

  // For TlsServerConfig::identity; valid while this object lives (a move keeps it valid).
  const tls::TlsServerIdentity& identity() const { return identity_; }
  size_t chain_length() const { return chain_.size(); }
  // "EC P-256 key, 1 certificate", "RSA 2048-bit key, 2 certificates".
  std::string summary() const;

 private:
  ServerIdentity() = default;
  void add_certificates(const std::string& pem, const std::string& source);
  void set_key(const std::string& pem, const std::string& source);
  void check_key_matches(const std::string& cert_source, const std::string& key_source) const;

  // Everything identity_ points to is on the heap (a moved std::vector keeps its bytes in
  // place), so it stays valid when this object moves.
  std::vector<std::vector<unsigned char>> der_;
  std::vector<br_x509_certificate> chain_;
  std::vector<std::vector<unsigned char>> key_parts_;  // EC: x; RSA: p, q, dp, dq, iq
  std::unique_ptr<br_ec_private_key> ec_key_;
  std::unique_ptr<br_rsa_private_key> rsa_key_;
  tls::TlsServerIdentity identity_;
};

}  // namespace otakit::posix
