// Checks a whole signed file (image || signature || u32le length) against an RSA public key with
// the core's BearSSL verifier, and says which format it is in and, if it fails, exactly why.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "core/crypto/digest.h"
#include "core/crypto/rsa_public_key.h"
#include "core/image/signed_trailer.h"

namespace otakit {

enum class SignatureFormat : uint8_t {
  current,  // RSASSA-PKCS1-v1_5 with the SHA-256 DigestInfo (signing.py, cores >= 2.5.2)
  legacy,   // PKCS#1 v1.5 type 1 over the bare SHA-256 (signing.py --legacy, older cores)
};
const char* describe(SignatureFormat format);

enum class SignatureStatus : uint8_t {
  valid,   // the signature matches in the expected format
  no_key,  // the public key is empty
  empty_file,
  no_trailer,       // the last 4 bytes are no usable signature length: unsigned or damaged
  wrong_key_size,   // a plausible signature length, but not this key's modulus length
  format_mismatch,  // valid, but in the other format than expected
  bad_signature,    // neither format verifies: the image was changed or another key signed it
};

struct SignatureCheck {
  SignatureStatus status = SignatureStatus::no_key;
  TrailerError trailer = TrailerError::ok;  // why the trailer was rejected (no_trailer)
  uint32_t length_field = 0;                // the little-endian u32 at the end of the file
  uint32_t key_signature_length = 0;        // the key's modulus length in bytes
  SignedLayout layout;                      // valid unless status is no_trailer/wrong_key_size
  SignatureFormat found = SignatureFormat::current;  // for valid and format_mismatch
  uint8_t payload_sha256[crypto::kSha256Size] = {};  // of the signed bytes, when a layout exists

  bool ok() const { return status == SignatureStatus::valid; }
};

SignatureCheck check_signed_file(const uint8_t* file, uint32_t size,
                                 const crypto::RsaPublicKey& key, SignatureFormat expected);

// One sentence: what was found and, on failure, what to do. Returns out.
const char* describe(const SignatureCheck& check, SignatureFormat expected, char* out, size_t cap);

}  // namespace otakit
