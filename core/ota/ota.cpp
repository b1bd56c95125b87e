#include "core/ota/ota.h"

namespace otakit {

Ota::Ota(Flash& flash, const FlashLayout& layout, RtcMemory& rtc)
    : boot_(flash, layout, rtc), updater_(flash, layout, boot_) {}

bool Ota::start() { return boot_.load(); }

}  // namespace otakit
