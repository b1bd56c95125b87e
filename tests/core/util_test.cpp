// Hex, CRC-32/MPEG-2, the bounded text builder and the digests of the core.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "core/crypto/digest.h"
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

TEST(TextBuilder, TruncatesAtCapacity) {
  char buf[8];
  TextBuilder t(buf, sizeof(buf));
  t.add("size ").add_u32(123456);
  EXPECT_STREQ(buf, "size 12");
  EXPECT_EQ(t.size(), 7u);
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
