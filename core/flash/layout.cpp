// Values from the ESP8266 core's tools/sdk/ld/eagle.flash.*.ld (facts section 8.1).
#include "core/flash/layout.h"

#include <string.h>

namespace otakit {
namespace {

const FlashLayout kLayouts[] = {
    {"512K", 0x080000, 0x07B000, 0x07B000, 499696},
    {"1M", 0x100000, 0x0FB000, 0x0FB000, 1023984},
    {"1M64", 0x100000, 0x0EB000, 0x0FB000, 958448},
    {"1M128", 0x100000, 0x0DB000, 0x0FB000, 892912},
    {"1M256", 0x100000, 0x0BB000, 0x0FB000, 761840},
    {"1M512", 0x100000, 0x07B000, 0x0FB000, 499696},
    {"2M1M", 0x200000, 0x100000, 0x1FA000, 1044464},
    {"4M", 0x400000, 0x3FB000, 0x3FB000, 1044464},
    {"4M1M", 0x400000, 0x300000, 0x3FA000, 1044464},
    {"4M2M", 0x400000, 0x200000, 0x3FA000, 1044464},
    {"4M3M", 0x400000, 0x100000, 0x3FA000, 1044464},
    {"8M6M", 0x800000, 0x200000, 0x7FA000, 1044464},
    {"16M14M", 0x1000000, 0x200000, 0xFFA000, 1044464},
    {nullptr, 0, 0, 0, 0},
};

}  // namespace

const FlashLayout* find_layout(const char* name) {
  for (const FlashLayout* l = kLayouts; l->name != nullptr; ++l)
    if (strcmp(l->name, name) == 0) return l;
  return nullptr;
}

const FlashLayout* all_layouts() { return kLayouts; }

}  // namespace otakit
