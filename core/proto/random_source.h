// The driver's cryptographically secure random generator, as the protocol cores see it (they
// have no entropy of their own).
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace otakit::proto {

// fill() returns false if it has no entropy.
struct RandomSource {
  void* ctx = nullptr;
  bool (*fill)(void* ctx, uint8_t* out, size_t len) = nullptr;
};

}  // namespace otakit::proto
