// Everything `otakit inspect` says about a firmware file, as JSON (for scripts) and as text:
// sizes and digests, the signature trailer, the ESP image structure, CRC stamp, gzip and the
// OTAKit app descriptor. Pure analysis: nothing here verifies a signature (see otakit verify).
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "host/bytes.h"

namespace otakit::host {

// Largest inflated size inspect accepts from a gzip image (the biggest ESP8266 flash is 16 MiB).
constexpr size_t kMaxInflatedImage = 16u << 20;

// "valid" at the top level is true when the image structure (inside the trailer, and inside the
// gzip wrapper when there is one) has no problem.
nlohmann::json inspect_firmware(const Bytes& file);
std::string render_inspection(const nlohmann::json& report);

// Lowercase hex digests of a buffer.
std::string md5_hex(const uint8_t* data, size_t len);
std::string sha256_hex(const uint8_t* data, size_t len);

}  // namespace otakit::host
