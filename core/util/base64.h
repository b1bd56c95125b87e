// Base64 with padding (RFC 4648 §4): encodes and strictly decodes HTTP Basic credentials.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace otakit {

// Characters base64_encode writes for len input bytes (without the NUL).
constexpr size_t base64_encoded_length(size_t len) { return (len + 2) / 3 * 4; }

// Writes the encoding and a NUL: out must hold base64_encoded_length(len) + 1 chars.
// Returns the length without the NUL.
size_t base64_encode(const uint8_t* data, size_t len, char* out);

// Decodes canonical base64 only: a multiple of four characters, '=' only as the final one or two,
// unused bits zero, no whitespace. False on anything else or when the result exceeds capacity.
bool base64_decode(const char* text, size_t len, uint8_t* out, size_t capacity, size_t* decoded);

}  // namespace otakit
