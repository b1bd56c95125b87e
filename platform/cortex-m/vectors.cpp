// The Cortex-M vector table: the initial stack pointer, reset into the C++ start-up, a fault
// handler that reports and exits (a fault must fail the run, not hang it), and SysTick.
#include <stdint.h>

#include "platform/mcu/board.h"

extern "C" {
extern uint8_t __stack_top[];
void otakit_mcu_start();
void otakit_systick_handler();
}

namespace otakit::mcu {
void start_cycle_counter();
}

namespace {

void reset() {
  otakit::mcu::start_cycle_counter();
  otakit_mcu_start();
}

void fault() {
  static const char kText[] = "fault: the program crashed\n";
  otakit::mcu::console_write(kText, sizeof(kText) - 1);
  otakit::mcu::exit_with(71);
}

typedef void (*Handler)();

}  // namespace

__attribute__((section(".vectors"), used)) const Handler kVectors[16] = {
    reinterpret_cast<Handler>(__stack_top),
    reset,
    fault,  // NMI
    fault,  // HardFault
    fault,  // MemManage
    fault,  // BusFault
    fault,  // UsageFault
    nullptr, nullptr, nullptr, nullptr,
    fault,  // SVCall
    fault,  // DebugMonitor
    nullptr,
    fault,  // PendSV
    otakit_systick_handler,
};
