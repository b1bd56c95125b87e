// The signed-image trailer: image || signature || uint32 little-endian signature length.
// The same layout carries current (DigestInfo) and legacy (bare digest) signatures.
#pragma once
#include <stdint.h>

namespace otakit {

constexpr uint32_t kTrailerLengthField = 4;
constexpr uint32_t kMaxSignatureLength = 512;  // RSA-4096

enum class TrailerError : uint8_t {
  ok,
  too_short,        // the file is shorter than the 4-byte length field
  length_zero,      // the length field says 0
  length_too_large, // the length field is above any supported signature (512 bytes)
  outside_file,     // the declared signature would start before the beginning of the file
  length_mismatch,  // the length field differs from the verifying key's signature length
  no_payload,       // signature and length field are the whole file: nothing was signed
};

const char* describe(TrailerError error);

struct SignedLayout {
  uint32_t payload_size = 0;      // bytes covered by the signature (offset 0)
  uint32_t signature_offset = 0;  // == payload_size
  uint32_t signature_length = 0;
};

// total_size: whole file; length_field: the little-endian uint32 in its last 4 bytes;
// expected_length: the key's signature length, or 0 to accept any plausible length.
TrailerError parse_signed_trailer(uint32_t total_size, uint32_t length_field,
                                  uint32_t expected_length, SignedLayout* out);

}  // namespace otakit
