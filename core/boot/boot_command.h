// The eboot command block: 128 bytes at the start of user RTC memory, byte-compatible with the
// ESP8266 core (magic, action, 29 argument words, CRC-32/MPEG-2 over the first 124 bytes).
#pragma once
#include <stdint.h>

#include "core/boot/rtc_memory.h"

namespace otakit {

constexpr uint32_t kEbootMagic = 0xEB001000u;
constexpr uint32_t kEbootMagicMask = 0xFFFFF000u;
constexpr uint32_t kEbootCommandSize = 128;

enum class EbootAction : uint32_t {
  copy_raw = 1,            // args[0] = source, args[1] = destination, args[2] = byte count
  load_app = 0xFFFFFFFFu,  // args[0] = image area offset
};

struct EbootCommand {
  uint32_t magic = kEbootMagic;
  EbootAction action = EbootAction::load_app;
  uint32_t args[29] = {};
  uint32_t crc32 = 0;
};

enum class CommandStatus : uint8_t { valid, absent_or_bad_magic, bad_crc, rtc_error };
const char* describe(CommandStatus status);

// Serialises little-endian with the CRC filled in.
void encode_eboot_command(const EbootCommand& command, uint8_t out[kEbootCommandSize]);
CommandStatus decode_eboot_command(const uint8_t in[kEbootCommandSize], EbootCommand* out);

bool write_eboot_command(RtcMemory& rtc, const EbootCommand& command);
CommandStatus read_eboot_command(RtcMemory& rtc, EbootCommand* out);
// Zeroes word 0 and word 31, as eboot does.
bool clear_eboot_command(RtcMemory& rtc);

// OTAKit's extension of COPY_RAW: the SHA-256 of the staged bytes as the Updater received and
// verified them, in args[4..11], marked by args[12]. The original leaves those words as stack
// garbage, so its commands simply carry no hash.
constexpr uint32_t kStagedHashMarker = 0x48534154u;  // "TASH" little-endian
void put_staged_hash(EbootCommand* command, const uint8_t sha256[32]);
bool get_staged_hash(const EbootCommand& command, uint8_t sha256[32]);  // false: no hash carried

}  // namespace otakit
