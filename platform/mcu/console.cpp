#include "platform/mcu/console.h"

#include <string.h>

#include "platform/mcu/board.h"

namespace otakit::mcu {

void print(const char* text) { console_write(text, strlen(text)); }

void print_u64(uint64_t value) {
  char digits[21];
  size_t at = sizeof(digits);
  do {
    digits[--at] = char('0' + value % 10);
    value /= 10;
  } while (value != 0);
  console_write(digits + at, sizeof(digits) - at);
}

void print_figure(const char* name, uint64_t value) {
  print(name);
  print("=");
  print_u64(value);
  print("\n");
}

}  // namespace otakit::mcu
