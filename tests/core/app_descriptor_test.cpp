// The OTAKit app descriptor: encoding, finding it in flash and app-only images, and every way a
// record can be malformed.
#include "core/image/app_descriptor.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "core/util/bytes.h"

namespace otakit {
namespace {

using Bytes = std::vector<uint8_t>;

AppDescriptor sample() {
  AppDescriptor d;
  d.security_version = 7;
  strcpy(d.version, "2.4.1-rc1");
  strcpy(d.project, "garage-door");
  return d;
}

// A header and first segment of `segment_size` bytes at `app`, with the stamp words zero and
// the record right after them.
Bytes image_with(const uint8_t record[kAppDescriptorSize], uint32_t app, uint32_t segment_size) {
  Bytes b(app + 16 + segment_size + 16, 0);
  if (app != 0) b[0] = 0xE9;
  uint8_t* h = b.data() + app;
  h[0] = 0xE9;
  h[1] = 1;
  store_le32(h + 8, 0x40201010);
  store_le32(h + 12, segment_size);
  memcpy(h + 0x18, record, kAppDescriptorSize);
  return b;
}

Bytes encoded(const AppDescriptor& d) {
  Bytes r(kAppDescriptorSize);
  EXPECT_TRUE(encode_app_descriptor(d, r.data()));
  return r;
}

DescriptorStatus find(const Bytes& b, AppDescriptor* out) {
  DescriptorStatus why;
  find_app_descriptor(b.data(), uint32_t(b.size()), out, &why);
  return why;
}

TEST(AppDescriptor, EncodedLayoutIsFixed) {
  Bytes r = encoded(sample());
  EXPECT_EQ(memcmp(r.data(), "OTK1", 4), 0);
  EXPECT_EQ(load_le32(r.data() + 4), 7u);
  EXPECT_STREQ(reinterpret_cast<const char*>(r.data() + 8), "2.4.1-rc1");
  EXPECT_STREQ(reinterpret_cast<const char*>(r.data() + 40), "garage-door");
  for (size_t i = 8 + 9; i < 40; ++i) EXPECT_EQ(r[i], 0) << i;
}

TEST(AppDescriptor, FoundInAFlashImageAtOffset0x1018) {
  Bytes b = image_with(encoded(sample()).data(), 0x1000, 200);
  AppDescriptor d;
  ASSERT_TRUE(find_app_descriptor(b.data(), uint32_t(b.size()), &d));
  EXPECT_EQ(d.file_offset, kAppDescriptorOffset);
  EXPECT_EQ(d.security_version, 7u);
  EXPECT_STREQ(d.version, "2.4.1-rc1");
  EXPECT_STREQ(d.project, "garage-door");
}

TEST(AppDescriptor, FoundInAnAppOnlyImageAtOffset0x18) {
  Bytes b = image_with(encoded(sample()).data(), 0, 200);
  AppDescriptor d;
  ASSERT_EQ(find(b, &d), DescriptorStatus::found);
  EXPECT_EQ(d.file_offset, 0x18u);
}

TEST(AppDescriptor, FoundInABufferThatEndsRightAfterIt) {
  Bytes b = image_with(encoded(sample()).data(), 0x1000, 200);
  b.resize(kAppDescriptorOffset + kAppDescriptorSize);  // what the boot path reads from flash
  AppDescriptor d;
  EXPECT_EQ(find(b, &d), DescriptorStatus::found);
  b.pop_back();
  EXPECT_EQ(find(b, &d), DescriptorStatus::outside_segment);
}

TEST(AppDescriptor, EmptyProjectIsAllowed) {
  AppDescriptor d = sample();
  d.project[0] = '\0';
  AppDescriptor out;
  EXPECT_EQ(decode_app_descriptor(encoded(d).data(), kAppDescriptorSize, &out),
            DescriptorStatus::found);
  EXPECT_STREQ(out.project, "");
}

TEST(AppDescriptorEncode, RefusesTextsThatDoNotFit) {
  uint8_t r[kAppDescriptorSize];
  AppDescriptor d = sample();
  memset(d.version, 'v', sizeof(d.version));  // no NUL inside the field
  EXPECT_FALSE(encode_app_descriptor(d, r));
  d = sample();
  d.version[0] = '\0';
  EXPECT_FALSE(encode_app_descriptor(d, r));
  d = sample();
  d.project[2] = '\n';
  EXPECT_FALSE(encode_app_descriptor(d, r));
}

TEST(AppDescriptorMalformed, NoImageHeader) {
  Bytes b(100, 0);
  AppDescriptor d;
  EXPECT_EQ(find(b, &d), DescriptorStatus::no_app_image);
  EXPECT_EQ(find(Bytes(), &d), DescriptorStatus::no_app_image);
}

TEST(AppDescriptorMalformed, AbsentMagic) {
  Bytes r = encoded(sample());
  r[0] = 'X';
  Bytes b = image_with(r.data(), 0x1000, 200);
  AppDescriptor d;
  EXPECT_EQ(find(b, &d), DescriptorStatus::absent);
  EXPECT_FALSE(find_app_descriptor(b.data(), uint32_t(b.size()), &d));
}

TEST(AppDescriptorMalformed, FirstSegmentTooSmallToHoldIt) {
  Bytes b = image_with(encoded(sample()).data(), 0x1000, 8 + kAppDescriptorSize - 1);
  AppDescriptor d;
  EXPECT_EQ(find(b, &d), DescriptorStatus::outside_segment);
}

TEST(AppDescriptorMalformed, VersionEmptyUnterminatedUnprintableOrWithJunk) {
  Bytes base = encoded(sample());
  AppDescriptor d;
  Bytes empty = base;
  memset(empty.data() + 8, 0, 32);
  EXPECT_EQ(decode_app_descriptor(empty.data(), empty.size(), &d), DescriptorStatus::bad_version);
  Bytes unterminated = base;
  memset(unterminated.data() + 8, 'a', 32);
  EXPECT_EQ(decode_app_descriptor(unterminated.data(), kAppDescriptorSize, &d),
            DescriptorStatus::bad_version);
  Bytes control = base;
  control[9] = 0x07;
  EXPECT_EQ(decode_app_descriptor(control.data(), kAppDescriptorSize, &d),
            DescriptorStatus::bad_version);
  Bytes junk = base;
  junk[8 + 30] = 'x';  // after the NUL that ends "2.4.1-rc1"
  EXPECT_EQ(decode_app_descriptor(junk.data(), kAppDescriptorSize, &d),
            DescriptorStatus::bad_version);
}

TEST(AppDescriptorMalformed, ProjectUnterminatedOrUnprintable) {
  Bytes base = encoded(sample());
  AppDescriptor d;
  Bytes unterminated = base;
  memset(unterminated.data() + 40, 'p', 32);
  EXPECT_EQ(decode_app_descriptor(unterminated.data(), kAppDescriptorSize, &d),
            DescriptorStatus::bad_project);
  Bytes high = base;
  high[41] = 0xC3;
  EXPECT_EQ(decode_app_descriptor(high.data(), kAppDescriptorSize, &d),
            DescriptorStatus::bad_project);
}

TEST(AppDescriptorMalformed, ShortBufferIsAbsentNotAnOverread) {
  Bytes r = encoded(sample());
  AppDescriptor d;
  EXPECT_EQ(decode_app_descriptor(r.data(), kAppDescriptorSize - 1, &d), DescriptorStatus::absent);
}

TEST(AppDescriptor, DescribeSaysWhatIsWrong) {
  EXPECT_STREQ(describe(DescriptorStatus::outside_segment),
               "app descriptor magic found but the first segment does not hold the whole record");
}

}  // namespace
}  // namespace otakit
