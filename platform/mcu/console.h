// Formatted lines on the semihosting console without a C library printf: text and decimals.
#pragma once
#include <stdint.h>

namespace otakit::mcu {

void print(const char* text);
void print_u64(uint64_t value);
// "name=value\n", the form bench/bench_mcu_footprint.sh reads.
void print_figure(const char* name, uint64_t value);

}  // namespace otakit::mcu
