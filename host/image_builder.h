// Builds valid ESP8266 firmware files for tests and `otakit mkimage`: the layout elf2bin.py
// writes (eboot image padded with 0xAA to 4 KiB, app image at 0x1000, checksums, CRC stamp) with
// an OTAKit app descriptor, pseudo-random segment contents and exactly the requested size.
#pragma once
#include <cstdint>
#include <string>

#include "host/bytes.h"

namespace otakit::host {

struct ImageSpec {
  uint32_t total_size = 0;  // exact size of the file; see minimum_image_size()
  uint64_t seed = 1;        // same spec and seed, same bytes
  bool with_boot = true;    // false: the app image alone at offset 0, no CRC stamp
  bool with_descriptor = true;
  std::string version = "1.0.0";
  std::string project = "otakit-demo";
  uint32_t security_version = 0;
  // Header bytes 2 and 3; the defaults are the Arduino "Generic ESP8266 Module" ones.
  uint8_t flash_mode = 3;  // DOUT
  uint8_t size_code = 2;   // 1 MB
  uint8_t freq_code = 0;   // 40 MHz
};

// Smallest total_size accepted: room for four segments and the descriptor.
uint32_t minimum_image_size(bool with_boot);

// Throws std::invalid_argument with the reason (size too small, text too long, bad codes).
// Sizes that are not a multiple of 16 end with 1-15 bytes of 0xFF after the image's 16-byte
// aligned end, as if the file had been read back from erased flash.
Bytes build_esp_image(const ImageSpec& spec);

}  // namespace otakit::host
