// The client's bytes, from whatever connects to the device's HTTPS upload page, into a started
// TlsServer. The first byte picks the key (EC P-256 or RSA-1024) and the piece size, the second
// the buffer layout (full, 512-byte output, 2048-byte output, half duplex) and whether a session
// cache is shared; the rest is the client's side of the TCP connection. Seeds are recorded client
// flights (curl and openssl s_client against a TLS 1.2 server, through a recording proxy): the
// ClientHello drives the whole server flight (ECDHE, the signature), what follows fails at the
// Finished, as the server's random differs. The server must never take more than offered, never
// stall with input left while it wants more, never send after a failure, and always name it.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <vector>

#include "core/tls/tls_server.h"

using namespace otakit::tls;

namespace {

constexpr uint8_t kEntropy[kEntropySize] = {7};

// The certificate is sent as it is, never parsed by the server: any bytes serve.
unsigned char kCertificate[64] = {0x30, 0x3e};
br_x509_certificate kChain[] = {{kCertificate, sizeof kCertificate}};

unsigned char kEcScalar[32] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
                               0xcc, 0xdd, 0xee, 0xff, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                               0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x12};
br_ec_private_key kEcKey = {BR_EC_secp256r1, kEcScalar, sizeof kEcScalar};

// A 1024-bit RSA key made for this fuzzer (openssl genrsa 1024): small, so each run signs fast.
const unsigned char kRsaP[] = {
  0xd1, 0x24, 0x4a, 0x1e, 0xcd, 0x2c, 0xe2, 0x33, 0xa9, 0xd9, 0x18, 0x81, 0xe2, 0xad, 0x10, 0x1e,
  0xe8, 0xe6, 0x4a, 0x01, 0x6a, 0xd9, 0x76, 0xd9, 0xa3, 0x1c, 0x6b, 0x21, 0xa0, 0x0c, 0x4c, 0x89,
  0x0c, 0xb1, 0x95, 0xe2, 0x48, 0x4a, 0x55, 0x76, 0xb8, 0xc1, 0xe5, 0xb2, 0xa6, 0x28, 0x59, 0xb5,
  0xcb, 0x56, 0xb8, 0x51, 0x37, 0xfc, 0x57, 0xa4, 0x9a, 0xd4, 0xdc, 0xa1, 0x27, 0x95, 0x7e, 0x87,
};
const unsigned char kRsaQ[] = {
  0xcb, 0x92, 0x34, 0x0f, 0x50, 0x86, 0xc5, 0x46, 0x92, 0x3d, 0xa4, 0x9b, 0x58, 0xaf, 0xe6, 0x7d,
  0x98, 0x52, 0xda, 0x08, 0x9e, 0xe7, 0xaf, 0xdb, 0x49, 0x24, 0x54, 0x1c, 0xec, 0x69, 0xe4, 0xbd,
  0xe9, 0x43, 0xa4, 0x5d, 0x2f, 0xba, 0x84, 0x9d, 0xac, 0xae, 0x23, 0x27, 0x8f, 0x5c, 0x80, 0xc4,
  0x8d, 0x8f, 0xeb, 0x2f, 0xbb, 0x7f, 0x5b, 0x9e, 0x56, 0xcb, 0xf7, 0xbd, 0x81, 0xc3, 0x6b, 0x23,
};
const unsigned char kRsaDP[] = {
  0x8c, 0x03, 0x92, 0x87, 0xaa, 0x6e, 0xa9, 0x05, 0x53, 0x69, 0x5e, 0xe9, 0xdd, 0xba, 0x64, 0xf7,
  0x7c, 0x8e, 0x67, 0xef, 0x28, 0xfc, 0x6b, 0x7f, 0xea, 0x9e, 0x24, 0xee, 0xbe, 0xfa, 0x5c, 0xe6,
  0xc7, 0x93, 0xc0, 0x37, 0x5c, 0x94, 0x3f, 0x41, 0x1b, 0x11, 0xdc, 0x58, 0x4c, 0xba, 0xe8, 0xcc,
  0x37, 0x54, 0x58, 0x53, 0x2f, 0x7b, 0x05, 0xa5, 0xd2, 0x6e, 0x3d, 0x42, 0xba, 0x80, 0x6f, 0xd3,
};
const unsigned char kRsaDQ[] = {
  0x90, 0x11, 0x97, 0x70, 0x63, 0x30, 0x0d, 0xfb, 0x84, 0xd1, 0xc5, 0x65, 0xff, 0x9c, 0xf5, 0x45,
  0x5b, 0x80, 0xff, 0x37, 0x6c, 0xa6, 0x51, 0x69, 0xa2, 0xd8, 0xe8, 0x02, 0x54, 0x3a, 0x19, 0x1d,
  0x62, 0x31, 0x71, 0xe8, 0x55, 0x37, 0xee, 0x54, 0xdc, 0x79, 0x9c, 0xfd, 0x89, 0x53, 0x10, 0xfa,
  0x89, 0xa9, 0x19, 0xeb, 0xfd, 0x09, 0x04, 0x21, 0x0a, 0x12, 0x6d, 0xf1, 0x1b, 0x1d, 0xde, 0xfb,
};
const unsigned char kRsaIQ[] = {
  0x9d, 0x50, 0xff, 0x30, 0x3b, 0xd5, 0x0d, 0xe0, 0x91, 0xad, 0x28, 0xac, 0x27, 0x6a, 0xbb, 0x83,
  0x47, 0xfc, 0xea, 0xd8, 0x3a, 0xb1, 0xc7, 0x33, 0x22, 0xd3, 0x53, 0xfe, 0x6f, 0xa6, 0x95, 0xac,
  0xc2, 0x2d, 0x54, 0x34, 0x97, 0x50, 0xe8, 0xe3, 0x10, 0x40, 0x02, 0x32, 0x9d, 0x4b, 0x21, 0x83,
  0xe4, 0x24, 0x83, 0x23, 0xec, 0x78, 0x93, 0x29, 0x18, 0x75, 0x78, 0xca, 0x23, 0xba, 0x7d, 0xd6,
};
br_rsa_private_key kRsaKey = {1024,
                              const_cast<unsigned char*>(kRsaP), sizeof kRsaP,
                              const_cast<unsigned char*>(kRsaQ), sizeof kRsaQ,
                              const_cast<unsigned char*>(kRsaDP), sizeof kRsaDP,
                              const_cast<unsigned char*>(kRsaDQ), sizeof kRsaDQ,
                              const_cast<unsigned char*>(kRsaIQ), sizeof kRsaIQ};

size_t buffer_size(uint8_t choice, bool* half_duplex) {
  *half_duplex = (choice & 3) == 3;
  static const size_t kSizes[] = {kTlsServerBufferFull, kTlsServerBufferSmall, tls_server_buffer_size(2048),
                                  kTlsServerBufferHalfDuplex};
  return kSizes[choice & 3];
}

bool finished(const TlsServer& server) {
  return server.state() == TlsState::failed || server.state() == TlsState::closed;
}

void check_state(const TlsServer& server) {
  bool failed = server.state() == TlsState::failed;
  if (failed != (server.error() != TlsError::ok)) __builtin_trap();
  if (strcmp(describe_from_server(server.error()), "unknown") == 0) __builtin_trap();
  if (server.plain_http() && server.error() != TlsError::not_tls) __builtin_trap();
}

// What a driver does between reads: send everything, read everything, answer once ready.
void drain(TlsServer& server, bool* wrote) {
  const uint8_t* data;
  for (int i = 0; i < 64; i++) {
    size_t n = server.pending_output(&data);
    if (n == 0) break;
    if (data == nullptr || server.error() != TlsError::ok) __builtin_trap();
    server.output_sent(n);
  }
  for (int i = 0; i < 64; i++) {
    size_t n = server.readable(&data);
    if (n == 0) break;
    if (data == nullptr) __builtin_trap();
    server.consumed(n);
  }
  if (server.state() == TlsState::ready && !*wrote) {
    static const uint8_t kReply[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    *wrote = server.write(kReply, sizeof kReply - 1) > 0;
    server.flush();
  } else if (server.state() != TlsState::ready && server.write(kEntropy, 1) != 0) {
    __builtin_trap();
  }
  check_state(server);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  // A cache of its own each run, so that every run is reproducible: a ClientHello's session id
  // is looked up in it, and a completed handshake saved.
  unsigned char cache_store[4 * 100];
  br_ssl_session_cache_lru cache;
  br_ssl_session_cache_lru_init(&cache, cache_store, sizeof cache_store);
  TlsServerConfig config;
  config.identity.chain = kChain;
  config.identity.chain_length = 1;
  if (data[0] & 1) {
    config.identity.rsa_key = &kRsaKey;
  } else {
    config.identity.ec_key = &kEcKey;
  }
  if (data[1] & 4) config.session_cache = &cache.vtable;
  size_t piece = data[0] >> 1 == 0 ? size : size_t(data[0] >> 1);
  std::vector<uint8_t> buffer(buffer_size(data[1], &config.half_duplex));
  TlsServer server(config, buffer.data(), buffer.size());
  if (!server.start(kEntropy, sizeof kEntropy)) __builtin_trap();
  bool wrote = false;
  drain(server, &wrote);
  const uint8_t* input = data + 2;
  size_t left = size - 2;
  while (left > 0 && !finished(server)) {
    size_t offered = left < piece ? left : piece;
    size_t used = server.input_from_network(input, offered);
    if (used > offered) __builtin_trap();
    if (used == 0) {
      drain(server, &wrote);  // the server waits for its output or its plaintext to move
      used = server.input_from_network(input, offered);
      if (used == 0 && !finished(server)) __builtin_trap();
    }
    input += used;
    left -= used;
    drain(server, &wrote);
  }
  server.network_closed();
  drain(server, &wrote);
  if (!finished(server)) __builtin_trap();
  check_state(server);
  return 0;
}
