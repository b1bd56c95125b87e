// Signed files checked with the device's verifier (BearSSL) against the real signing.py outputs,
// and one test per malformed trailer or signature.
#include "core/image/signature_check.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "core/util/bytes.h"

namespace otakit {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes read_vector(const std::string& name) {
  std::ifstream in(std::string(OTAKIT_VECTORS_DIR) + "/signing/" + name, std::ios::binary);
  Bytes b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_FALSE(b.empty()) << "missing vector " << name;
  return b;
}

class SignatureCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Bytes pem = read_vector("public.key");
    ASSERT_EQ(key_.load(pem.data(), pem.size()), crypto::KeyError::ok);
  }
  SignatureCheck check(const Bytes& file, SignatureFormat expected = SignatureFormat::current) {
    return check_signed_file(file.data(), uint32_t(file.size()), key_, expected);
  }
  std::string text(const SignatureCheck& c, SignatureFormat expected = SignatureFormat::current) {
    char buf[256];
    return describe(c, expected, buf, sizeof(buf));
  }
  crypto::RsaPublicKey key_;
};

TEST_F(SignatureCheckTest, SigningPyOutputsVerifyInTheirFormat) {
  for (const char* n : {"4096", "300001", "1048576"}) {
    std::string base = std::string("fw_") + n + ".bin";
    SignatureCheck c = check(read_vector(base + ".signed"));
    EXPECT_EQ(c.status, SignatureStatus::valid) << base << ": " << text(c);
    EXPECT_EQ(c.found, SignatureFormat::current);
    EXPECT_EQ(c.layout.payload_size, uint32_t(std::stoul(n)));
    EXPECT_EQ(c.layout.signature_length, 256u);
    SignatureCheck legacy = check(read_vector(base + ".legacy_sig"), SignatureFormat::legacy);
    EXPECT_EQ(legacy.status, SignatureStatus::valid) << base << ": " << text(legacy);
    EXPECT_EQ(legacy.found, SignatureFormat::legacy);
  }
}

TEST_F(SignatureCheckTest, ValidSentenceNamesFormatAndSizes) {
  SignatureCheck c = check(read_vector("fw_4096.bin.signed"));
  EXPECT_EQ(text(c),
            "signature valid: current (SHA-256 DigestInfo), 256-byte signature over 4096 bytes");
}

TEST_F(SignatureCheckTest, LegacyGivenWhereCurrentExpected) {
  SignatureCheck c = check(read_vector("fw_4096.bin.legacy_sig"));
  EXPECT_EQ(c.status, SignatureStatus::format_mismatch);
  EXPECT_EQ(c.found, SignatureFormat::legacy);
  EXPECT_EQ(text(c),
            "signature is in the legacy (bare SHA-256) format, but the current (SHA-256 "
            "DigestInfo) format was expected (pass --legacy to accept it)");
}

TEST_F(SignatureCheckTest, CurrentGivenWhereLegacyExpected) {
  SignatureCheck c = check(read_vector("fw_4096.bin.signed"), SignatureFormat::legacy);
  EXPECT_EQ(c.status, SignatureStatus::format_mismatch);
  EXPECT_EQ(c.found, SignatureFormat::current);
  EXPECT_NE(text(c, SignatureFormat::legacy).find("drop --legacy"), std::string::npos);
}

TEST_F(SignatureCheckTest, TamperedImageByte) {
  Bytes b = read_vector("fw_300001.bin.signed");
  b[150000] ^= 0x01;
  SignatureCheck c = check(b);
  EXPECT_EQ(c.status, SignatureStatus::bad_signature);
  EXPECT_EQ(text(c),
            "signature does not match: the image was changed after signing, or another "
            "key signed it");
}

TEST_F(SignatureCheckTest, TamperedSignatureByte) {
  Bytes b = read_vector("fw_4096.bin.signed");
  b[4096 + 100] ^= 0x80;
  EXPECT_EQ(check(b).status, SignatureStatus::bad_signature);
}

TEST_F(SignatureCheckTest, TruncatedTrailer) {
  Bytes b = read_vector("fw_4096.bin.signed");
  b.pop_back();  // the length field now ends inside the signature
  SignatureCheck c = check(b);
  EXPECT_EQ(c.status, SignatureStatus::no_trailer);
  EXPECT_NE(c.trailer, TrailerError::ok);
  EXPECT_EQ(text(c).rfind("unsigned or damaged: no signature trailer (", 0), 0u) << text(c);
}

TEST_F(SignatureCheckTest, LengthFieldZero) {
  Bytes b = read_vector("fw_4096.bin.signed");
  store_le32(b.data() + b.size() - 4, 0);
  SignatureCheck c = check(b);
  EXPECT_EQ(c.status, SignatureStatus::no_trailer);
  EXPECT_EQ(c.trailer, TrailerError::length_zero);
  EXPECT_EQ(text(c),
            "unsigned or damaged: no signature trailer (signature length field is 0; "
            "the last 4 bytes read as 0)");
}

TEST_F(SignatureCheckTest, LengthFieldHuge) {
  Bytes b = read_vector("fw_4096.bin.signed");
  store_le32(b.data() + b.size() - 4, 0xFFFFFFF0u);
  SignatureCheck c = check(b);
  EXPECT_EQ(c.status, SignatureStatus::no_trailer);
  EXPECT_EQ(c.trailer, TrailerError::length_too_large);
  EXPECT_EQ(c.length_field, 0xFFFFFFF0u);
}

TEST_F(SignatureCheckTest, LengthPointingOutsideTheFile) {
  Bytes b(100, 0xE9);
  store_le32(b.data() + 96, 256);  // a 256-byte signature cannot fit in 100 bytes
  SignatureCheck c = check(b);
  EXPECT_EQ(c.status, SignatureStatus::no_trailer);
  EXPECT_EQ(c.trailer, TrailerError::outside_file);
  EXPECT_NE(text(c).find("points outside the file"), std::string::npos);
}

TEST_F(SignatureCheckTest, TrailerWithoutPayload) {
  Bytes b = read_vector("fw_4096.bin.signed");
  b.erase(b.begin(), b.begin() + 4096);  // signature and length only
  SignatureCheck c = check(b);
  EXPECT_EQ(c.status, SignatureStatus::no_trailer);
  EXPECT_EQ(c.trailer, TrailerError::no_payload);
}

TEST_F(SignatureCheckTest, SignatureLengthOfAnotherKeySize) {
  Bytes b = read_vector("fw_4096.bin");
  b.insert(b.end(), 512, 0x11);  // as if signed with RSA-4096
  b.insert(b.end(), {0x00, 0x02, 0x00, 0x00});
  SignatureCheck c = check(b);
  EXPECT_EQ(c.status, SignatureStatus::wrong_key_size);
  EXPECT_EQ(text(c),
            "signed for a different key: the trailer announces a 512-byte signature, "
            "this key makes 256-byte ones");
}

TEST_F(SignatureCheckTest, UnsignedImage) {
  SignatureCheck c = check(read_vector("fw_4096.bin"));
  EXPECT_EQ(c.status, SignatureStatus::no_trailer);
  EXPECT_FALSE(c.ok());
}

TEST_F(SignatureCheckTest, EmptyAndTinyFiles) {
  EXPECT_EQ(check(Bytes()).status, SignatureStatus::empty_file);
  SignatureCheck c = check(Bytes{0xE9, 0x01});
  EXPECT_EQ(c.status, SignatureStatus::no_trailer);
  EXPECT_EQ(c.trailer, TrailerError::too_short);
}

TEST(SignatureCheck, EmptyKeyVerifiesNothing) {
  crypto::RsaPublicKey none;
  Bytes b(300, 0);
  EXPECT_EQ(check_signed_file(b.data(), 300, none, SignatureFormat::current).status,
            SignatureStatus::no_key);
}

}  // namespace
}  // namespace otakit
