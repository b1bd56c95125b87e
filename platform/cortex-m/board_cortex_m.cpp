// The Cortex-M3 port under QEMU's mps2-an385 board: console and exit through Arm semihosting
// (bkpt 0xab; SYS_WRITE0, SYS_EXIT_EXTENDED), SysTick on the core clock as the cycle counter,
// widened to 64 bits by its wrap interrupt.
#include <stdint.h>
#include <string.h>

#include "platform/mcu/board.h"

extern "C" uint8_t __stack_bottom[], __stack_top[];

namespace otakit::mcu {
namespace {

constexpr int kSysWrite0 = 0x04;
constexpr int kSysExitExtended = 0x20;
constexpr uint32_t kApplicationExit = 0x20026;  // ADP_Stopped_ApplicationExit

int semihost(int operation, const void* argument) {
  register int r0 __asm__("r0") = operation;
  register const void* r1 __asm__("r1") = argument;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

struct SysTick {
  volatile uint32_t ctrl, load, val, calib;
};
SysTick& systick() { return *reinterpret_cast<SysTick*>(0xE000E010u); }
constexpr uint32_t kReload = 0xFFFFFFu;  // 24 bits
volatile uint32_t wraps = 0;

}  // namespace

extern "C" void otakit_systick_handler() { wraps = wraps + 1; }

void start_cycle_counter() {
  systick().load = kReload;
  systick().val = 0;
  systick().ctrl = 7;  // core clock, wrap interrupt, enabled
}

void console_write(const char* text, size_t len) {
  char chunk[65];
  while (len > 0) {  // SYS_WRITE0 takes a NUL-terminated string
    const size_t n = len < 64 ? len : 64;
    memcpy(chunk, text, n);
    chunk[n] = '\0';
    semihost(kSysWrite0, chunk);
    text += n;
    len -= n;
  }
}

void exit_with(int status) {
  const uint32_t block[2] = {kApplicationExit, uint32_t(status)};
  semihost(kSysExitExtended, block);
  for (;;) {
  }
}

uint64_t cycle_ticks() {
  uint32_t high, low;
  do {  // a wrap between the two reads shows as a changed count: read again
    high = wraps;
    low = kReload - systick().val;
  } while (high != wraps);
  return uint64_t(high) * (kReload + 1) + low;
}

void run_known_loop(uint32_t iterations) {
  __asm__ volatile("1: subs %0, %0, #1\n bne 1b" : "+r"(iterations) : : "cc");
}

// The an385's core clock is 25 MHz.
uint32_t ns_per_tick() { return 40; }
const char* board_name() { return "cortex-m3"; }
uintptr_t stack_bottom() { return reinterpret_cast<uintptr_t>(__stack_bottom); }
uintptr_t stack_top() { return reinterpret_cast<uintptr_t>(__stack_top); }

}  // namespace otakit::mcu
