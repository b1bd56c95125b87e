// Auth replies (device side) and every UDP answer a device can send (host side) come from the
// network: parse both, check the accepted values round-trip.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/espota/auth.h"
#include "core/espota/replies.h"

using namespace otakit::espota;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  AuthReply reply;
  if (parse_auth_reply(data, size, &reply) == AuthReplyError::ok) {
    char text[80];
    size_t n = format_auth_reply(reply, text, sizeof(text));
    AuthReply again;
    if (n != 70 || parse_auth_reply(reinterpret_cast<uint8_t*>(text), n, &again) != AuthReplyError::ok) __builtin_trap();
    if (!auth_response_matches(again.response, reply.response)) __builtin_trap();
  }
  UdpReply udp = parse_udp_reply(data, size);
  if (udp.kind == UdpReplyKind::auth_challenge && strlen(udp.nonce.text) != kMd5HexLength) __builtin_trap();
  if (udp.error_code > 999) __builtin_trap();
  Hex32 hash;
  normalize_password_hash(reinterpret_cast<const char*>(data), size, &hash);
  return 0;
}
