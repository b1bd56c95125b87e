// Peak stack use by stack painting: fill the unused stack below the caller with a pattern, run a
// function, then find the deepest word it changed.
#pragma once
#include <stdint.h>

namespace otakit::mcu {

// Runs fn(ctx) and returns the bytes of stack it used below the caller's frame (a figure within
// kUnpaintedMargin bytes: the band just below the caller is left unpainted for paint's own frame).
uint32_t measure_stack(void (*fn)(void* ctx), void* ctx);
constexpr uint32_t kUnpaintedMargin = 256;

}  // namespace otakit::mcu
