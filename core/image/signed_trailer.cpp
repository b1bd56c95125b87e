#include "core/image/signed_trailer.h"

namespace otakit {

const char* describe(TrailerError error) {
  switch (error) {
    case TrailerError::ok: return "ok";
    case TrailerError::too_short: return "file is shorter than the 4-byte signature length field";
    case TrailerError::length_zero: return "signature length field is 0";
    case TrailerError::length_too_large: return "signature length field exceeds 512 bytes";
    case TrailerError::outside_file: return "signature length points outside the file";
    case TrailerError::length_mismatch: return "signature length does not match the key";
    case TrailerError::no_payload: return "signed file contains no image bytes";
  }
  return "unknown trailer error";
}

TrailerError parse_signed_trailer(uint32_t total_size, uint32_t length_field,
                                  uint32_t expected_length, SignedLayout* out) {
  if (total_size < kTrailerLengthField) return TrailerError::too_short;
  if (length_field == 0) return TrailerError::length_zero;
  if (length_field > kMaxSignatureLength) return TrailerError::length_too_large;
  uint32_t room = total_size - kTrailerLengthField;
  if (length_field > room) return TrailerError::outside_file;
  if (expected_length != 0 && length_field != expected_length) return TrailerError::length_mismatch;
  if (length_field == room) return TrailerError::no_payload;
  out->payload_size = room - length_field;
  out->signature_offset = out->payload_size;
  out->signature_length = length_field;
  return TrailerError::ok;
}

}  // namespace otakit
