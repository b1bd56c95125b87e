// Lowercase hex encoding and strict hex decoding (digests, nonces, MD5 strings).
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace otakit {

// Writes 2*len lowercase hex digits and a NUL: out must hold 2*len + 1 chars.
void to_hex(const uint8_t* data, size_t len, char* out);

// Decodes exactly 2*len hex digits (either case). False on any non-hex character.
bool from_hex(const char* text, size_t len, uint8_t* out);

// The value of one hex digit (either case), or -1.
int hex_digit_value(char c);

// True if text[0..n) are all hex digits (either case).
bool is_hex(const char* text, size_t n);

// Case-insensitive comparison of two hex strings of length n, in constant time.
bool hex_equal_ci(const char* a, const char* b, size_t n);

}  // namespace otakit
