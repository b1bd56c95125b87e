// The simulator's random draws: a small generator per device (splitmix64: 8 bytes, where
// std::mt19937 would cost 5 KB per device) and a stable draw from a key, so that a device that
// fails its post-boot check under an image fails it at every try.
#pragma once
#include <cstdint>

namespace otakit::sim {

inline uint64_t mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

class Dice {
 public:
  explicit Dice(uint64_t seed) : state_(seed) {}
  uint64_t next() { return mix64(state_++); }
  // A uniform number in [0, n); 0 when n is 0.
  uint64_t below(uint64_t n) { return n == 0 ? 0 : next() % n; }
  double unit() { return double(next() >> 11) / double(1ull << 53); }
  bool chance(double p) { return p > 0 && unit() < p; }

 private:
  uint64_t state_;
};

// The same answer for the same key: a draw that does not depend on when it is asked.
inline bool stable_chance(uint64_t key, double p) {
  return p > 0 && double(mix64(key) >> 11) / double(1ull << 53) < p;
}

}  // namespace otakit::sim
