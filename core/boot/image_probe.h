// What the boot path reads from an image sitting in flash: its extent (the ESP8266 core's
// getSketchSize walk) and the security version its OTAKit descriptor declares.
#pragma once
#include <stdint.h>

#include "core/flash/flash.h"

namespace otakit {

// Walks the app header at address + 0x1000 (or at address when no eboot image precedes it).
// False when the headers are missing, implausible or run past max_size.
bool probe_image_extent(Flash& flash, uint32_t address, uint32_t max_size, uint32_t* size);

// 0 when the image carries no OTAKit app descriptor.
uint32_t probe_security_version(Flash& flash, uint32_t address, uint32_t size);

}  // namespace otakit
