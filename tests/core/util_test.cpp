// Hex, base64, CRC-32/MPEG-2, the bounded text builder and the digests of the core.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "core/crypto/digest.h"
#include "core/util/base64.h"
#include "core/util/crc32_mpeg2.h"
#include "core/util/hex.h"
#include "core/util/text.h"

namespace otakit {
namespace {

TEST(Crc32Mpeg2, CheckValueOfTheCatalogue) {
  EXPECT_EQ(crc32_mpeg2("123456789", 9), 0x0376E6E7u);
}

TEST(Crc32Mpeg2, UpdateInPiecesEqualsOneShot) {
  uint32_t crc = crc32_mpeg2_update(kCrc32Mpeg2Init, "1234", 4);
  crc = crc32_mpeg2_update(crc, "56789", 5);
  EXPECT_EQ(crc, crc32_mpeg2("123456789", 9));
}

TEST(Hex, RoundTripAndRejectsNonHex) {
  const uint8_t bytes[] = {0x00, 0x9f, 0xab, 0xff};
  char text[9];
  to_hex(bytes, 4, text);
  EXPECT_STREQ(text, "009fabff");
  uint8_t back[4];
  ASSERT_TRUE(from_hex("009FABff", 4, back));
  EXPECT_EQ(0, memcmp(back, bytes, 4));
  EXPECT_FALSE(from_hex("00g0", 2, back));
  EXPECT_TRUE(hex_equal_ci("abCD", "ABcd", 4));
  EXPECT_FALSE(hex_equal_ci("abce", "abcd", 4));
}

TEST(Hex, DigitValues) {
  EXPECT_EQ(hex_digit_value('0'), 0);
  EXPECT_EQ(hex_digit_value('f'), 15);
  EXPECT_EQ(hex_digit_value('A'), 10);
  EXPECT_EQ(hex_digit_value('g'), -1);
}

// RFC 4648 §10 test vectors, both ways.
TEST(Base64, RfcVectorsRoundTrip) {
  const char* plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  const char* encoded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (size_t i = 0; i < 7; ++i) {
    char out[16];
    size_t n = base64_encode(reinterpret_cast<const uint8_t*>(plain[i]), strlen(plain[i]), out);
    EXPECT_STREQ(out, encoded[i]);
    EXPECT_EQ(n, base64_encoded_length(strlen(plain[i])));
    uint8_t back[8];
    size_t decoded = 99;
    ASSERT_TRUE(base64_decode(encoded[i], strlen(encoded[i]), back, sizeof(back), &decoded)) << encoded[i];
    EXPECT_EQ(std::string(reinterpret_cast<char*>(back), decoded), plain[i]);
  }
}

TEST(Base64, RejectsWhatIsNotCanonical) {
  uint8_t out[16];
  size_t n = 0;
  for (const char* bad : {"Zg", "Zg=", "Zm9v=", "Zh==", "Zm9=", "Z===", "====", "Zg==Zg==", "Zm 9", "Zm9\n", "Zm9-"}) {
    EXPECT_FALSE(base64_decode(bad, strlen(bad), out, sizeof(out), &n)) << bad;
  }
}

TEST(Base64, RejectsOutputLargerThanCapacity) {
  uint8_t out[5];
  size_t n = 0;
  EXPECT_FALSE(base64_decode("Zm9vYmFy", 8, out, sizeof(out), &n));
  EXPECT_TRUE(base64_decode("Zm9vYmE=", 8, out, sizeof(out), &n));
  EXPECT_EQ(n, 5u);
}

TEST(TextBuilder, TruncatesAtCapacity) {
  char buf[8];
  TextBuilder t(buf, sizeof(buf));
  t.add("size ").add_u32(123456);
  EXPECT_STREQ(buf, "size 12");
  EXPECT_EQ(t.size(), 7u);
  EXPECT_TRUE(t.truncated());
}

TEST(TextBuilder, ExactFitIsNotTruncated) {
  char buf[8];
  TextBuilder t(buf, sizeof(buf));
  t.add("1234567");
  EXPECT_FALSE(t.truncated());
  t.add("");
  EXPECT_FALSE(t.truncated());
  t.add_char('8');
  EXPECT_TRUE(t.truncated());
}

TEST(Digest, Md5AndSha256KnownAnswers) {
  char hex[crypto::kMd5HexSize];
  crypto::md5_hex("short", 5, hex);  // vector from the ESP8266 core's MD5Builder test
  EXPECT_STREQ(hex, "4f09daa9d95bcb166a302407a0e0babe");
  crypto::Md5 streamed;
  streamed.update("sh", 2);
  streamed.update("ort", 3);
  uint8_t d[crypto::kMd5Size];
  streamed.finish(d);
  char streamed_hex[crypto::kMd5HexSize];
  to_hex(d, sizeof(d), streamed_hex);
  EXPECT_STREQ(streamed_hex, hex) << "finish() and the hex helpers agree on the same bytes";

  crypto::Sha256 sha;
  sha.update("abc", 3);
  uint8_t s[32];
  sha.finish(s);
  char shex[65];
  to_hex(s, 32, shex);
  EXPECT_STREQ(shex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace otakit
