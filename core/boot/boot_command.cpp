#include "core/boot/boot_command.h"

#include <string.h>

#include "core/util/bytes.h"
#include "core/util/crc32_mpeg2.h"

namespace otakit {

const char* describe(CommandStatus status) {
  switch (status) {
    case CommandStatus::valid: return "valid";
    case CommandStatus::absent_or_bad_magic: return "no boot command (magic absent)";
    case CommandStatus::bad_crc: return "boot command CRC mismatch (corrupt RTC memory)";
    case CommandStatus::rtc_error: return "RTC memory not readable";
  }
  return "unknown";
}

void encode_eboot_command(const EbootCommand& command, uint8_t out[kEbootCommandSize]) {
  store_le32(out, command.magic);
  store_le32(out + 4, uint32_t(command.action));
  for (int i = 0; i < 29; ++i) store_le32(out + 8 + 4 * i, command.args[i]);
  store_le32(out + 124, crc32_mpeg2(out, 124));
}

CommandStatus decode_eboot_command(const uint8_t in[kEbootCommandSize], EbootCommand* out) {
  uint32_t magic = load_le32(in);
  if ((magic & kEbootMagicMask) != kEbootMagic) return CommandStatus::absent_or_bad_magic;
  if (load_le32(in + 124) != crc32_mpeg2(in, 124)) return CommandStatus::bad_crc;
  out->magic = magic;
  out->action = EbootAction(load_le32(in + 4));
  for (int i = 0; i < 29; ++i) out->args[i] = load_le32(in + 8 + 4 * i);
  out->crc32 = load_le32(in + 124);
  return CommandStatus::valid;
}

bool write_eboot_command(RtcMemory& rtc, const EbootCommand& command) {
  uint8_t block[kEbootCommandSize];
  encode_eboot_command(command, block);
  return rtc.write(0, block, sizeof(block));
}

CommandStatus read_eboot_command(RtcMemory& rtc, EbootCommand* out) {
  uint8_t block[kEbootCommandSize];
  if (!rtc.read(0, block, sizeof(block))) return CommandStatus::rtc_error;
  return decode_eboot_command(block, out);
}

bool clear_eboot_command(RtcMemory& rtc) {
  const uint8_t zero[4] = {};
  return rtc.write(0, zero, 4) && rtc.write(124, zero, 4);
}

void put_staged_hash(EbootCommand* command, const uint8_t sha256[32]) {
  for (int i = 0; i < 8; ++i) command->args[4 + i] = load_le32(sha256 + 4 * i);
  command->args[12] = kStagedHashMarker;
}

bool get_staged_hash(const EbootCommand& command, uint8_t sha256[32]) {
  if (command.args[12] != kStagedHashMarker) return false;
  for (int i = 0; i < 8; ++i) store_le32(sha256 + 4 * i, command.args[4 + i]);
  return true;
}

bool VolatileRtcMemory::read(uint32_t offset, void* out, uint32_t len) {
  if (len == 0 || offset > kRtcUserMemorySize || len > kRtcUserMemorySize - offset) return false;
  memcpy(out, bytes_ + offset, len);
  return true;
}

bool VolatileRtcMemory::write(uint32_t offset, const void* data, uint32_t len) {
  if (len == 0 || offset > kRtcUserMemorySize || len > kRtcUserMemorySize - offset) return false;
  memcpy(bytes_ + offset, data, len);
  return true;
}

void VolatileRtcMemory::power_loss() {
  // Real RTC RAM comes up with noise; a pattern that is not a valid command is enough here.
  for (uint32_t i = 0; i < kRtcUserMemorySize; ++i) bytes_[i] = uint8_t(i * 37 + 11);
}

}  // namespace otakit
