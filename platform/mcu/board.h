// What each target port (platform/lx106, platform/cortex-m) gives the on-target programs: a
// console and an exit status through semihosting, a cycle counter, and the stack's bounds.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace otakit::mcu {

void console_write(const char* text, size_t len);
[[noreturn]] void exit_with(int status);

// A free-running counter of the core's clock, 64 bits wide so a long run cannot wrap it. Under
// QEMU with -icount shift=0 every instruction takes 1 ns of virtual time, so instructions =
// ticks * ns_per_tick() there.
uint64_t cycle_ticks();
uint32_t ns_per_tick();
// Runs exactly 2 * iterations instructions (a decrement and a branch), to check the line above.
void run_known_loop(uint32_t iterations);
// The chip's name for the report, e.g. "lx106".
const char* board_name();

// The stack region from the linker script: [stack_bottom(), stack_top()).
uintptr_t stack_bottom();
uintptr_t stack_top();

}  // namespace otakit::mcu
