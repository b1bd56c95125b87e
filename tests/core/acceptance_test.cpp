// The acceptance rule (core/image/acceptance.h): each refusal with its verdict and sentence, the
// accepted layouts, the same verdicts through RAM and through flash, and the signature rule.
#include "core/image/acceptance.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/crypto/digest.h"
#include "core/util/bytes.h"
#include "platform/posix/emulated_flash.h"
#include "tests/core/device_fixture.h"

namespace otakit {
namespace {

using Bytes = std::vector<uint8_t>;
using testing::make_image;

constexpr uint32_t k1M = 1u << 20, k4M = 4u << 20;

void append_le32(Bytes& out, uint32_t value) {
  for (int i = 0; i < 4; ++i) out.push_back(uint8_t(value >> (8 * i)));
}

// An application image with segments of the given sizes (pattern bytes), padded and summed as
// elf2bin does: zeros up to the last byte of the next 16-byte boundary, then the XOR checksum.
Bytes app_image(const std::vector<uint32_t>& segment_sizes, uint8_t size_code = 0) {
  Bytes out = {kEspImageMagic, uint8_t(segment_sizes.size()), 2, uint8_t(size_code << 4), 0x00, 0x10, 0x20, 0x40};
  uint8_t sum = kEspChecksumSeed;
  for (uint32_t len : segment_sizes) {
    append_le32(out, 0x40100000);
    append_le32(out, len);
    for (uint32_t i = 0; i < len; ++i) {
      out.push_back(uint8_t(i * 13 + 5));
      sum ^= out.back();
    }
  }
  out.resize((out.size() + 16) & ~size_t(15), 0);
  out.back() = sum;
  return out;
}

// Changes one segment data byte and keeps the image's checksum (its last byte) right.
void set_data_byte(Bytes& image, size_t offset, uint8_t value) {
  image.back() ^= uint8_t(image[offset] ^ value);
  image[offset] = value;
}

// A 21-byte gzip frame: a 10-byte header with this method and flags, filler, CRC-32 and ISIZE.
// check_image reads only the framing, so the deflate data need not be real.
Bytes gzip_frame(uint32_t isize, uint8_t method = 8, uint8_t flags = 0) {
  Bytes out = {0x1f, 0x8b, method, flags, 0, 0, 0, 0, 0, 3, 0x63, 0x60, 0x00};
  append_le32(out, 0x12345678);
  append_le32(out, isize);
  return out;
}

ImageAcceptance check(const Bytes& file, const ImageRules& rules = ImageRules()) {
  BufferReader reader(file.data(), uint32_t(file.size()));
  return check_image(reader, rules);
}

ImageRules chip(uint32_t chip_size) {
  ImageRules rules;
  rules.chip_size = chip_size;
  return rules;
}

// The verdict, and a detail sentence that contains `text` (printed whole when it does not).
::testing::AssertionResult Says(const ImageAcceptance& a, ImageVerdict verdict, const std::string& text) {
  if (a.verdict != verdict)
    return ::testing::AssertionFailure() << "verdict \"" << describe(a.verdict) << "\", expected \""
                                         << describe(verdict) << "\"; detail: " << a.detail;
  if (std::string(a.detail).find(text) == std::string::npos)
    return ::testing::AssertionFailure() << "detail \"" << a.detail << "\" does not say \"" << text << "\"";
  return ::testing::AssertionSuccess();
}

// --- malformed files ---

TEST(Acceptance, EmptyFile) {
  ImageAcceptance a = check({});
  EXPECT_TRUE(Says(a, ImageVerdict::malformed, "the file is empty"));
  EXPECT_EQ(a.diagnosis.error, ImageError::empty);
}

TEST(Acceptance, OneByteHoldingTheMagic) {
  ImageAcceptance a = check({kEspImageMagic});
  EXPECT_TRUE(Says(a, ImageVerdict::malformed, "image header at offset 0x0 is cut off: 8 bytes needed, 1 present"));
  EXPECT_EQ(a.diagnosis.error, ImageError::header_truncated);
}

TEST(Acceptance, BadMagic) {
  Bytes image = app_image({16});
  image[0] = 0x7F;
  ImageAcceptance a = check(image);
  EXPECT_TRUE(Says(a, ImageVerdict::malformed, "byte at offset 0x0 is 0x7f, not the image magic 0xe9"));
  EXPECT_EQ(a.diagnosis.error, ImageError::bad_magic);
}

TEST(Acceptance, NoSegments) {
  Bytes image = app_image({16});
  image[1] = 0;
  ImageAcceptance a = check(image);
  EXPECT_TRUE(Says(a, ImageVerdict::malformed, "image header at offset 0x0 declares 0 segments (1 to 16 are allowed)"));
  EXPECT_EQ(a.diagnosis.error, ImageError::no_segments);
}

TEST(Acceptance, SeventeenSegments) {
  ImageAcceptance a = check(app_image(std::vector<uint32_t>(17, 4)));
  EXPECT_TRUE(Says(a, ImageVerdict::malformed, "declares 17 segments (1 to 16 are allowed)"));
  EXPECT_EQ(a.diagnosis.error, ImageError::too_many_segments);
}

// The report that started the acceptance rule: random bytes behind an 0xE9 and a 1M size code.
TEST(Acceptance, RandomBytesBehindTheMagicDeclare124Segments) {
  std::mt19937 rng(2024);
  Bytes noise(100000);
  for (uint8_t& b : noise) b = uint8_t(rng());
  noise[0] = kEspImageMagic;
  noise[1] = 124;
  noise[3] = 0x20;
  noise[kAppOffset] = 0;  // a single image, whatever the generator produced there
  ImageAcceptance a = check(noise, chip(k1M));
  EXPECT_TRUE(Says(a, ImageVerdict::malformed, "image header at offset 0x0 declares 124 segments"));
  EXPECT_EQ(a.diagnosis.error, ImageError::too_many_segments);
}

TEST(Acceptance, TruncatedSegmentHeader) {
  Bytes image = app_image({16, 16});
  image.resize(8 + 8 + 16 + 3);
  ImageAcceptance a = check(image);
  EXPECT_TRUE(Says(a, ImageVerdict::malformed,
                   "segment 1 header at offset 0x20 is cut off: 8 bytes needed, 3 left in the file"));
  EXPECT_EQ(a.diagnosis.error, ImageError::segment_header_truncated);
}

TEST(Acceptance, SegmentDataRunsPastTheEnd) {
  Bytes image = app_image({4096});
  image.resize(8 + 8 + 100);
  ImageAcceptance a = check(image);
  EXPECT_TRUE(Says(a, ImageVerdict::malformed,
                   "segment 0 at offset 0x8 declares 4096 bytes of data but only 100 remain in the file"));
  EXPECT_EQ(a.diagnosis.error, ImageError::segment_data_truncated);
}

TEST(Acceptance, ChecksumBytePastTheEnd) {
  Bytes image = app_image({16});  // segments end at 0x20: the checksum belongs at 0x2f
  image.resize(40);
  ImageAcceptance a = check(image);
  EXPECT_TRUE(Says(a, ImageVerdict::malformed,
                   "checksum byte of the image at offset 0x0 belongs at offset 0x2f, past the end of the file"));
  EXPECT_EQ(a.diagnosis.error, ImageError::checksum_truncated);
}

TEST(Acceptance, ChecksumMismatch) {
  Bytes image = app_image({16});
  const uint8_t good = image.back();
  image.back() = uint8_t(good ^ 0xFF);
  ImageAcceptance a = check(image);
  EXPECT_TRUE(Says(a, ImageVerdict::malformed, "checksum byte at offset 0x2f is "));
  EXPECT_TRUE(Says(a, ImageVerdict::malformed, "but the segments sum to "));
  EXPECT_EQ(a.diagnosis.error, ImageError::checksum_mismatch);
  EXPECT_EQ(a.diagnosis.expected, good);
  EXPECT_EQ(a.diagnosis.actual, uint8_t(good ^ 0xFF));
}

TEST(Acceptance, EbootImageRunningIntoTheApplication) {
  Bytes image = app_image({kAppOffset});  // ends at 0x1020
  set_data_byte(image, kAppOffset, kEspImageMagic);  // so the file reads as eboot + app
  ImageAcceptance a = check(image);
  EXPECT_TRUE(Says(a, ImageVerdict::malformed,
                   "boot image at offset 0x0 ends at 0x1020, past the application image at 0x1000"));
  EXPECT_EQ(a.diagnosis.error, ImageError::boot_overlaps_app);
}

// --- flash size, space and version ---

TEST(Acceptance, UnknownFlashSizeCode) {
  ImageAcceptance a = check(app_image({16}, 5));
  EXPECT_TRUE(Says(a, ImageVerdict::malformed, "the image header at offset 0x0 has the unknown flash-size code 5"));
  EXPECT_EQ(a.declared_flash_size, 0u);
}

// Regression: with the application's magic byte damaged, the eboot image at 0 was taken for an
// application-only file and accepted; the boot loader would have had nothing to load.
TEST(Acceptance, FlashImageWhoseApplicationMagicIsDamaged) {
  Bytes image = make_image(200000, 2);
  image[kAppOffset] = 0x00;
  ImageAcceptance a = check(image);
  EXPECT_TRUE(Says(a, ImageVerdict::malformed, "byte at offset 0x1000 is 0x0, not the image magic 0xe9"));
  EXPECT_EQ(a.diagnosis.error, ImageError::bad_magic);
}

TEST(Acceptance, EbootHeaderDeclaringALargerChip) {
  Bytes image = make_image(20000, 1, 0, 2);
  image[3] = 0x40;  // the header bytes are outside the checksum
  EXPECT_TRUE(Says(check(image, chip(k1M)), ImageVerdict::flash_too_small,
                   "real size: 1048576, but the image header at offset 0x0 declares 4194304 bytes (size code 4)"));
  EXPECT_TRUE(check(image, chip(k4M)).ok());
}

TEST(Acceptance, AppHeaderDeclaringALargerChip) {
  Bytes image = make_image(20000, 1, 0, 2);
  image[kAppOffset + 3] = 0x40;
  EXPECT_TRUE(Says(check(image, chip(k1M)), ImageVerdict::flash_too_small,
                   "real size: 1048576, but the image header at offset 0x1000 declares 4194304 bytes (size code 4)"));
  EXPECT_TRUE(check(image, chip(k4M)).ok());
}

TEST(Acceptance, ImageLargerThanTheSpace) {
  Bytes image = make_image(20000, 1);
  ImageRules rules;
  rules.max_size = 19999;
  EXPECT_TRUE(Says(check(image, rules), ImageVerdict::too_large, "the image is 20000 bytes; at most 19999 fit"));
  rules.max_size = 20000;
  EXPECT_TRUE(check(image, rules).ok());
}

TEST(Acceptance, SecurityVersionBelowTheFloor) {
  Bytes image = make_image(20000, 1, 3);
  ImageRules rules;
  rules.min_security_version = 4;
  ImageAcceptance a = check(image, rules);
  EXPECT_TRUE(Says(a, ImageVerdict::downgrade,
                   "security version 3 is below the device's floor: it requires at least 4"));
  EXPECT_EQ(a.security_version, 3u);
  rules.min_security_version = 3;
  EXPECT_TRUE(check(image, rules).ok());
}

// --- gzip framing ---

TEST(Acceptance, GzipShorterThanHeaderAndTrailer) {
  Bytes gz = gzip_frame(1000);
  gz.resize(10);
  ImageAcceptance a = check(gz);
  EXPECT_TRUE(Says(a, ImageVerdict::malformed, "gzip file is 10 bytes long; at least 18 are needed"));
  EXPECT_EQ(a.diagnosis.error, ImageError::gzip_truncated);
  EXPECT_EQ(a.kind, EspFileKind::gzip);
}

TEST(Acceptance, GzipWithAnotherMethodThanDeflate) {
  ImageAcceptance a = check(gzip_frame(1000, 7));
  EXPECT_TRUE(Says(a, ImageVerdict::malformed, "gzip header at offset 0x2 has method 0x7 and flags 0x0"));
  EXPECT_EQ(a.diagnosis.error, ImageError::gzip_bad_header);
}

TEST(Acceptance, GzipWithReservedFlags) {
  ImageAcceptance a = check(gzip_frame(1000, 8, 0x20));
  EXPECT_TRUE(Says(a, ImageVerdict::malformed, "has method 0x8 and flags 0x20"));
  EXPECT_EQ(a.diagnosis.error, ImageError::gzip_bad_header);
}

TEST(Acceptance, GzipDeclaringAnEmptyImage) {
  EXPECT_TRUE(Says(check(gzip_frame(0)), ImageVerdict::malformed, "the gzip trailer declares an empty image"));
}

TEST(Acceptance, GzipInflatingBeyondTheSpace) {
  ImageRules rules;
  rules.max_size = 200000;
  ImageAcceptance a = check(gzip_frame(300000), rules);
  EXPECT_TRUE(Says(a, ImageVerdict::too_large, "the gzip image inflates to 300000 bytes; at most 200000 fit"));
  EXPECT_EQ(a.inflated_size, 300000u);
}

TEST(Acceptance, WellFramedGzipNeedsInflation) {
  ImageAcceptance a = check(gzip_frame(1000));
  EXPECT_EQ(a.verdict, ImageVerdict::needs_inflation) << a.detail;
  EXPECT_EQ(a.inflated_size, 1000u);
  EXPECT_EQ(a.kind, EspFileKind::gzip);
}

TEST(Acceptance, InflatedImageMayNotBeGzipAgain) {
  Bytes gz = gzip_frame(1000);
  BufferReader reader(gz.data(), uint32_t(gz.size()));
  EXPECT_TRUE(Says(check_inflated_image(reader, ImageRules()), ImageVerdict::gzip_nested,
                   "the gzip image holds another gzip stream"));
}

// --- accepted images ---

TEST(Acceptance, ApplicationImageAlone) {
  Bytes image = make_image(1000, 2);
  ImageAcceptance a = check(image, chip(k1M));
  ASSERT_TRUE(a.ok()) << a.detail;
  EXPECT_EQ(a.kind, EspFileKind::app_only);
  EXPECT_EQ(a.image_end, 992u);  // the last 16-byte boundary: 8 random bytes follow
  EXPECT_EQ(a.declared_flash_size, 512u * 1024);
  EXPECT_STREQ(a.detail, "");
}

TEST(Acceptance, EbootAndApplication) {
  Bytes image = make_image(20007, 3, 7, 2);
  ImageAcceptance a = check(image, chip(k1M));
  ASSERT_TRUE(a.ok()) << a.detail;
  EXPECT_EQ(a.kind, EspFileKind::flash_image);
  EXPECT_EQ(a.image_end, 20000u);
  EXPECT_EQ(a.security_version, 7u);
  EXPECT_EQ(a.declared_flash_size, k1M);
}

TEST(Acceptance, TrailingSignatureIsNotPartOfTheImage) {
  Bytes image = make_image(20000, 4);
  Bytes file = image;
  file.insert(file.end(), 256, 0x5A);
  append_le32(file, 256);
  ImageAcceptance a = check(file);
  ASSERT_TRUE(a.ok()) << a.detail;
  EXPECT_EQ(a.image_end, image.size());
}

// --- the same rule in RAM and in flash ---

// Odd lengths throughout: the reader over flash must bounce the unaligned tail through
// flash_read_bytes and still see exactly what the buffer reader sees.
std::vector<Bytes> reader_cases() {
  Bytes truncated = make_image(20001, 5);
  truncated.resize(10001);
  Bytes bad_sum = make_image(1001, 6);
  bad_sum[600] ^= 1;
  Bytes big_chip = make_image(20001, 7, 0, 4);
  return {make_image(20001, 1, 5), make_image(1001, 2), truncated, bad_sum, big_chip,
          gzip_frame(5000), gzip_frame(300000), Bytes{kEspImageMagic}, Bytes{0x1f, 0x8b, 8}};
}

void expect_same(const ImageAcceptance& a, const ImageAcceptance& b, size_t which) {
  EXPECT_EQ(a.verdict, b.verdict) << "case " << which;
  EXPECT_EQ(a.diagnosis.error, b.diagnosis.error) << "case " << which;
  EXPECT_EQ(a.diagnosis.offset, b.diagnosis.offset) << "case " << which;
  EXPECT_EQ(a.diagnosis.expected, b.diagnosis.expected) << "case " << which;
  EXPECT_EQ(a.diagnosis.actual, b.diagnosis.actual) << "case " << which;
  EXPECT_EQ(a.kind, b.kind) << "case " << which;
  EXPECT_EQ(a.image_end, b.image_end) << "case " << which;
  EXPECT_EQ(a.inflated_size, b.inflated_size) << "case " << which;
  EXPECT_EQ(a.declared_flash_size, b.declared_flash_size) << "case " << which;
  EXPECT_EQ(a.security_version, b.security_version) << "case " << which;
  EXPECT_STREQ(a.detail, b.detail) << "case " << which;
}

TEST(Acceptance, BufferAndFlashReadersGiveTheSameVerdicts) {
  constexpr uint32_t kRegion = 0x3000;
  ImageRules rules = chip(k1M);
  rules.max_size = 200000;
  rules.min_security_version = 1;
  const std::vector<Bytes> cases = reader_cases();
  for (size_t i = 0; i < cases.size(); ++i) {
    const Bytes& file = cases[i];
    ASSERT_EQ(file.size() % 2, 1u) << "case " << i << " should have an odd length";
    posix::MemoryFlash flash(k1M);
    std::memcpy(flash.bytes().data() + kRegion, file.data(), file.size());
    BufferReader in_ram(file.data(), uint32_t(file.size()));
    FlashRegionReader in_flash(flash, kRegion, uint32_t(file.size()));
    expect_same(check_image(in_ram, rules), check_image(in_flash, rules), i);
    expect_same(check_inflated_image(in_ram, rules), check_inflated_image(in_flash, rules), i);
    EXPECT_EQ(flash.alignment_violations(), 0u) << "case " << i;
  }
}

// --- the signature rule ---

constexpr uint32_t kSignatureLength = 64;

Bytes sha256_of(const uint8_t* data, size_t len) {
  Bytes digest(crypto::kSha256Size);
  crypto::Sha256 sha;
  sha.update(data, len);
  sha.finish(digest.data());
  return digest;
}

// The one signature a FakeVerifier accepts for a digest: the digest twice, each byte XOR 0x5A.
Bytes fake_signature(const Bytes& digest) {
  Bytes signature(kSignatureLength);
  for (uint32_t i = 0; i < kSignatureLength; ++i) signature[i] = uint8_t(digest[i % digest.size()] ^ 0x5A);
  return signature;
}

// Stands in for RSA: accepts only the fake signature over the one digest it was made for.
class FakeVerifier final : public crypto::SignatureVerifier {
 public:
  explicit FakeVerifier(Bytes digest) : digest_(std::move(digest)) {}
  uint32_t signature_length() const override { return kSignatureLength; }
  bool verify(const uint8_t digest[crypto::kSha256Size], const uint8_t* signature, size_t len) const override {
    return len == kSignatureLength && std::memcmp(digest, digest_.data(), digest_.size()) == 0 &&
           std::memcmp(signature, fake_signature(digest_).data(), len) == 0;
  }

 private:
  Bytes digest_;
};

struct SignatureTest : ::testing::Test {
  Bytes image = make_image(20000, 9);
  FakeVerifier verifier{sha256_of(image.data(), image.size())};

  Bytes signed_file(uint32_t length_field) const {
    Bytes file = image;
    Bytes signature = fake_signature(sha256_of(image.data(), image.size()));
    file.insert(file.end(), signature.begin(), signature.end());
    append_le32(file, length_field);
    return file;
  }
  SignedPayload check(const Bytes& file) const {
    alignas(4) uint8_t buffer[256];
    BufferReader reader(file.data(), uint32_t(file.size()));
    return check_signature(reader, verifier, buffer, sizeof(buffer));
  }
};

TEST_F(SignatureTest, UnsignedImageHasNoTrailer) {
  SignedPayload s = check(image);
  EXPECT_EQ(s.verdict, SignatureVerdict::no_trailer);
  EXPECT_NE(std::string(s.detail).find("image is not signed for this key ("), std::string::npos) << s.detail;
}

TEST_F(SignatureTest, FileShorterThanTheLengthField) {
  SignedPayload s = check({1, 2, 3});
  EXPECT_EQ(s.verdict, SignatureVerdict::no_trailer);
  EXPECT_NE(std::string(s.detail).find("shorter than the 4-byte signature length field"), std::string::npos)
      << s.detail;
}

TEST_F(SignatureTest, LengthFieldOfAnotherKey) {
  SignedPayload s = check(signed_file(2 * kSignatureLength));
  EXPECT_EQ(s.verdict, SignatureVerdict::no_trailer);
  EXPECT_NE(std::string(s.detail).find("signature length does not match the key"), std::string::npos) << s.detail;
}

TEST_F(SignatureTest, SignatureLongerThanTheScratchBufferSaysSo) {
  Bytes file = signed_file(kSignatureLength);
  alignas(4) uint8_t small[16];
  BufferReader reader(file.data(), uint32_t(file.size()));
  SignedPayload s = check_signature(reader, verifier, small, sizeof(small));
  EXPECT_EQ(s.verdict, SignatureVerdict::unreadable);
  EXPECT_STREQ(s.detail, "the signature is longer than this device's signature buffer (16 bytes)");
}

TEST_F(SignatureTest, AlteredSignatureIsAMismatch) {
  Bytes file = signed_file(kSignatureLength);
  file[image.size() + 10] ^= 1;
  SignedPayload s = check(file);
  EXPECT_EQ(s.verdict, SignatureVerdict::mismatch);
  EXPECT_STREQ(s.detail, "signature does not match the image and key");
}

TEST_F(SignatureTest, AlteredImageIsAMismatch) {
  Bytes file = signed_file(kSignatureLength);
  file[5000] ^= 1;
  EXPECT_EQ(check(file).verdict, SignatureVerdict::mismatch);
}

TEST_F(SignatureTest, ValidSignatureCoversTheImage) {
  SignedPayload s = check(signed_file(kSignatureLength));
  ASSERT_EQ(s.verdict, SignatureVerdict::valid) << s.detail;
  EXPECT_EQ(s.payload_size, image.size());
  EXPECT_EQ(Bytes(s.payload_sha256, s.payload_sha256 + crypto::kSha256Size), sha256_of(image.data(), image.size()));
  EXPECT_STREQ(s.detail, "");
}

}  // namespace
}  // namespace otakit
