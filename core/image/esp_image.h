// Parser for ESP8266 firmware files as tools/elf2bin.py writes them: the eboot image at 0, the
// application image at 0x1000 (or an application image alone), the CRC stamp and gzip wrappers.
// It reads only inside the buffer it is given and says exactly what is wrong and at which offset.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "core/flash/layout.h"
#include "core/image/byte_reader.h"

namespace otakit {

constexpr uint8_t kEspImageMagic = 0xE9;
constexpr uint32_t kEspImageHeaderSize = 8;    // magic, segment count, mode, size|freq, entry LE32
constexpr uint32_t kEspSegmentHeaderSize = 8;  // load address LE32, size LE32
constexpr uint8_t kEspChecksumSeed = 0xEF;
constexpr uint32_t kEspMaxSegments = 16;                  // the ROM loader's and esptool's limit
constexpr uint8_t kEbootPaddingByte = 0xAA;               // elf2bin fills the eboot sector with it
constexpr uint32_t kCrcLengthOffset = kAppOffset + 0x10;  // __crc_len, first word of .irom0.text
constexpr uint32_t kCrcValueOffset = kAppOffset + 0x14;   // __crc_val
constexpr uint32_t kCrcStampEnd = kAppOffset + 0x18;
constexpr uint32_t kGzipMinimumSize = 18;  // 10-byte header + CRC32 + ISIZE

// Byte 2 of the header. Values above 3 read as unknown, as the ESP8266 core's getFlashChipMode().
enum class FlashMode : uint8_t { qio = 0, qout = 1, dio = 2, dout = 3, unknown = 0xFF };
FlashMode decode_flash_mode(uint8_t byte);
const char* flash_mode_name(FlashMode mode);
// Byte 3 high nibble: 0 512K, 1 256K, 2 1M, 3 2M, 4 4M, 8 8M, 9 16M; 0 for any other code.
uint32_t flash_size_from_code(uint8_t size_code);
// Byte 3 low nibble: 0 40 MHz, 1 26 MHz, 2 20 MHz, 15 80 MHz; 0 for any other code.
uint32_t flash_freq_mhz_from_code(uint8_t freq_code);

struct EspImageHeader {
  uint8_t magic = 0;
  uint8_t segment_count = 0;
  uint8_t flash_mode = 0;  // raw byte 2
  uint8_t size_freq = 0;   // raw byte 3: (size code << 4) | freq code
  uint32_t entry = 0;

  uint8_t size_code() const { return uint8_t(size_freq >> 4); }
  uint8_t freq_code() const { return uint8_t(size_freq & 0x0F); }
};
// p must hold kEspImageHeaderSize bytes.
EspImageHeader decode_esp_image_header(const uint8_t* p);

struct EspSegment {
  uint32_t load_address = 0;
  uint32_t size = 0;
  uint32_t header_offset = 0;  // file offset of the 8-byte segment header
  uint32_t data_offset = 0;    // file offset of the first data byte
};

enum class ChecksumState : uint8_t {
  valid,
  valid_before_crc_stamp,  // matches with the CRC stamp words zeroed: elf2bin stamps after summing
  mismatch,
};

// One image (eboot or application) found at `offset` in the file.
struct EspImage {
  uint32_t offset = 0;
  EspImageHeader header;
  uint32_t segments_parsed = 0;
  EspSegment segments[kEspMaxSegments];
  uint32_t checksum_offset = 0;  // file offset of the checksum byte (16-byte aligned end - 1)
  uint8_t checksum_stored = 0;
  uint8_t checksum_computed = 0;  // XOR of all segment data bytes, seeded with 0xEF
  ChecksumState checksum = ChecksumState::mismatch;
  uint32_t end = 0;  // file offset just past the checksum: ESP.getSketchSize() for the app
};

enum class ImageError : uint8_t {
  ok,
  empty,
  header_truncated,  // fewer than 8 bytes left for an image header
  bad_magic,         // the image's first byte is not 0xE9
  no_segments,
  too_many_segments,         // more than 16
  segment_header_truncated,  // the 8-byte segment header runs past the end of the file
  segment_data_truncated,    // a segment declares more data than the file holds
  checksum_truncated,        // the checksum byte would lie past the end of the file
  checksum_mismatch,
  boot_overlaps_app,  // the eboot image runs past 0x1000 where the app must start
  gzip_truncated,     // starts with 1f 8b but is shorter than a gzip header and trailer
  gzip_bad_header,    // compression method is not deflate, or reserved flag bits are set
  unreadable,         // the storage under a ByteReader failed
};

// What is wrong and where: enough to print one precise sentence.
struct ImageDiagnosis {
  ImageError error = ImageError::ok;
  uint32_t image_offset = 0;  // which image (0 = eboot or app-only, 0x1000 = app)
  uint32_t offset = 0;        // file offset of the offending byte or structure
  uint32_t segment = 0;       // segment index, for segment errors
  uint32_t expected = 0;      // declared/required value (bytes, magic, checksum)
  uint32_t actual = 0;        // value or byte count found
  bool ok() const { return error == ImageError::ok; }
};

const char* describe(ImageError error);
// A full sentence with offsets in hex, e.g. "segment 2 at offset 0x1234 declares 4096 bytes of
// data but only 100 remain in the file". Returns out (always NUL-terminated when cap > 0).
const char* describe(const ImageDiagnosis& diagnosis, char* out, size_t cap);

// Walks one image at `offset`: header, every segment strictly inside the buffer, padding and the
// checksum byte. The CRC stamp words (if they fall inside it) may explain a stale checksum.
ImageDiagnosis parse_esp_image(ByteReader& in, uint32_t offset, EspImage* out);
ImageDiagnosis parse_esp_image(const uint8_t* data, uint32_t size, uint32_t offset, EspImage* out);

enum class CrcStampState : uint8_t {
  absent,  // no app at 0x1000, the file is too short, or the words hold no plausible length
  valid,
  invalid,  // a plausible length is stored but the CRC differs
};

struct CrcStamp {
  CrcStampState state = CrcStampState::absent;
  uint32_t stored_length = 0;
  uint32_t stored_crc = 0;
  uint32_t computed_crc = 0;  // over [0, stored_length) with the 8 stamp bytes zeroed
};

// The stamp elf2bin writes at 0x1010/0x1014: the covered length and its CRC-32/MPEG-2.
CrcStamp check_crc_stamp(const uint8_t* data, uint32_t size);

struct GzipInfo {
  bool is_gzip = false;    // starts with 1f 8b
  bool header_ok = false;  // method 8 (deflate), no reserved flag bits, at least 18 bytes
  uint32_t isize = 0;      // last 4 bytes: the uncompressed size modulo 2^32 (what eboot trusts)
  uint32_t method_and_flags = 0;  // header bytes 2 and 3, for the diagnosis
};
GzipInfo inspect_gzip(ByteReader& in);
GzipInfo inspect_gzip(const uint8_t* data, uint32_t size);

enum class EspFileKind : uint8_t {
  flash_image,  // eboot image at 0 and the application image at 0x1000, as elf2bin writes it
  app_only,     // a single image at offset 0
  gzip,         // compressed: the images are inside the deflate stream
};
const char* describe(EspFileKind kind);

// Where the application image starts: 0x1000 when the file holds an eboot image at 0 and a
// magic byte at 0x1000, else 0.
uint32_t locate_app_image(ByteReader& in);
uint32_t locate_app_image(const uint8_t* data, uint32_t size);

struct EspFile {
  EspFileKind kind = EspFileKind::app_only;
  bool has_boot = false;
  EspImage boot;  // valid when has_boot
  EspImage app;
  CrcStamp crc_stamp;
  GzipInfo gzip;
  uint32_t trailing_bytes = 0;  // bytes after the app image's end (a signature, fill)
};

// Parses a whole firmware file. A gzip file is reported as such (its inside is not parsed here).
// The first problem found is returned; the fields parsed before it stay filled in.
// The buffer form also checks the CRC stamp (crc_stamp); the reader form leaves it absent.
ImageDiagnosis parse_esp_file(ByteReader& in, EspFile* out);
ImageDiagnosis parse_esp_file(const uint8_t* data, uint32_t size, EspFile* out);

}  // namespace otakit
