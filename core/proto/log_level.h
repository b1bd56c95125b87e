// How much a protocol session's diagnostic matters, for the driver's log (the core never writes
// logs itself).
#pragma once
#include <stdint.h>

namespace otakit::proto {

enum class LogLevel : uint8_t { trace, debug, info, warn, error };

}  // namespace otakit::proto
