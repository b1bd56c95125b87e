#include "bench/heap_counter.h"

#include <atomic>
#include <cstdlib>
#include <new>

namespace {

std::atomic<int64_t> g_in_use{0};
std::atomic<int64_t> g_peak{0};

// 16 bytes in front of each block hold its size, keeping the caller's block 16-byte aligned.
void* counted_alloc(size_t n) {
  void* p = std::malloc(n + 16);
  if (p == nullptr) throw std::bad_alloc();
  *static_cast<size_t*>(p) = n;
  int64_t now = g_in_use += int64_t(n);
  int64_t peak = g_peak.load();
  while (now > peak && !g_peak.compare_exchange_weak(peak, now)) {
  }
  return static_cast<char*>(p) + 16;
}

void counted_free(void* p) {
  if (p == nullptr) return;
  char* block = static_cast<char*>(p) - 16;
  g_in_use -= int64_t(*reinterpret_cast<size_t*>(block));
  std::free(block);
}

}  // namespace

void* operator new(size_t n) { return counted_alloc(n); }
void* operator new[](size_t n) { return counted_alloc(n); }
void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, size_t) noexcept { counted_free(p); }
void operator delete[](void* p, size_t) noexcept { counted_free(p); }

namespace otakit::bench {

int64_t heap_in_use() { return g_in_use.load(); }
int64_t heap_peak() { return g_peak.load(); }
int64_t reset_heap_peak() {
  const int64_t now = g_in_use.load();
  g_peak = now;
  return now;
}

}  // namespace otakit::bench
