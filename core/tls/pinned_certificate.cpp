// The br_x509_class methods of PinnedCertificate: hash the first certificate (SHA-1 of all of it,
// SHA-256 of its SubjectPublicKeyInfo), decode its key, and compare at the end of the chain.
#include <string.h>

#include "core/tls/pinned_certificate.h"

namespace otakit::tls {
namespace {

PinnedCertificate& self(const br_x509_class** ctx) { return *reinterpret_cast<PinnedCertificate*>(ctx); }

void start_chain(const br_x509_class** ctx, const char* /*server_name: not checked*/) {
  PinnedCertificate& pin = self(ctx);
  pin.certificates = 0;
  pin.trailing_bytes = false;
  pin.result = 0;
  br_sha1_init(&pin.sha1);
  br_sha256_init(&pin.sha256);
  pin.spki.reset();
  br_x509_decoder_init(&pin.decoder, nullptr, nullptr);
}

void start_cert(const br_x509_class** ctx, uint32_t /*length*/) { self(ctx).certificates++; }

// BearSSL 0.6's decoder must not run again once it has failed or finished: it then reads outside
// its code (found by fuzz_tls_client). Bytes after the end of the DER make the certificate invalid.
void decode(PinnedCertificate& pin, const unsigned char* data, size_t len) {
  if (pin.decoder.err != 0) return;
  if (pin.decoder.decoded) {
    pin.trailing_bytes = true;
    return;
  }
  br_x509_decoder_push(&pin.decoder, data, len);
}

void append(const br_x509_class** ctx, const unsigned char* data, size_t len) {
  PinnedCertificate& pin = self(ctx);
  if (pin.certificates != 1) return;  // the CA certificates after the server's are not needed
  decode(pin, data, len);
  if (pin.kind == PinKind::certificate_sha1) {
    br_sha1_update(&pin.sha1, data, len);
    return;
  }
  const uint8_t* spki;
  size_t spki_len;
  pin.spki.feed(data, len, &spki, &spki_len);
  br_sha256_update(&pin.sha256, spki, spki_len);
}

void end_cert(const br_x509_class** /*ctx*/) {}

int compare(PinnedCertificate& pin) {
  uint8_t digest[kPublicKeyPinSize];
  size_t size = kFingerprintSize;
  if (pin.kind == PinKind::certificate_sha1) {
    br_sha1_out(&pin.sha1, digest);
  } else {
    if (!pin.spki.found()) return BR_ERR_X509_INVALID_VALUE;
    br_sha256_out(&pin.sha256, digest);
    size = kPublicKeyPinSize;
  }
  return memcmp(digest, pin.expected, size) == 0 ? 0 : BR_ERR_X509_NOT_TRUSTED;
}

unsigned end_chain(const br_x509_class** ctx) {
  PinnedCertificate& pin = self(ctx);
  if (pin.certificates == 0) {
    pin.result = BR_ERR_X509_EMPTY_CHAIN;
  } else if (int decoded = br_x509_decoder_last_error(&pin.decoder); decoded != 0) {
    pin.result = decoded;
  } else if (pin.trailing_bytes) {
    pin.result = BR_ERR_X509_EXTRA_ELEMENT;
  } else {
    pin.result = compare(pin);
  }
  return unsigned(pin.result);
}

const br_x509_pkey* get_pkey(const br_x509_class* const* ctx, unsigned* usages) {
  PinnedCertificate& pin = *reinterpret_cast<PinnedCertificate*>(const_cast<const br_x509_class**>(ctx));
  if (usages != nullptr) *usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN;  // pinned: any use
  return pin.result == 0 ? br_x509_decoder_get_pkey(&pin.decoder) : nullptr;
}

const br_x509_class kPinnedCertificateClass = {
  sizeof(PinnedCertificate), start_chain, start_cert, append, end_cert, end_chain, get_pkey,
};

}  // namespace

void PinnedCertificate::init(PinKind pin_kind, const uint8_t* digest) {
  vtable = &kPinnedCertificateClass;
  kind = pin_kind;
  memset(expected, 0, sizeof expected);
  memcpy(expected, digest, pin_kind == PinKind::certificate_sha1 ? kFingerprintSize : kPublicKeyPinSize);
  start_chain(&vtable, nullptr);
}

}  // namespace otakit::tls
