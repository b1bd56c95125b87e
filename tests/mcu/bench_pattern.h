// The 1 MiB file the on-target benchmark verifies: the host writes it and signs it with
// `otakit sign`, the target rebuilds the same bytes (only the signature travels in the program).
#pragma once
#include <stdint.h>

namespace otakit::mcu {

constexpr uint32_t kBenchPayloadSize = 1u << 20;

inline uint8_t bench_byte(uint32_t i) { return uint8_t((i * 2654435761u) >> 24); }

}  // namespace otakit::mcu
