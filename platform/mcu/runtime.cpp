// The C++ start-up a hosted toolchain would bring, for programs linked without the C++ runtime:
// .data copied from its load address, .bss zeroed, static constructors run, then main's status
// goes out through semihosting. Also the few ABI hooks the compiler calls.
#include <stdint.h>
#include <string.h>

#include "platform/mcu/board.h"

extern "C" {
extern uint8_t __data_load[], __data_start[], __data_end[], __bss_start[], __bss_end[];
typedef void (*Constructor)();
extern Constructor __init_array_start[], __init_array_end[];
int mcu_main();

void otakit_mcu_start() {
  if (reinterpret_cast<uintptr_t>(__data_load) != reinterpret_cast<uintptr_t>(__data_start))
    memcpy(__data_start, __data_load, size_t(__data_end - __data_start));
  memset(__bss_start, 0, size_t(__bss_end - __bss_start));
  for (Constructor* c = __init_array_start; c != __init_array_end; ++c) (*c)();
  otakit::mcu::exit_with(mcu_main());
}

// A pure virtual call is a bug: say so and stop.
void __cxa_pure_virtual() {
  static const char kText[] = "pure virtual call\n";
  otakit::mcu::console_write(kText, sizeof(kText) - 1);
  otakit::mcu::exit_with(70);
}

// Static objects are never destroyed: the program ends by semihosting exit, not by returning.
void* __dso_handle = nullptr;
int __cxa_atexit(void (*)(void*), void*, void*) { return 0; }
}
