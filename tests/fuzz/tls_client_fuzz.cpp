// The server's bytes, from whatever answers the device's HTTPS pull, into a started TlsClient.
// The first byte picks the trust mode and the piece size, the second the buffer (its MFLN) and
// duplex mode; the rest is the server's side of the TCP connection. Seeds are recorded server
// flights (OpenSSL 3, EC and RSA certificates): they stop at the signature or the Finished, as
// the client's random differs, but take the fuzzer through the record layer, the ServerHello
// scan and each mode's certificate handling. The client must never take more than offered, never
// stall with input left while it wants more, and always name its failure.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <vector>

#include "core/tls/tls_client.h"

using namespace otakit::tls;

namespace {

constexpr uint64_t kTime = 1700000000;  // 2023-11-14
constexpr uint8_t kEntropy[kEntropySize] = {42};

// A CA anchor with the P-256 generator as its key: no chain verifies against it, but the chain
// is decoded and checked up to the signature.
const unsigned char kAnchorDn[] = {0x30, 0x0f, 0x31, 0x0d, 0x30, 0x0b, 0x06, 0x03, 0x55,
                                   0x04, 0x03, 0x0c, 0x04, 'f',  'u',  'z',  'z'};
const unsigned char kAnchorPoint[] = {
  0x04, 0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5, 0x63, 0xa4, 0x40, 0xf2,
  0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96,
  0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e, 0x16,
  0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5};

br_x509_trust_anchor anchor() {
  br_x509_trust_anchor ta{};
  ta.dn = br_x500_name{const_cast<unsigned char*>(kAnchorDn), sizeof kAnchorDn};
  ta.flags = BR_X509_TA_CA;
  ta.pkey.key_type = BR_KEYTYPE_EC;
  ta.pkey.key.ec = br_ec_public_key{BR_EC_secp256r1, const_cast<unsigned char*>(kAnchorPoint), sizeof kAnchorPoint};
  return ta;
}

size_t buffer_size(uint8_t choice, bool half_duplex) {
  static const size_t kFragments[] = {512, 1024, 4096, kFullFragment};
  size_t fragment = kFragments[choice & 3];
  return half_duplex ? tls_half_duplex_buffer_size(fragment) : tls_buffer_size(fragment);
}

void check_state(const TlsClient& client) {
  bool failed = client.state() == TlsState::failed;
  if (failed != (client.error() != TlsError::ok)) __builtin_trap();
  if (strcmp(describe(client.error()), "unknown") == 0) __builtin_trap();
}

// What a driver does between reads: send everything, read everything, answer once ready.
void drain(TlsClient& client, bool* wrote) {
  const uint8_t* data;
  for (int i = 0; i < 64; i++) {
    size_t n = client.pending_output(&data);
    if (n == 0) break;
    if (data == nullptr) __builtin_trap();
    client.output_sent(n);
  }
  for (int i = 0; i < 64; i++) {
    size_t n = client.readable(&data);
    if (n == 0) break;
    if (data == nullptr) __builtin_trap();
    client.consumed(n);
  }
  if (client.state() == TlsState::ready && !*wrote) {
    static const uint8_t kRequest[] = "GET / HTTP/1.1\r\n\r\n";
    *wrote = client.write(kRequest, sizeof kRequest - 1) > 0;
    client.flush();
  } else if (client.state() != TlsState::ready && client.write(kEntropy, 1) != 0) {
    __builtin_trap();
  }
  check_state(client);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  TlsClientConfig config;
  config.server_name = "localhost";
  br_x509_trust_anchor ta = anchor();
  config.mode = (data[0] & 3) == 1 ? TrustMode::public_key_pin
              : (data[0] & 3) == 2 ? TrustMode::sha1_fingerprint : TrustMode::anchors;
  config.anchors = &ta;
  config.anchor_count = 1;
  config.half_duplex = (data[1] & 4) != 0;
  size_t piece = data[0] >> 2 == 0 ? size : size_t(data[0] >> 2);
  std::vector<uint8_t> buffer(buffer_size(data[1], config.half_duplex));
  TlsClient client(config, buffer.data(), buffer.size());
  if (!client.start(kTime, kEntropy, sizeof kEntropy)) __builtin_trap();
  bool wrote = false;
  drain(client, &wrote);
  const uint8_t* input = data + 2;
  size_t left = size - 2;
  while (left > 0 && client.state() != TlsState::failed && client.state() != TlsState::closed) {
    size_t offered = left < piece ? left : piece;
    size_t used = client.input_from_network(input, offered);
    if (used > offered) __builtin_trap();
    if (used == 0) {
      drain(client, &wrote);  // the client waits for its output or its plaintext to move
      used = client.input_from_network(input, offered);
      if (used == 0 && client.state() != TlsState::failed && client.state() != TlsState::closed) __builtin_trap();
    }
    input += used;
    left -= used;
    drain(client, &wrote);
  }
  client.network_closed();
  if (client.state() != TlsState::failed && client.state() != TlsState::closed) __builtin_trap();
  check_state(client);
  return 0;
}
