// How large the caller's TLS buffer must be for each maximum fragment length (RFC 6066 MFLN).
// A buffer smaller than the full size makes the client ask the server for shorter records.
#pragma once
#include <stddef.h>

namespace otakit::tls {

// BearSSL's room around one record's plaintext: header, IV, MAC or tag, padding.
constexpr size_t kInputOverhead = 325;
constexpr size_t kOutputOverhead = 85;
constexpr size_t kFullFragment = 16384;  // the TLS maximum, what a server sends without MFLN
constexpr size_t kMinFragment = 512;     // the smallest length MFLN can ask for

// Full duplex: separate input and output records, as the ESP8266 core's WiFiClientSecure.
constexpr size_t tls_buffer_size(size_t max_fragment) {
  return max_fragment + kInputOverhead + max_fragment + kOutputOverhead;
}
// Half duplex: one record buffer for both directions. Enough for request / response protocols
// like HTTP, in about half the RAM.
constexpr size_t tls_half_duplex_buffer_size(size_t max_fragment) { return max_fragment + kInputOverhead; }

constexpr size_t kTlsBuffer512 = tls_buffer_size(512);
constexpr size_t kTlsBuffer1024 = tls_buffer_size(1024);
constexpr size_t kTlsBuffer2048 = tls_buffer_size(2048);
constexpr size_t kTlsBuffer4096 = tls_buffer_size(4096);
constexpr size_t kTlsBufferFull = tls_buffer_size(kFullFragment);  // BR_SSL_BUFSIZE_BIDI

// The fragment length a buffer of `size` bytes supports: the largest of 512, 1024, 2048, 4096
// and 16384 that fits, or 0 when the buffer is too small for any.
constexpr size_t max_fragment_for(size_t size, bool half_duplex) {
  size_t fragment = kFullFragment;
  if ((half_duplex ? tls_half_duplex_buffer_size(fragment) : tls_buffer_size(fragment)) <= size) return fragment;
  for (fragment = 4096; fragment >= kMinFragment; fragment /= 2) {
    if ((half_duplex ? tls_half_duplex_buffer_size(fragment) : tls_buffer_size(fragment)) <= size) return fragment;
  }
  return 0;
}

}  // namespace otakit::tls
