// PEM armour via BearSSL's decoder; the DER walk is ours (BearSSL has no SPKI public-key reader).
#include "core/crypto/rsa_public_key.h"

#include <bearssl_pem.h>
#include <string.h>

namespace otakit::crypto {
namespace {


// One DER element: tag and content bounds inside the input.
struct Tlv {
  uint8_t tag = 0;
  const uint8_t* content = nullptr;
  size_t len = 0;
};

class DerReader {
 public:
  DerReader(const uint8_t* p, size_t n) : p_(p), end_(p + n) {}
  bool at_end() const { return p_ == end_; }

  // Reads one element with a definite length that fits inside the input.
  bool next(Tlv* out) {
    if (end_ - p_ < 2) return false;
    out->tag = *p_++;
    size_t len = *p_++;
    if (len & 0x80) {
      size_t count = len & 0x7F;
      if (count == 0 || count > 4 || size_t(end_ - p_) < count) return false;
      len = 0;
      for (size_t i = 0; i < count; ++i) len = len << 8 | *p_++;
    }
    if (len > size_t(end_ - p_)) return false;
    out->content = p_;
    out->len = len;
    p_ += len;
    return true;
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

constexpr uint8_t kSequence = 0x30, kInteger = 0x02, kBitString = 0x03, kOid = 0x06;
const uint8_t kRsaEncryptionOid[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};

// Strips the sign-padding zero bytes of a DER INTEGER; rejects negatives.
bool unsigned_integer(const Tlv& t, const uint8_t** p, size_t* n) {
  if (t.tag != kInteger || t.len == 0 || (t.content[0] & 0x80)) return false;
  *p = t.content;
  *n = t.len;
  while (*n > 1 && **p == 0) {
    ++*p;
    --*n;
  }
  return true;
}

struct PemSink {
  uint8_t* der;
  size_t len;
  bool overflow;
};

void pem_append(void* ctx, const void* data, size_t len) {
  PemSink* sink = static_cast<PemSink*>(ctx);
  if (len > RsaPublicKey::kMaxDerBytes - sink->len) {
    sink->overflow = true;
    return;
  }
  memcpy(sink->der + sink->len, data, len);
  sink->len += len;
}

bool looks_like_pem(const uint8_t* data, size_t len) {
  static const char kMarker[] = "-----BEGIN ";
  size_t m = sizeof(kMarker) - 1;
  for (size_t i = 0; i + m <= len; ++i)
    if (memcmp(data + i, kMarker, m) == 0) return true;
  return false;
}

}  // namespace

const char* describe(KeyError error) {
  switch (error) {
    case KeyError::ok: return "ok";
    case KeyError::empty: return "the key file is empty";
    case KeyError::bad_pem: return "the PEM text is broken (no complete BEGIN/END block)";
    case KeyError::bad_der: return "the key's DER structure is malformed or truncated";
    case KeyError::not_rsa: return "the key is not an RSA public key";
    case KeyError::modulus_too_large: return "the RSA modulus is larger than 4096 bits";
    case KeyError::modulus_too_small: return "the RSA modulus is smaller than 1024 bits";
    case KeyError::bad_exponent: return "the RSA public exponent is invalid";
  }
  return "unknown key error";
}

KeyError RsaPublicKey::load(const uint8_t* data, size_t len) {
  modulus_len_ = exponent_len_ = 0;
  if (len == 0) return KeyError::empty;
  if (!looks_like_pem(data, len)) return load_der(data, len);

  br_pem_decoder_context pem;
  br_pem_decoder_init(&pem);
  // The DER goes into this key's own scratch (not the small device stack, and no shared static:
  // two keys may load at once on a threaded host).
  PemSink sink{der_scratch_, 0, false};
  bool inside = false, done = false;
  while (len > 0 && !done) {
    size_t used = br_pem_decoder_push(&pem, data, len);
    data += used;
    len -= used;
    switch (br_pem_decoder_event(&pem)) {
      case BR_PEM_BEGIN_OBJ:
        inside = true;
        br_pem_decoder_setdest(&pem, pem_append, &sink);
        break;
      case BR_PEM_END_OBJ:
        done = inside;
        break;
      case BR_PEM_ERROR:
        return KeyError::bad_pem;
      default:
        break;
    }
  }
  if (!done || sink.overflow) return KeyError::bad_pem;
  return load_der(sink.der, sink.len);
}

KeyError RsaPublicKey::load_der(const uint8_t* der, size_t len) {
  DerReader outer(der, len);
  Tlv top;
  if (!outer.next(&top) || top.tag != kSequence || !outer.at_end()) return KeyError::bad_der;

  DerReader inner(top.content, top.len);
  Tlv first;
  if (!inner.next(&first)) return KeyError::bad_der;

  const uint8_t* rsa_key = top.content;  // PKCS#1 RSAPublicKey: SEQUENCE { n, e }
  size_t rsa_key_len = top.len;
  if (first.tag == kSequence) {  // SubjectPublicKeyInfo: SEQUENCE { algorithm, BIT STRING }
    DerReader alg(first.content, first.len);
    Tlv oid, bits;
    if (!alg.next(&oid) || oid.tag != kOid) return KeyError::bad_der;
    if (oid.len != sizeof(kRsaEncryptionOid) || memcmp(oid.content, kRsaEncryptionOid, oid.len) != 0)
      return KeyError::not_rsa;
    if (!inner.next(&bits) || bits.tag != kBitString || bits.len < 1 || bits.content[0] != 0 ||
        !inner.at_end())
      return KeyError::bad_der;
    DerReader wrapped(bits.content + 1, bits.len - 1);
    Tlv seq;
    if (!wrapped.next(&seq) || seq.tag != kSequence || !wrapped.at_end()) return KeyError::bad_der;
    rsa_key = seq.content;
    rsa_key_len = seq.len;
  } else if (first.tag != kInteger) {
    return KeyError::bad_der;
  }

  DerReader fields(rsa_key, rsa_key_len);
  Tlv n_tlv, e_tlv;
  if (!fields.next(&n_tlv) || !fields.next(&e_tlv) || !fields.at_end()) return KeyError::bad_der;
  const uint8_t *n, *e;
  size_t n_len, e_len;
  if (!unsigned_integer(n_tlv, &n, &n_len)) return KeyError::bad_der;
  if (!unsigned_integer(e_tlv, &e, &e_len)) return KeyError::bad_exponent;
  if (n_len > kMaxModulusBytes) return KeyError::modulus_too_large;
  if (n_len < 128) return KeyError::modulus_too_small;
  if (e_len > kMaxExponentBytes || (e_len == 1 && e[0] < 3) || (e[e_len - 1] & 1) == 0)
    return KeyError::bad_exponent;

  memcpy(modulus_, n, n_len);
  memcpy(exponent_, e, e_len);
  modulus_len_ = n_len;
  exponent_len_ = e_len;
  return KeyError::ok;
}

}  // namespace otakit::crypto
