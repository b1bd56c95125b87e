// The one rule for what counts as an installable ESP8266 firmware image. The Updater applies it
// before it tells the uploader OK, the boot path before it swaps an image in, and `otakit verify`
// and the server on the host; no other place decides. It reads through a ByteReader, so the image
// may sit in RAM or in flash. A gzip image is checked in two passes: its framing here, then, once
// inflated (core/image/gzip_flash.h), the image inside it by the same rule.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "core/crypto/signature_verifier.h"
#include "core/image/byte_reader.h"
#include "core/image/esp_image.h"

namespace otakit {

struct ImageRules {
  uint32_t chip_size = 0;             // the header's flash-size code may not declare more (0: any)
  uint32_t max_size = 0;              // bytes the image (or a gzip's inflated image) may take (0: any)
  uint32_t min_security_version = 0;  // anti-rollback floor, from the image's OTAKit descriptor
};

enum class ImageVerdict : uint8_t {
  accepted,
  needs_inflation,   // a well-framed gzip: inflate it, then check the result
  malformed,         // not an image: see diagnosis
  gzip_nested,       // the inflated image is itself gzip
  flash_too_small,   // the header declares a larger flash chip than the device has
  too_large,         // more bytes than the space allows
  downgrade,         // security version below the floor
};
const char* describe(ImageVerdict verdict);

struct ImageAcceptance {
  ImageVerdict verdict = ImageVerdict::malformed;
  ImageDiagnosis diagnosis;         // for malformed
  EspFileKind kind = EspFileKind::app_only;
  uint32_t image_end = 0;           // just past the application's checksum (getSketchSize)
  uint32_t inflated_size = 0;       // for needs_inflation: the gzip trailer's ISIZE
  uint32_t declared_flash_size = 0; // from the application header
  uint32_t security_version = 0;    // 0 without an OTAKit descriptor
  char detail[160] = {};            // one sentence saying what is wrong (empty when accepted)

  bool ok() const { return verdict == ImageVerdict::accepted; }
};

// Magic, gzip framing, the full segment walk with checksums (eboot and application images),
// the flash-size code against the chip, the security version and the size.
ImageAcceptance check_image(ByteReader& image, const ImageRules& rules);
// The same rule for the image a gzip inflated to (a gzip inside is refused).
ImageAcceptance check_inflated_image(ByteReader& image, const ImageRules& rules);

enum class SignatureVerdict : uint8_t { valid, no_trailer, mismatch, unreadable };

struct SignedPayload {
  SignatureVerdict verdict = SignatureVerdict::no_trailer;
  uint32_t payload_size = 0;                          // the bytes the signature covers
  uint8_t payload_sha256[crypto::kSha256Size] = {};
  char detail[120] = {};
};

// The signature rule: image || signature || u32le length, checked with the device's verifier.
// buffer: scratch of at least the verifier's signature length (and 256 bytes), 4-aligned.
SignedPayload check_signature(ByteReader& file, const crypto::SignatureVerifier& verifier, uint8_t* buffer,
                              uint32_t buffer_size);

}  // namespace otakit
