// The OTAKit application descriptor: a fixed 72-byte record that `otakit mkimage` images carry at
// the start of the app's first segment, right after the CRC stamp words (file offset 0x1018).
// The device reads the running version from it; anti-rollback compares security versions.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "core/image/byte_reader.h"

namespace otakit {

// Layout, all little-endian: magic u32 | security_version u32 | version[32] | project[32].
// Texts are printable ASCII, NUL-terminated inside their field and zero-padded to its end.
constexpr uint32_t kAppDescriptorMagic = 0x314B544F;  // the bytes "OTK1"
constexpr uint32_t kAppDescriptorSize = 72;
constexpr uint32_t kAppDescriptorTextField = 32;
constexpr uint32_t kAppDescriptorAppOffset = 0x18;  // inside the app image: header, segment
                                                    // header, then the two CRC stamp words
constexpr uint32_t kAppDescriptorOffset = 0x1018;   // file offset in a flash image (app at 0x1000)

struct AppDescriptor {
  uint32_t security_version = 0;
  char version[kAppDescriptorTextField] = {};  // at most 31 chars + NUL
  char project[kAppDescriptorTextField] = {};
  uint32_t file_offset = 0;  // where it was found (set by find_app_descriptor)
};

enum class DescriptorStatus : uint8_t {
  found,
  no_app_image,     // no image header (0xE9, at least one segment) where the app should be
  absent,           // no descriptor magic: the image was not made by otakit mkimage
  outside_segment,  // the magic is there but the app's first segment does not hold all 72 bytes
  bad_version,      // version text empty, unterminated, not printable, or junk after its NUL
  bad_project,      // project text unterminated, not printable, or junk after its NUL
};

const char* describe(DescriptorStatus status);

// Decodes the 72 bytes at p (len must be >= kAppDescriptorSize) and checks every field.
DescriptorStatus decode_app_descriptor(const uint8_t* p, size_t len, AppDescriptor* out);

// Writes the record; false if a text does not fit its field or is not printable ASCII.
bool encode_app_descriptor(const AppDescriptor& in, uint8_t out[kAppDescriptorSize]);

// Finds the descriptor in a firmware file (flash image with the app at 0x1000, or an app image
// alone at 0) and returns true only if it lies inside the first segment and is well formed.
// The buffer may end right after the descriptor. why (optional) receives the reason.
bool find_app_descriptor(const uint8_t* file, uint32_t size, AppDescriptor* out,
                         DescriptorStatus* why = nullptr);
bool find_app_descriptor(ByteReader& in, AppDescriptor* out, DescriptorStatus* why = nullptr);

}  // namespace otakit
