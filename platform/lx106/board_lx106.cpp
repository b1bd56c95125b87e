// The lx106 port under QEMU's xtensa "sim" machine: console and exit through the simulator's
// simcall (a2 = call number: 4 write, 1 exit), CCOUNT as the cycle counter.
#include <stdint.h>

#include "platform/mcu/board.h"

extern "C" uint8_t __stack_bottom[], __stack_top[];

namespace otakit::mcu {
namespace {

int simcall(int number, int a, int b, int c) {
  register int a2 __asm__("a2") = number;
  register int a3 __asm__("a3") = a;
  register int a4 __asm__("a4") = b;
  register int a5 __asm__("a5") = c;
  __asm__ volatile("simcall" : "+r"(a2) : "r"(a3), "r"(a4), "r"(a5) : "memory");
  return a2;
}

constexpr int kSysExit = 1;
constexpr int kSysWrite = 4;

}  // namespace

void console_write(const char* text, size_t len) {
  simcall(kSysWrite, 1, int(reinterpret_cast<uintptr_t>(text)), int(len));
}

void exit_with(int status) {
  simcall(kSysExit, status, 0, 0);
  for (;;) {
  }
}

uint64_t cycle_ticks() {
  // CCOUNT is 32 bits; widen it by counting wraps between calls (a wrap takes 2^32 ticks, far
  // longer than any gap between two readings here).
  static uint32_t last = 0;
  static uint64_t high = 0;
  uint32_t now;
  __asm__ volatile("rsr %0, ccount" : "=r"(now));
  if (now < last) high += uint64_t(1) << 32;
  last = now;
  return high | now;
}

void run_known_loop(uint32_t iterations) {
  __asm__ volatile("1: addi %0, %0, -1\n bnez %0, 1b" : "+r"(iterations));
}

// QEMU's lx106 model runs CCOUNT at 40 MHz of virtual time.
uint32_t ns_per_tick() { return 25; }
const char* board_name() { return "lx106"; }
uintptr_t stack_bottom() { return reinterpret_cast<uintptr_t>(__stack_bottom); }
uintptr_t stack_top() { return reinterpret_cast<uintptr_t>(__stack_top); }

}  // namespace otakit::mcu
