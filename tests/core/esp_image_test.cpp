// The ESP image parser: layouts elf2bin writes, the decode tables, the CRC stamp, gzip, and one
// test per malformed input with the exact sentence the user sees.
#include "core/image/esp_image.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/util/bytes.h"
#include "core/util/crc32_mpeg2.h"

namespace otakit {
namespace {

using Bytes = std::vector<uint8_t>;

struct Seg {
  uint32_t address;
  Bytes data;
};

// Written from the facts (§4), independently of host/image_builder: header, segments, zero
// padding "until (len + 1) % 16 == 0", then the XOR checksum seeded with 0xEF.
void append_image(Bytes& out, const std::vector<Seg>& segs, uint8_t mode = 2,
                  uint8_t size_freq = 0x40) {
  out.insert(out.end(), {0xE9, uint8_t(segs.size()), mode, size_freq, 0x04, 0x00, 0x10, 0x40});
  uint8_t sum = 0xEF;
  for (const Seg& s : segs) {
    uint8_t h[8];
    store_le32(h, s.address);
    store_le32(h + 4, uint32_t(s.data.size()));
    out.insert(out.end(), h, h + 8);
    out.insert(out.end(), s.data.begin(), s.data.end());
    for (uint8_t b : s.data) sum ^= b;
  }
  while ((out.size() + 1) % 16 != 0) out.push_back(0);
  out.push_back(sum);
}

Bytes pattern(size_t n, uint8_t start) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = uint8_t(start + i * 7);
  return b;
}

Bytes app_only_image() {
  Bytes out;
  append_image(out, {{0x40100000, pattern(100, 1)}, {0x3FFE8000, pattern(12, 9)}});
  return out;
}

// eboot at 0 padded with 0xAA, app at 0x1000 whose first segment starts with the stamp words.
Bytes flash_image(bool stamp) {
  Bytes out;
  append_image(out, {{0x4010F000, pattern(64, 3)}});
  out.resize(0x1000, 0xAA);
  Bytes irom = pattern(200, 5);
  std::fill(irom.begin(), irom.begin() + 8, 0);
  append_image(out, {{0x40201010, irom}, {0x40100000, pattern(40, 2)}});
  if (stamp) {
    uint32_t crc = crc32_mpeg2(out.data(), out.size());
    store_le32(out.data() + 0x1010, uint32_t(out.size()));
    store_le32(out.data() + 0x1014, crc);
  }
  return out;
}

std::string text_of(const ImageDiagnosis& d) {
  char buf[256];
  return describe(d, buf, sizeof(buf));
}

ImageDiagnosis parse(const Bytes& b, EspFile* file) {
  return parse_esp_file(b.data(), uint32_t(b.size()), file);
}

TEST(EspImageTables, FlashModeSizeAndFrequencyCodes) {
  EXPECT_EQ(decode_flash_mode(0), FlashMode::qio);
  EXPECT_EQ(decode_flash_mode(3), FlashMode::dout);
  EXPECT_EQ(decode_flash_mode(4), FlashMode::unknown);  // the core reads > 3 as FM_UNKNOWN
  EXPECT_STREQ(flash_mode_name(FlashMode::dio), "DIO");
  const uint32_t sizes[16] = {512u << 10, 256u << 10, 1u << 20, 2u << 20, 4u << 20, 0, 0, 0,
                              8u << 20,   16u << 20,  0,        0,        0,        0, 0, 0};
  for (uint8_t code = 0; code < 16; ++code) EXPECT_EQ(flash_size_from_code(code), sizes[code]);
  EXPECT_EQ(flash_freq_mhz_from_code(0), 40u);
  EXPECT_EQ(flash_freq_mhz_from_code(1), 26u);
  EXPECT_EQ(flash_freq_mhz_from_code(2), 20u);
  EXPECT_EQ(flash_freq_mhz_from_code(15), 80u);
  EXPECT_EQ(flash_freq_mhz_from_code(3), 0u);
}

TEST(EspImage, AppOnlyImageHeaderSegmentsAndChecksum) {
  Bytes b = app_only_image();
  EspFile f;
  ImageDiagnosis d = parse(b, &f);
  ASSERT_TRUE(d.ok()) << text_of(d);
  EXPECT_EQ(f.kind, EspFileKind::app_only);
  EXPECT_FALSE(f.has_boot);
  EXPECT_EQ(f.app.header.segment_count, 2);
  EXPECT_EQ(f.app.header.entry, 0x40100004u);
  EXPECT_EQ(f.app.header.size_code(), 4);
  ASSERT_EQ(f.app.segments_parsed, 2u);
  EXPECT_EQ(f.app.segments[0].header_offset, 8u);
  EXPECT_EQ(f.app.segments[0].data_offset, 16u);
  EXPECT_EQ(f.app.segments[1].load_address, 0x3FFE8000u);
  EXPECT_EQ(f.app.segments[1].size, 12u);
  EXPECT_EQ(f.app.checksum, ChecksumState::valid);
  EXPECT_EQ(f.app.end, b.size());
  EXPECT_EQ(f.app.checksum_offset, b.size() - 1);
  EXPECT_EQ(f.trailing_bytes, 0u);
  EXPECT_EQ(f.crc_stamp.state, CrcStampState::absent);
}

TEST(EspImage, ChecksumPositionFollowsTheSixteenByteRuleForEverySegmentSize) {
  for (size_t n = 0; n <= 40; ++n) {
    Bytes b;
    append_image(b, {{0x40100000, pattern(n, 0)}});
    EspImage image;
    ImageDiagnosis d = parse_esp_image(b.data(), uint32_t(b.size()), 0, &image);
    ASSERT_TRUE(d.ok()) << "segment size " << n << ": " << text_of(d);
    EXPECT_EQ(image.end % 16, 0u);
    EXPECT_EQ(image.end, b.size()) << "segment size " << n;
  }
}

TEST(EspImage, FlashImageWithValidCrcStampAndStaleAppChecksum) {
  Bytes b = flash_image(true);
  EspFile f;
  ImageDiagnosis d = parse(b, &f);
  ASSERT_TRUE(d.ok()) << text_of(d);
  EXPECT_EQ(f.kind, EspFileKind::flash_image);
  ASSERT_TRUE(f.has_boot);
  EXPECT_EQ(f.boot.checksum, ChecksumState::valid);
  EXPECT_LE(f.boot.end, 0x1000u);
  EXPECT_EQ(f.app.offset, 0x1000u);
  // elf2bin sums before stamping, so only the stamp-free sum matches, as in real .bin files.
  EXPECT_EQ(f.app.checksum, ChecksumState::valid_before_crc_stamp);
  EXPECT_EQ(f.crc_stamp.state, CrcStampState::valid);
  EXPECT_EQ(f.crc_stamp.stored_length, b.size());
  EXPECT_EQ(f.crc_stamp.computed_crc, f.crc_stamp.stored_crc);
}

TEST(EspImage, CrcStampDetectsAChangedByteAndIsAbsentWhenUnstamped) {
  Bytes b = flash_image(true);
  b[0x1100] ^= 0x01;  // inside the app's first segment: also breaks the XOR checksum
  EXPECT_EQ(check_crc_stamp(b.data(), uint32_t(b.size())).state, CrcStampState::invalid);
  Bytes eboot_changed = flash_image(true);
  eboot_changed[0x800] ^= 0xFF;  // 0xAA padding: covered by the CRC only
  EspFile f;
  ASSERT_TRUE(parse(eboot_changed, &f).ok());
  EXPECT_EQ(f.crc_stamp.state, CrcStampState::invalid);
  Bytes unstamped = flash_image(false);
  ASSERT_TRUE(parse(unstamped, &f).ok());
  EXPECT_EQ(f.crc_stamp.state, CrcStampState::absent);
  EXPECT_EQ(f.app.checksum, ChecksumState::valid);
}

TEST(EspImage, SignatureTrailerShowsAsTrailingBytes) {
  Bytes b = flash_image(true);
  size_t image_size = b.size();
  b.insert(b.end(), 260, 0x5A);
  EspFile f;
  ASSERT_TRUE(parse(b, &f).ok());
  EXPECT_EQ(f.app.end, image_size);
  EXPECT_EQ(f.trailing_bytes, 260u);
  EXPECT_EQ(f.crc_stamp.state, CrcStampState::valid);  // the stamp covers its own length only
}

TEST(EspImageMalformed, EmptyFile) {
  EspFile f;
  ImageDiagnosis d = parse_esp_file(nullptr, 0, &f);
  EXPECT_EQ(d.error, ImageError::empty);
  EXPECT_EQ(text_of(d), "the file is empty");
}

TEST(EspImageMalformed, HeaderCutOff) {
  Bytes b = {0xE9, 0x01, 0x02};
  EspFile f;
  ImageDiagnosis d = parse(b, &f);
  EXPECT_EQ(d.error, ImageError::header_truncated);
  EXPECT_EQ(text_of(d), "image header at offset 0x0 is cut off: 8 bytes needed, 3 present");
}

TEST(EspImageMalformed, WrongMagic) {
  Bytes b = app_only_image();
  b[0] = 0x12;
  EspFile f;
  ImageDiagnosis d = parse(b, &f);
  EXPECT_EQ(d.error, ImageError::bad_magic);
  EXPECT_EQ(text_of(d), "byte at offset 0x0 is 0x12, not the image magic 0xe9");
}

TEST(EspImageMalformed, WrongMagicOfTheAppAfterABootImage) {
  Bytes b = flash_image(true);
  EspImage app;
  b[0x1000] = 0xEA;  // no longer found as a flash image: parse the app slot directly
  ImageDiagnosis d = parse_esp_image(b.data(), uint32_t(b.size()), 0x1000, &app);
  EXPECT_EQ(d.error, ImageError::bad_magic);
  EXPECT_EQ(text_of(d), "byte at offset 0x1000 is 0xea, not the image magic 0xe9");
}

TEST(EspImageMalformed, NoSegments) {
  Bytes b = app_only_image();
  b[1] = 0;
  EspFile f;
  ImageDiagnosis d = parse(b, &f);
  EXPECT_EQ(d.error, ImageError::no_segments);
  EXPECT_EQ(text_of(d), "image header at offset 0x0 declares 0 segments (1 to 16 are allowed)");
}

TEST(EspImageMalformed, TooManySegments) {
  Bytes b = app_only_image();
  b[1] = 17;
  EspFile f;
  ImageDiagnosis d = parse(b, &f);
  EXPECT_EQ(d.error, ImageError::too_many_segments);
  EXPECT_EQ(text_of(d), "image header at offset 0x0 declares 17 segments (1 to 16 are allowed)");
}

TEST(EspImageMalformed, SegmentHeaderCutOff) {
  Bytes b = app_only_image();
  b[1] = 3;                    // a third segment header would start at the checksum padding
  b.resize(8 + 108 + 20 + 3);  // headers + data of segments 0 and 1, then 3 stray bytes
  EspFile f;
  ImageDiagnosis d = parse(b, &f);
  EXPECT_EQ(d.error, ImageError::segment_header_truncated);
  EXPECT_EQ(d.segment, 2u);
  EXPECT_EQ(text_of(d),
            "segment 2 header at offset 0x88 is cut off: 8 bytes needed, 3 left in the file");
}

TEST(EspImageMalformed, SegmentDataBeyondTheFile) {
  Bytes b = app_only_image();
  store_le32(b.data() + 12, 5000);  // segment 0 claims 5000 bytes
  EspFile f;
  ImageDiagnosis d = parse(b, &f);
  EXPECT_EQ(d.error, ImageError::segment_data_truncated);
  EXPECT_EQ(text_of(d), "segment 0 at offset 0x8 declares 5000 bytes of data but only " +
                            std::to_string(b.size() - 16) + " remain in the file");
}

TEST(EspImageMalformed, HugeSegmentSizeDoesNotWrap) {
  Bytes b = app_only_image();
  store_le32(b.data() + 12, 0xFFFFFFF8u);
  EspFile f;
  EXPECT_EQ(parse(b, &f).error, ImageError::segment_data_truncated);
}

TEST(EspImageMalformed, ChecksumByteMissing) {
  Bytes b = app_only_image();
  b.pop_back();
  EspFile f;
  ImageDiagnosis d = parse(b, &f);
  EXPECT_EQ(d.error, ImageError::checksum_truncated);
  EXPECT_EQ(text_of(d),
            "checksum byte of the image at offset 0x0 belongs at offset 0x8f, past "
            "the end of the file");
}

TEST(EspImageMalformed, ChecksumMismatch) {
  Bytes b = app_only_image();
  uint8_t good = b.back();
  b.back() = uint8_t(good ^ 0x5A);
  EspFile f;
  ImageDiagnosis d = parse(b, &f);
  EXPECT_EQ(d.error, ImageError::checksum_mismatch);
  char expected[128];
  snprintf(expected, sizeof(expected),
           "checksum byte at offset 0x8f is 0x%x but the segments sum to 0x%x", b.back(), good);
  EXPECT_EQ(text_of(d), expected);
}

TEST(EspImageMalformed, BootImageRunningIntoTheApp) {
  Bytes code = pattern(0x1100, 3);  // too big for the 4 KiB boot sector,
  code[0x1000 - 16] = 0xE9;         // with an app magic where file offset 0x1000 falls
  Bytes b;
  append_image(b, {{0x4010F000, code}});
  EspFile f;
  ImageDiagnosis d = parse(b, &f);
  EXPECT_EQ(d.error, ImageError::boot_overlaps_app);
  EXPECT_EQ(text_of(d),
            "boot image at offset 0x0 ends at 0x1120, past the application image at "
            "0x1000");
}

// A prefix that still holds the whole eboot image is a valid single image; any other cut,
// including every cut inside the app at 0x1000, is an error.
TEST(EspImageMalformed, EveryTruncationOfAFlashImageIsAnError) {
  Bytes full = flash_image(true);
  EspFile whole;
  ASSERT_TRUE(parse(full, &whole).ok());
  uint32_t boot_end = whole.boot.end;
  for (size_t n = 0; n < full.size(); n += (n < 0x1020 ? 1 : 3)) {
    Bytes prefix(full.begin(), full.begin() + long(n));
    EspFile f;
    bool ok = parse(prefix, &f).ok();
    bool boot_alone = n >= boot_end && n < 0x1000 + kEspImageHeaderSize;
    EXPECT_EQ(ok, boot_alone) << "prefix of " << n << " bytes";
    if (boot_alone) {
      EXPECT_EQ(f.app.end, boot_end);
    }
  }
}

TEST(Gzip, HeaderAndIsize) {
  Bytes b = {0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0,    0,    3, 0x4b,
             0x04, 0,    0,    0,    0, 0, 0, 0x10, 0x27, 0, 0};
  EspFile f;
  ImageDiagnosis d = parse(b, &f);
  ASSERT_TRUE(d.ok()) << text_of(d);
  EXPECT_EQ(f.kind, EspFileKind::gzip);
  EXPECT_EQ(f.gzip.isize, 10000u);
}

TEST(GzipMalformed, TooShort) {
  Bytes b = {0x1f, 0x8b, 0x08, 0x00, 0x00};
  EspFile f;
  ImageDiagnosis d = parse(b, &f);
  EXPECT_EQ(d.error, ImageError::gzip_truncated);
  EXPECT_EQ(text_of(d), "gzip file is 5 bytes long; at least 18 are needed");
}

TEST(GzipMalformed, NotDeflate) {
  Bytes b(30, 0);
  b[0] = 0x1f;
  b[1] = 0x8b;
  b[2] = 0x07;
  b[3] = 0x20;
  EspFile f;
  ImageDiagnosis d = parse(b, &f);
  EXPECT_EQ(d.error, ImageError::gzip_bad_header);
  EXPECT_EQ(text_of(d),
            "gzip header at offset 0x2 has method 0x7 and flags 0x20: eboot inflates "
            "only method 0x8 (deflate) without reserved flags");
}

Bytes read_vector(const std::string& name) {
  std::ifstream in(std::string(OTAKIT_VECTORS_DIR) + "/signing/" + name, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The recorded fw_N.bin files are random bytes behind a 0xE9: the Updater accepts them (it only
// checks the magic) but their segment walk must be reported invalid, with a place, not crash.
TEST(EspImageVectors, RandomVectorImagesAreReportedInvalid) {
  for (const char* name : {"fw_4096.bin", "fw_300001.bin", "fw_1048576.bin"}) {
    Bytes b = read_vector(name);
    ASSERT_FALSE(b.empty()) << name;
    ASSERT_EQ(b[0], 0xE9);
    EspFile f;
    ImageDiagnosis d = parse(b, &f);
    EXPECT_FALSE(d.ok()) << name;
    EXPECT_NE(text_of(d).find("offset 0x"), std::string::npos) << text_of(d);
  }
}

}  // namespace
}  // namespace otakit
