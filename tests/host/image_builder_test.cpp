// Generated images parse as elf2bin output does (core parser), carry the descriptor, have the
// exact size asked for, are reproducible from the seed, and survive gzip; inspect reports them.
#include "host/image_builder.h"

#include <gtest/gtest.h>

#include <memory>

#include "core/image/app_descriptor.h"
#include "core/image/esp_image.h"
#include "host/gzip.h"
#include "host/image_report.h"
#include "host/rsa_key.h"
#include "host/signer.h"
#include "tests/host/host_test_support.h"

namespace otakit {
namespace {

using test::Bytes;

host::ImageSpec spec_of(uint32_t size, uint64_t seed = 1) {
  host::ImageSpec spec;
  spec.total_size = size;
  spec.seed = seed;
  spec.version = "3.1.4";
  spec.security_version = 9;
  return spec;
}

class BuiltImageSizes : public ::testing::TestWithParam<uint32_t> {};

TEST_P(BuiltImageSizes, ParsesAsAValidFlashImageOfExactlyThatSize) {
  uint32_t size = GetParam();
  Bytes b = host::build_esp_image(spec_of(size));
  ASSERT_EQ(b.size(), size);
  auto f = std::make_unique<EspFile>();
  ImageDiagnosis d = parse_esp_file(b.data(), size, f.get());
  char why[200];
  ASSERT_TRUE(d.ok()) << describe(d, why, sizeof(why));
  EXPECT_EQ(f->kind, EspFileKind::flash_image);
  EXPECT_EQ(f->boot.checksum, ChecksumState::valid);
  // elf2bin sums before stamping: the stored sum only matches with the stamp words zeroed,
  // unless the eight stamp bytes happen to XOR to zero.
  uint8_t stamp_xor = 0;
  for (uint32_t i = kCrcLengthOffset; i < kCrcStampEnd; ++i) stamp_xor ^= b[i];
  EXPECT_EQ(f->app.checksum,
            stamp_xor == 0 ? ChecksumState::valid : ChecksumState::valid_before_crc_stamp);
  EXPECT_EQ(f->app.header.segment_count, 4);
  EXPECT_EQ(f->app.segments[0].load_address, 0x40201010u);
  EXPECT_EQ(f->app.end, size & ~15u);
  EXPECT_EQ(f->trailing_bytes, size % 16);
  for (uint32_t i = f->app.end; i < size; ++i) EXPECT_EQ(b[i], 0xFF);
  for (uint32_t i = f->boot.end; i < 0x1000; ++i) ASSERT_EQ(b[i], 0xAA);
  EXPECT_EQ(f->crc_stamp.state, CrcStampState::valid);
  EXPECT_EQ(f->crc_stamp.stored_length, size);
  AppDescriptor desc;
  ASSERT_TRUE(find_app_descriptor(b.data(), size, &desc));
  EXPECT_STREQ(desc.version, "3.1.4");
  EXPECT_STREQ(desc.project, "otakit-demo");
  EXPECT_EQ(desc.security_version, 9u);
}

INSTANTIATE_TEST_SUITE_P(Sizes, BuiltImageSizes,
                         ::testing::Values(host::minimum_image_size(true), 4256u, 4999u, 300001u,
                                           (1u << 20) + 7u));

TEST(ImageBuilder, SameSeedSameBytesOtherSeedOtherBytes) {
  Bytes a = host::build_esp_image(spec_of(20000, 5));
  EXPECT_EQ(a, host::build_esp_image(spec_of(20000, 5)));
  Bytes b = host::build_esp_image(spec_of(20000, 6));
  EXPECT_NE(a, b);
  EXPECT_EQ(Bytes(a.begin(), a.begin() + 0x1000), Bytes(b.begin(), b.begin() + 0x1000))
      << "every image shares one eboot stub";
}

TEST(ImageBuilder, AppOnlyImageStartsAtZeroWithoutStamp) {
  host::ImageSpec spec = spec_of(host::minimum_image_size(false));
  spec.with_boot = false;
  Bytes b = host::build_esp_image(spec);
  EspFile f;
  ASSERT_TRUE(parse_esp_file(b.data(), uint32_t(b.size()), &f).ok());
  EXPECT_EQ(f.kind, EspFileKind::app_only);
  EXPECT_EQ(f.crc_stamp.state, CrcStampState::absent);
  EXPECT_EQ(f.app.checksum, ChecksumState::valid);
  AppDescriptor desc;
  ASSERT_TRUE(find_app_descriptor(b.data(), uint32_t(b.size()), &desc));
  EXPECT_EQ(desc.file_offset, 0x18u);
}

TEST(ImageBuilder, HeaderCarriesTheRequestedFlashSettings) {
  host::ImageSpec spec = spec_of(8192);
  spec.flash_mode = 0;
  spec.size_code = 4;
  spec.freq_code = 15;
  Bytes b = host::build_esp_image(spec);
  for (size_t at : {size_t(0), size_t(0x1000)}) {
    EXPECT_EQ(b[at + 2], 0);
    EXPECT_EQ(b[at + 3], 0x4F);
  }
}

TEST(ImageBuilder, WithoutDescriptor) {
  host::ImageSpec spec = spec_of(8192);
  spec.with_descriptor = false;
  Bytes b = host::build_esp_image(spec);
  AppDescriptor desc;
  DescriptorStatus why;
  EXPECT_FALSE(find_app_descriptor(b.data(), uint32_t(b.size()), &desc, &why));
  EXPECT_EQ(why, DescriptorStatus::absent);
}

TEST(ImageBuilderErrors, RefusesTooSmallSizesAndBadTexts) {
  EXPECT_THROW(host::build_esp_image(spec_of(host::minimum_image_size(true) - 1)),
               std::invalid_argument);
  EXPECT_THROW(host::build_esp_image(spec_of(0)), std::invalid_argument);
  host::ImageSpec long_version = spec_of(8192);
  long_version.version = std::string(32, 'v');
  EXPECT_THROW(host::build_esp_image(long_version), std::invalid_argument);
  host::ImageSpec tab = spec_of(8192);
  tab.project = "a\tb";
  EXPECT_THROW(host::build_esp_image(tab), std::invalid_argument);
  host::ImageSpec bad_size = spec_of(8192);
  bad_size.size_code = 5;
  EXPECT_THROW(host::build_esp_image(bad_size), std::invalid_argument);
}

TEST(Gzip, RoundTripAndIsize) {
  Bytes image = host::build_esp_image(spec_of(100000));
  Bytes gz = host::gzip_compress(image);
  EXPECT_LT(gz.size(), image.size());
  EXPECT_EQ(host::gzip_compress(image), gz) << "gzip output must be deterministic";
  EspFile f;
  ASSERT_TRUE(parse_esp_file(gz.data(), uint32_t(gz.size()), &f).ok());
  EXPECT_EQ(f.kind, EspFileKind::gzip);
  EXPECT_EQ(f.gzip.isize, image.size());
  EXPECT_EQ(host::gzip_decompress(gz, 1 << 20), image);
}

TEST(GzipErrors, CorruptTruncatedAndTooLarge) {
  Bytes gz = host::gzip_compress(host::build_esp_image(spec_of(100000)));
  EXPECT_THROW(host::gzip_decompress(gz, 50000), std::runtime_error);
  Bytes cut(gz.begin(), gz.begin() + long(gz.size() / 2));
  EXPECT_THROW(host::gzip_decompress(cut, 1 << 20), std::runtime_error);
  Bytes flipped = gz;
  flipped[gz.size() / 2] ^= 0xFF;
  EXPECT_THROW(host::gzip_decompress(flipped, 1 << 20), std::runtime_error);
}

TEST(InspectReport, SignedImageShowsTrailerPayloadAndDescriptor) {
  Bytes image = host::build_esp_image(spec_of(50000));
  host::RsaPrivateKey key = host::RsaPrivateKey::load(test::vector_path("private.key"));
  Bytes file = host::make_signed_file(image, host::sign_sha256(key, image.data(), image.size()));
  nlohmann::json r = host::inspect_firmware(file);
  EXPECT_TRUE(r["valid"].get<bool>());
  EXPECT_EQ(r["size"], file.size());
  EXPECT_EQ(r["md5"], host::md5_hex(file.data(), file.size()));
  EXPECT_TRUE(r["trailer"]["present"].get<bool>());
  EXPECT_EQ(r["trailer"]["payload_size"], 50000);
  EXPECT_EQ(r["trailer"]["key_bits"], 2048);
  EXPECT_EQ(r["trailer"]["payload_sha256"], host::sha256_hex(image.data(), image.size()));
  const nlohmann::json& s = r["image"];
  EXPECT_EQ(s["trailing_bytes"], 0);
  EXPECT_EQ(s["crc_stamp"]["state"], "valid");
  EXPECT_EQ(s["app"]["header"]["flash_mode"], "DOUT");
  EXPECT_EQ(s["app"]["header"]["flash_size"], 1 << 20);
  EXPECT_EQ(s["app"]["segments"].size(), 4u);
  EXPECT_EQ(s["descriptor"]["version"], "3.1.4");
  std::string text = host::render_inspection(r);
  EXPECT_NE(text.find("descriptor: version \"3.1.4\", project \"otakit-demo\", security version 9"),
            std::string::npos)
      << text;
}

TEST(InspectReport, GzipImageIsInflatedAndInspectedInside) {
  Bytes gz = host::gzip_compress(host::build_esp_image(spec_of(30000)));
  nlohmann::json r = host::inspect_firmware(gz);
  EXPECT_TRUE(r["valid"].get<bool>()) << r.dump(2);
  EXPECT_EQ(r["image"]["gzip"]["isize"], 30000);
  EXPECT_TRUE(r["image"]["gzip"]["isize_matches"].get<bool>());
  EXPECT_EQ(r["image"]["gzip"]["inner"]["descriptor"]["security_version"], 9);
}

TEST(InspectReport, RandomVectorIsInvalidWithAProblemSentence) {
  nlohmann::json r = host::inspect_firmware(test::slurp(test::vector_path("fw_4096.bin.signed")));
  EXPECT_FALSE(r["valid"].get<bool>());
  EXPECT_TRUE(r["trailer"]["present"].get<bool>());
  EXPECT_NE(r["image"]["problem"].get<std::string>().find("offset 0x"), std::string::npos);
}

}  // namespace
}  // namespace otakit
