// Device -> host messages of espota: the UDP answers to an invitation or auth reply ("OK",
// "AUTH <nonce>", "Authentication Failed", "ERR: ERROR[n]: text\n") and the TCP byte-count acks.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "core/espota/auth.h"

namespace otakit::espota {

enum class UdpReplyKind : uint8_t {
  ok,              // "OK": the device reserved space and will connect
  auth_challenge,  // "AUTH <nonce>"
  auth_failed,     // "Authentication Failed"
  device_error,    // "ERR: <text>", e.g. "ERR: ERROR[4]: Not Enough Space\n" or a busy device
  unknown,         // anything else: espota.py's "Bad Answer"
};

struct UdpReply {
  UdpReplyKind kind = UdpReplyKind::unknown;
  Hex32 nonce;          // auth_challenge
  int error_code = -1;  // device_error: n of "ERROR[n]", -1 if the text has none
};

UdpReply parse_udp_reply(const uint8_t* data, size_t len);

// "ERR: " + message + "\n" (message is the Updater's "ERROR[n]: text"); returns the length, or
// the truncated length if cap is too small (always NUL-terminated when cap > 0).
size_t format_error_reply(const char* message, char* out, size_t cap);

// n of a text that starts with "ERROR[n]" (n decimal, up to 3 digits), else -1.
int parse_error_code(const char* text, size_t len);

// An ack: the decimal count with no separator, as ArduinoOTA's client.print(written, DEC).
// out must hold 11 chars; returns the length.
size_t format_ack(uint32_t count, char* out);

}  // namespace otakit::espota
