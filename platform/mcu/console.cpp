#include "platform/mcu/console.h"

#include <string.h>

#include "platform/mcu/board.h"

namespace otakit::mcu {

void print(const char* text) { console_write(text, strlen(text)); }

size_t format_decimal(uint64_t value, char out[kDecimalDigits]) {
  char reversed[kDecimalDigits];
  size_t n = 0;
  do {
    reversed[n++] = char('0' + value % 10);
    value /= 10;
  } while (value != 0);
  for (size_t i = 0; i < n; ++i) out[i] = reversed[n - 1 - i];
  return n;
}

void print_u64(uint64_t value) {
  char digits[kDecimalDigits];
  console_write(digits, format_decimal(value, digits));
}

void print_figure(const char* name, uint64_t value) {
  print(name);
  print("=");
  print_u64(value);
  print("\n");
}

}  // namespace otakit::mcu
