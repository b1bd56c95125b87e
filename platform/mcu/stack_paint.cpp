#include "platform/mcu/stack_paint.h"

#include "platform/mcu/board.h"

namespace otakit::mcu {
namespace {

constexpr uint32_t kPaint = 0xA5C3A5C3u;

__attribute__((noinline)) void paint(uintptr_t below) {
  for (uintptr_t p = (stack_bottom() + 3) & ~uintptr_t(3); p + 4 <= below; p += 4)
    *reinterpret_cast<volatile uint32_t*>(p) = kPaint;
}

uintptr_t deepest_change(uintptr_t below) {
  for (uintptr_t p = (stack_bottom() + 3) & ~uintptr_t(3); p + 4 <= below; p += 4)
    if (*reinterpret_cast<volatile uint32_t*>(p) != kPaint) return p;
  return below;
}

}  // namespace

__attribute__((noinline)) uint32_t measure_stack(void (*fn)(void* ctx), void* ctx) {
  volatile uint32_t probe = 0;  // its address is this frame's: fn's frames grow below it
  const uintptr_t here = reinterpret_cast<uintptr_t>(&probe);
  const uintptr_t limit = here - kUnpaintedMargin;
  paint(limit);
  fn(ctx);
  return uint32_t(here - deepest_change(limit));
}

}  // namespace otakit::mcu
