// Counts every heap allocation of the process (operator new and delete are replaced in
// heap_counter.cpp), so a benchmark can report the peak heap of one transfer.
#pragma once
#include <cstdint>

namespace otakit::bench {

int64_t heap_in_use();
int64_t heap_peak();
// The peak starts again from what is in use now; returns that level.
int64_t reset_heap_peak();

}  // namespace otakit::bench
