// How large the caller's TLS buffer must be for each maximum fragment length (RFC 6066 MFLN).
// A buffer smaller than the full size makes the client ask the server for shorter records. A
// server cannot ask: its input must always take a full record (tls_server_buffer_size()).
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

// The server (TlsServer). Browsers and curl send no MFLN, so a client may send records of 16 KB
// (an upload does): the input always takes a full record. The output is the server's choice:
// records of `output_fragment` bytes (512 ... 16384) for what the server sends.
constexpr size_t kServerInputSize = kFullFragment + kInputOverhead;  // BR_SSL_BUFSIZE_INPUT, 16,709
constexpr size_t tls_server_buffer_size(size_t output_fragment) {
  return kServerInputSize + output_fragment + kOutputOverhead;
}
constexpr size_t kTlsServerBufferFull = tls_server_buffer_size(kFullFragment);  // 33,178, the default
constexpr size_t kTlsServerBufferSmall = tls_server_buffer_size(kMinFragment);  // 17,306: 512-byte replies
// Half duplex: one record buffer for both directions, 16,709 bytes. The server cannot send while a
// received record waits to be read, which HTTP's request then reply never needs.
constexpr size_t kTlsServerBufferHalfDuplex = kServerInputSize;

// The fragment length of the server's own records for a buffer of `size` bytes (0: too small).
// Full duplex, the output gets what the input leaves: the largest fragment of 512, 1024, 2048,
// 4096 or 16384 that fits (BearSSL uses no 8192). Half duplex shares the one full-size buffer.
constexpr size_t server_fragment_for(size_t size, bool half_duplex) {
  if (size < kServerInputSize) return 0;
  if (half_duplex) return kFullFragment;
  const size_t output = size - kServerInputSize;
  if (output >= kFullFragment + kOutputOverhead) return kFullFragment;
  for (size_t fragment = 4096; fragment >= kMinFragment; fragment /= 2) {
    if (output >= fragment + kOutputOverhead) return fragment;
  }
  return 0;
}

}  // namespace otakit::tls
