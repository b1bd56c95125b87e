// The espota invitation, host -> device over UDP: "<command> <tcp port> <size> <md5>\n".
// Parsing is strict (the original skips leading spaces, truncates ports and never checks the MD5
// is hex) and every rejection names its reason so a device can log why a packet was dropped.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "core/espota/protocol.h"

namespace otakit::espota {

struct Invitation {
  Command command = Command::flash;  // flash or filesystem
  uint16_t port = 0;                 // the host's TCP port the device connects back to
  uint32_t size = 0;                 // image size in bytes
  char md5[kMd5HexLength + 1] = {};  // lowercase hex of the whole image
};

enum class InvitationError : uint8_t {
  ok,
  empty,
  too_long,           // longer than any valid invitation
  bad_command,        // first field is not a decimal number
  unknown_command,    // a number other than 0 (flash) or 100 (filesystem)
  is_auth_reply,      // command 200: an auth reply, not an invitation
  missing_field,      // fewer than four fields
  bad_separator,      // fields not separated by exactly one space
  bad_port,           // not a decimal in 1..65535
  bad_size,           // not a decimal in 1..2^31-1
  bad_md5,            // not exactly 32 hex digits
  trailing_bytes,     // anything but an optional "\n" or "\r\n" after the MD5
};

const char* describe(InvitationError error);

InvitationError parse_invitation(const uint8_t* data, size_t len, Invitation* out);

// Writes the invitation with espota.py's trailing "\n" and a NUL; returns the length without the
// NUL, or 0 if cap is too small. (kMaxRequestDatagram + 1 always suffices.)
size_t format_invitation(const Invitation& invitation, char* out, size_t cap);

bool operator==(const Invitation& a, const Invitation& b);
inline bool operator!=(const Invitation& a, const Invitation& b) { return !(a == b); }

}  // namespace otakit::espota
