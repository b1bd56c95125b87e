// espota invitations arrive from anyone on the network: the parser must never misbehave, and
// whatever it accepts must format back to an invitation that parses to the same values.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/espota/invitation.h"

using namespace otakit::espota;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Invitation invitation;
  if (parse_invitation(data, size, &invitation) != InvitationError::ok) return 0;
  if (invitation.size == 0 || invitation.port == 0 || strlen(invitation.md5) != kMd5HexLength) __builtin_trap();
  char text[kMaxRequestDatagram + 1];
  size_t n = format_invitation(invitation, text, sizeof(text));
  Invitation again;
  if (n == 0 || parse_invitation(reinterpret_cast<uint8_t*>(text), n, &again) != InvitationError::ok) __builtin_trap();
  if (again != invitation) __builtin_trap();
  return 0;
}
