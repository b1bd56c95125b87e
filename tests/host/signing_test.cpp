// Host signing against the recorded signing.py outputs: signatures, signed files and the key
// header must match byte for byte (PKCS#1 v1.5 is deterministic); keys load or fail clearly.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "core/crypto/rsa_public_key.h"
#include "files/file_io.h"
#include "host/key_header.h"
#include "host/rsa_key.h"
#include "host/signer.h"
#include "tests/host/host_test_support.h"

namespace otakit {
namespace {

using test::Bytes;
using test::slurp;
using test::vector_path;

class VectorSigning : public ::testing::TestWithParam<const char*> {
 protected:
  static void SetUpTestSuite() {
    key_ = new host::RsaPrivateKey(host::RsaPrivateKey::load(vector_path("private.key")));
  }
  static void TearDownTestSuite() {
    delete key_;
    key_ = nullptr;
  }
  static host::RsaPrivateKey* key_;
};
host::RsaPrivateKey* VectorSigning::key_ = nullptr;

TEST_P(VectorSigning, CurrentFormatEqualsSigningPy) {
  std::string base = std::string("fw_") + GetParam() + ".bin";
  Bytes image = slurp(vector_path(base));
  ASSERT_FALSE(image.empty());
  Bytes sig = host::sign_sha256(*key_, image.data(), image.size());
  EXPECT_EQ(host::make_signed_file(image, sig), slurp(vector_path(base + ".signed")));
}

TEST_P(VectorSigning, LegacyFormatEqualsSigningPy) {
  std::string base = std::string("fw_") + GetParam() + ".bin";
  Bytes image = slurp(vector_path(base));
  Bytes sig = host::sign_legacy(*key_, image.data(), image.size());
  EXPECT_EQ(host::make_signed_file(image, sig), slurp(vector_path(base + ".legacy_sig")));
}

INSTANTIATE_TEST_SUITE_P(RecordedImages, VectorSigning,
                         ::testing::Values("4096", "300001", "1048576"));

TEST(SignedFile, LayoutIsImageSignatureAndLittleEndianLength) {
  Bytes image = {1, 2, 3};
  Bytes sig(384, 0x77);
  Bytes f = host::make_signed_file(image, sig);
  ASSERT_EQ(f.size(), 3u + 384 + 4);
  EXPECT_EQ(Bytes(f.begin(), f.begin() + 3), image);
  EXPECT_EQ(f[3], 0x77);
  EXPECT_EQ(Bytes(f.end() - 4, f.end()), (Bytes{0x80, 0x01, 0x00, 0x00}));
}

TEST(KeyHeader, EqualsSigningPyExceptTheNulTerminator) {
  std::string ours = host::make_signing_header(slurp(vector_path("public.key")));
  std::string theirs = test::slurp_text(vector_path("Updater_Signing.h"));
  const std::string tail = "0x0a\n};\n";
  ASSERT_EQ(theirs.compare(theirs.size() - tail.size(), tail.size(), tail), 0);
  std::string expected = theirs.substr(0, theirs.size() - tail.size()) + "0x0a, \n0x00\n};\n";
  EXPECT_EQ(ours, expected);
}

TEST(KeyHeader, NoKeyHeaderEqualsSigningPy) {
  EXPECT_EQ(host::make_unsigned_header(), test::slurp_text(vector_path("Updater_Signing.nokey.h")));
}

TEST(KeyHeader, WritesOnlyWhenTheTextChanges) {
  test::TempDir dir;
  std::string path = dir / "build/core/Updater_Signing.h";  // the directory does not exist yet
  EXPECT_TRUE(host::write_text_if_changed(path, "A\n"));
  EXPECT_EQ(test::slurp_text(path), "A\n");
  struct stat before {};
  ASSERT_EQ(stat(path.c_str(), &before), 0);
  EXPECT_FALSE(host::write_text_if_changed(path, "A\n"));
  struct stat after {};
  ASSERT_EQ(stat(path.c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);  // not replaced by a new file
  EXPECT_TRUE(host::write_text_if_changed(path, "B\n"));
  EXPECT_EQ(test::slurp_text(path), "B\n");
}

TEST(FileBatch, WritesEveryFileOrNone) {
  test::TempDir dir;
  {
    files::FileBatch batch;
    batch.add(dir / "a.bin", Bytes{1, 2});
    EXPECT_THROW(batch.add(dir / "missing/b.bin", Bytes{3}), std::runtime_error);
  }  // dropped without commit
  EXPECT_EQ(test::run("ls -A " + test::quote(dir.path()), dir).out, ".stderr\n.stdout\n") << "no target, no temporary";

  files::FileBatch batch;
  batch.add(dir / "a.bin", Bytes{1, 2});
  batch.add(dir / "b.bin", Bytes{3});
  struct stat st {};
  EXPECT_NE(stat((dir / "a.bin").c_str(), &st), 0) << "nothing in place before commit()";
  batch.commit();
  EXPECT_EQ(slurp(dir / "a.bin"), (Bytes{1, 2}));
  EXPECT_EQ(slurp(dir / "b.bin"), Bytes{3});
}

TEST(RsaKey, GeneratedKeyRoundTripsThroughPemAndTheDeviceParser) {
  host::RsaPrivateKey key = host::RsaPrivateKey::generate(2048);
  EXPECT_EQ(key.bits(), 2048u);
  EXPECT_EQ(key.signature_size(), 256u);
  std::string priv = key.private_pem(), pub = key.public_pem();
  EXPECT_EQ(priv.rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0u);
  EXPECT_EQ(pub.rfind("-----BEGIN PUBLIC KEY-----\n", 0), 0u);
  host::RsaPrivateKey again = host::RsaPrivateKey::from_pem(Bytes(priv.begin(), priv.end()), "mem");
  EXPECT_EQ(again.public_pem(), pub);
  crypto::RsaPublicKey device_key;
  EXPECT_EQ(device_key.load(reinterpret_cast<const uint8_t*>(pub.data()), pub.size()),
            crypto::KeyError::ok);
  EXPECT_EQ(device_key.modulus_bytes(), 256u);
}

TEST(RsaKey, RefusesUnsupportedSizes) {
  EXPECT_THROW(host::RsaPrivateKey::generate(512), std::invalid_argument);
  EXPECT_THROW(host::RsaPrivateKey::generate(8192), std::invalid_argument);
  EXPECT_THROW(host::RsaPrivateKey::generate(2049), std::invalid_argument);
}

std::string load_error(const Bytes& pem) {
  try {
    host::RsaPrivateKey::from_pem(pem, "k.pem");
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(RsaKeyMalformed, EmptyGarbageAndPublicKeysAreRefusedWithTheReason) {
  EXPECT_EQ(load_error(Bytes()), "private key k.pem is empty");
  std::string garbage = "not a key\n";
  EXPECT_NE(load_error(Bytes(garbage.begin(), garbage.end())).find("cannot read private key k.pem"),
            std::string::npos);
  Bytes pub = slurp(vector_path("public.key"));
  EXPECT_NE(load_error(pub).find("not an unencrypted PEM private key"), std::string::npos);
}

TEST(RsaKeyMalformed, NonRsaKeyIsRefused) {
  test::TempDir dir;
  test::RunResult r =
      test::run("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " +
                    test::quote(dir / "ec.pem"),
                dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string e = load_error(slurp(dir / "ec.pem"));
  EXPECT_EQ(e, "private key k.pem is a EC key; ESP8266 devices verify RSA signatures only");
}

TEST(RsaKeyMalformed, EncryptedKeyFailsInsteadOfPrompting) {
  test::TempDir dir;
  test::RunResult r = test::run(
      "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 "
      "-aes256 -pass pass:secret -out " +
          test::quote(dir / "enc.pem"),
      dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(load_error(slurp(dir / "enc.pem")).find("cannot read private key"), std::string::npos);
}

}  // namespace
}  // namespace otakit
