#include "core/boot/image_probe.h"

#include "core/flash/layout.h"
#include "core/image/app_descriptor.h"
#include "core/image/esp_image.h"
#include "core/util/bytes.h"

namespace otakit {

bool probe_image_extent(Flash& flash, uint32_t address, uint32_t max_size, uint32_t* size) {
  uint8_t b[kEspImageHeaderSize];
  uint32_t app = kAppOffset;
  if (flash.read(address + app, b, 1) != FlashStatus::ok) return false;
  if (b[0] != kEspImageMagic) app = 0;
  if (flash.read(address + app, b, kEspImageHeaderSize) != FlashStatus::ok || b[0] != kEspImageMagic) return false;
  uint32_t segments = b[1];
  if (segments == 0 || segments > kEspMaxSegments) return false;
  uint32_t pos = app + kEspImageHeaderSize;
  for (uint32_t i = 0; i < segments; ++i) {
    if (pos + kEspSegmentHeaderSize > max_size) return false;
    if (flash.read(address + pos, b, kEspSegmentHeaderSize) != FlashStatus::ok) return false;
    uint32_t len = load_le32(b + 4);
    if (len > max_size - pos - kEspSegmentHeaderSize) return false;
    pos += kEspSegmentHeaderSize + len;
  }
  uint32_t end = (pos + 16) & ~15u;  // padding and the checksum byte, as getSketchSize() counts
  if (end > max_size) return false;
  *size = end;
  return true;
}

uint32_t probe_security_version(Flash& flash, uint32_t address, uint32_t size) {
  uint8_t head[kAppDescriptorOffset + kAppDescriptorSize];
  if (size < sizeof(head) || flash.read(address, head, sizeof(head)) != FlashStatus::ok) return 0;
  AppDescriptor descriptor;
  return find_app_descriptor(head, sizeof(head), &descriptor) ? descriptor.security_version : 0;
}

}  // namespace otakit
