// BearSSL certificate handling (a br_x509_class) for the two pin modes: the server is trusted
// when its certificate, the first of the chain, matches a digest. Chain, dates and name are not
// checked; the pin is the trust. The certificate arrives in pieces and is never stored.
#pragma once
#include <bearssl_hash.h>
#include <bearssl_x509.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tls/spki_locator.h"

namespace otakit::tls {

constexpr size_t kPublicKeyPinSize = 32;    // SHA-256
constexpr size_t kFingerprintSize = 20;     // SHA-1

enum class PinKind : uint8_t {
  public_key_sha256,     // of the SubjectPublicKeyInfo DER, as curl --pinnedpubkey sha256//...
  certificate_sha1,      // of the whole certificate DER, as WiFiClientSecure::setFingerprint
};

// Plain data (it shares a union with br_x509_minimal_context in TlsClient): init() before use.
// The first member is BearSSL's vtable pointer, so &vtable is the br_x509_class** BearSSL takes.
struct PinnedCertificate {
  const br_x509_class* vtable;

  PinKind kind;
  uint8_t expected[kPublicKeyPinSize];  // the first kFingerprintSize bytes for certificate_sha1

  // The chain being received; only its first certificate counts.
  uint32_t certificates;
  br_sha1_context sha1;
  br_sha256_context sha256;
  SpkiLocator spki;
  br_x509_decoder_context decoder;  // the key the handshake needs, and the check of the DER
  bool trailing_bytes;              // bytes after the end of the certificate's DER
  int result;                       // 0, or the BR_ERR_X509_* code end_chain reports

  // `digest` has kPublicKeyPinSize or kFingerprintSize bytes as the kind says.
  void init(PinKind pin_kind, const uint8_t* digest);
};

}  // namespace otakit::tls
