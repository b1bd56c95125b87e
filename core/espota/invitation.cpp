#include "core/espota/invitation.h"

#include <string.h>

#include "core/proto/wire_scanner.h"
#include "core/util/text.h"

namespace otakit::espota {

const char* describe(InvitationError error) {
  switch (error) {
    case InvitationError::ok: return "ok";
    case InvitationError::empty: return "empty datagram";
    case InvitationError::too_long: return "datagram too long for an invitation";
    case InvitationError::bad_command: return "command is not a decimal number";
    case InvitationError::unknown_command: return "unknown command (expected 0 or 100)";
    case InvitationError::is_auth_reply: return "auth reply (command 200) where an invitation was expected";
    case InvitationError::missing_field: return "missing field (expected <command> <port> <size> <md5>)";
    case InvitationError::bad_separator: return "fields must be separated by one space";
    case InvitationError::bad_port: return "port is not a number in 1..65535";
    case InvitationError::bad_size: return "size is not a number in 1..2147483647";
    case InvitationError::bad_md5: return "md5 is not 32 hex digits";
    case InvitationError::trailing_bytes: return "unexpected bytes after the md5";
  }
  return "unknown";
}

namespace {

// A missing field and a malformed one read differently in logs; both drop the packet.
InvitationError field_error(proto::ScanStatus status, InvitationError malformed) {
  return status == proto::ScanStatus::missing ? InvitationError::missing_field : malformed;
}

}  // namespace

InvitationError parse_invitation(const uint8_t* data, size_t len, Invitation* out) {
  if (len == 0) return InvitationError::empty;
  if (len > kMaxRequestDatagram) return InvitationError::too_long;
  proto::WireScanner scan(data, len);

  uint32_t command = 0;
  if (scan.decimal(999, &command) != proto::ScanStatus::ok) return InvitationError::bad_command;
  if (command == static_cast<uint32_t>(Command::auth)) return InvitationError::is_auth_reply;
  if (command != static_cast<uint32_t>(Command::flash) &&
      command != static_cast<uint32_t>(Command::filesystem))
    return InvitationError::unknown_command;

  if (!scan.separator()) return scan.at_end() ? InvitationError::missing_field : InvitationError::bad_separator;
  uint32_t port = 0;
  proto::ScanStatus status = scan.decimal(65535, &port);
  if (status != proto::ScanStatus::ok || port == 0) return field_error(status, InvitationError::bad_port);

  if (!scan.separator()) return scan.at_end() ? InvitationError::missing_field : InvitationError::bad_separator;
  uint32_t size = 0;
  status = scan.decimal(0x7FFFFFFFu, &size);
  if (status != proto::ScanStatus::ok || size == 0) return field_error(status, InvitationError::bad_size);

  if (!scan.separator()) return scan.at_end() ? InvitationError::missing_field : InvitationError::bad_separator;
  Invitation parsed;
  status = scan.hex_field(kMd5HexLength, parsed.md5);
  if (status != proto::ScanStatus::ok) return field_error(status, InvitationError::bad_md5);
  if (!scan.only_line_end_left()) return InvitationError::trailing_bytes;

  parsed.command = static_cast<Command>(command);
  parsed.port = static_cast<uint16_t>(port);
  parsed.size = size;
  *out = parsed;
  return InvitationError::ok;
}

size_t format_invitation(const Invitation& invitation, char* out, size_t cap) {
  char line[kMaxRequestDatagram + 1];
  TextBuilder text(line, sizeof(line));
  text.add_u32(static_cast<uint32_t>(invitation.command))
      .add_char(' ')
      .add_u32(invitation.port)
      .add_char(' ')
      .add_u32(invitation.size)
      .add_char(' ')
      .add(invitation.md5, kMd5HexLength)
      .add_char('\n');
  if (text.size() + 1 > cap) return 0;
  memcpy(out, line, text.size() + 1);
  return text.size();
}

bool operator==(const Invitation& a, const Invitation& b) {
  return a.command == b.command && a.port == b.port && a.size == b.size &&
         memcmp(a.md5, b.md5, kMd5HexLength) == 0;
}

}  // namespace otakit::espota
