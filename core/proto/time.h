// Time in the protocol cores is milliseconds from any origin, supplied by the driver; comparisons
// survive the 49-day wrap of a 32-bit millisecond counter (as on the ESP8266's millis()).
#pragma once
#include <stdint.h>

namespace otakit::proto {

inline bool time_reached(uint32_t now_ms, uint32_t deadline_ms) {
  return static_cast<int32_t>(now_ms - deadline_ms) >= 0;
}

}  // namespace otakit::proto
