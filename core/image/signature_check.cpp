#include "core/image/signature_check.h"

#include "core/crypto/signature_verifier.h"
#include "core/util/bytes.h"
#include "core/util/text.h"

namespace otakit {
namespace {

crypto::RsaPadding padding_of(SignatureFormat format) {
  return format == SignatureFormat::current ? crypto::RsaPadding::pkcs1_sha256
                                            : crypto::RsaPadding::legacy_bare;
}

SignatureFormat other(SignatureFormat format) {
  return format == SignatureFormat::current ? SignatureFormat::legacy : SignatureFormat::current;
}

bool verifies(const crypto::RsaPublicKey& key, SignatureFormat format, const SignatureCheck& c,
              const uint8_t* file) {
  crypto::RsaSha256Verifier verifier(key, padding_of(format));
  return verifier.verify(c.payload_sha256, file + c.layout.signature_offset,
                         c.layout.signature_length);
}

}  // namespace

const char* describe(SignatureFormat format) {
  return format == SignatureFormat::current ? "current (SHA-256 DigestInfo)"
                                            : "legacy (bare SHA-256)";
}

SignatureCheck check_signed_file(const uint8_t* file, uint32_t size,
                                 const crypto::RsaPublicKey& key, SignatureFormat expected) {
  SignatureCheck c;
  c.key_signature_length = uint32_t(key.modulus_bytes());
  if (key.empty()) return c;
  if (size == 0) {
    c.status = SignatureStatus::empty_file;
    return c;
  }
  c.length_field = size >= kTrailerLengthField ? load_le32(file + size - kTrailerLengthField) : 0;
  c.trailer = parse_signed_trailer(size, c.length_field, c.key_signature_length, &c.layout);
  if (c.trailer == TrailerError::length_mismatch) {
    SignedLayout any;
    bool plausible = parse_signed_trailer(size, c.length_field, 0, &any) == TrailerError::ok;
    c.status = plausible ? SignatureStatus::wrong_key_size : SignatureStatus::no_trailer;
    return c;
  }
  if (c.trailer != TrailerError::ok) {
    c.status = SignatureStatus::no_trailer;
    return c;
  }
  crypto::Sha256 sha;
  sha.update(file, c.layout.payload_size);
  sha.finish(c.payload_sha256);
  if (verifies(key, expected, c, file)) {
    c.status = SignatureStatus::valid;
    c.found = expected;
  } else if (verifies(key, other(expected), c, file)) {
    c.status = SignatureStatus::format_mismatch;
    c.found = other(expected);
  } else {
    c.status = SignatureStatus::bad_signature;
  }
  return c;
}

const char* describe(const SignatureCheck& c, SignatureFormat expected, char* out, size_t cap) {
  TextBuilder t(out, cap);
  switch (c.status) {
    case SignatureStatus::valid:
      t.add("signature valid: ")
          .add(describe(c.found))
          .add(", ")
          .add_u32(c.layout.signature_length);
      t.add("-byte signature over ").add_u32(c.layout.payload_size).add(" bytes");
      break;
    case SignatureStatus::no_key: t.add("no public key to verify with"); break;
    case SignatureStatus::empty_file: t.add("the file is empty"); break;
    case SignatureStatus::no_trailer:
      t.add("unsigned or damaged: no signature trailer (").add(describe(c.trailer));
      t.add("; the last 4 bytes read as ").add_u32(c.length_field).add(")");
      break;
    case SignatureStatus::wrong_key_size:
      t.add("signed for a different key: the trailer announces a ").add_u32(c.length_field);
      t.add("-byte signature, this key makes ").add_u32(c.key_signature_length).add("-byte ones");
      break;
    case SignatureStatus::format_mismatch:
      t.add("signature is in the ").add(describe(c.found)).add(" format, but the ");
      t.add(describe(expected)).add(" format was expected");
      t.add(expected == SignatureFormat::current ? " (pass --legacy to accept it)"
                                                 : " (drop --legacy to accept it)");
      break;
    case SignatureStatus::bad_signature:
      t.add("signature does not match: the image was changed after signing, or another key ");
      t.add("signed it");
      break;
  }
  return out;
}

}  // namespace otakit
