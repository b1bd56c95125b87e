// Formatted lines on the semihosting console without a C library printf: text and decimals.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace otakit::mcu {

constexpr size_t kDecimalDigits = 20;  // of the largest uint64_t
// Writes value's decimal digits to out (no terminator) and returns how many.
size_t format_decimal(uint64_t value, char out[kDecimalDigits]);

void print(const char* text);
void print_u64(uint64_t value);
// "name=value\n", the form bench/bench_mcu_footprint.sh reads.
void print_figure(const char* name, uint64_t value);

}  // namespace otakit::mcu
