// Constants and small value types of the espota push protocol (ArduinoOTA <-> espota.py), shared
// by the device and the host state machines. Wire strings are byte-exact with the original.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace otakit::espota {

constexpr uint16_t kDefaultDevicePort = 8266;
constexpr uint32_t kChunkSize = 1460;  // espota.py's f.read(1460): one Ethernet TCP segment
constexpr size_t kMd5HexLength = 32;
constexpr size_t kNonceRandomBytes = 16;  // 128 bits from the driver's CSPRNG, sent as 32 hex digits
// No valid invitation or auth reply is longer than this; anything longer is dropped unread.
constexpr size_t kMaxRequestDatagram = 96;

enum class Command : uint16_t { flash = 0, filesystem = 100, auth = 200 };

// Device -> host UDP replies and TCP results (ArduinoOTA.cpp; no NUL, no newline unless shown).
inline constexpr char kReplyOk[] = "OK";
inline constexpr char kReplyAuthPrefix[] = "AUTH ";
inline constexpr char kReplyAuthFailed[] = "Authentication Failed";
inline constexpr char kReplyErrorPrefix[] = "ERR: ";
inline constexpr char kResultOk[] = "OK";

}  // namespace otakit::espota
