// Agreement with the openssl CLI on keys and files made here: RSA-2048 and RSA-4096, files of
// 1 byte, one sector, an odd size and more than 1 MiB. openssl runs as a subprocess.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <tuple>

#include "core/crypto/rsa_public_key.h"
#include "core/image/signature_check.h"
#include "host/rsa_key.h"
#include "host/signer.h"
#include "tests/host/host_test_support.h"

namespace otakit {
namespace {

using test::Bytes;
using test::quote;

// openssl-made key pairs, kept in the build tree: ctest runs every test in its own process and
// a 4096-bit key takes seconds to generate. Written to a temporary name and renamed, so parallel
// tests never see half a file.
struct KeyFiles {
  std::string dir = OTAKIT_INTEROP_KEY_DIR;
  std::string private_key(unsigned bits) const {
    return dir + "/k" + std::to_string(bits) + ".pem";
  }
  std::string public_key(unsigned bits) const { return dir + "/p" + std::to_string(bits) + ".pem"; }
};

class OpensslInterop : public ::testing::TestWithParam<std::tuple<unsigned, size_t>> {
 protected:
  static void SetUpTestSuite() {
    keys_ = new KeyFiles;
    test::TempDir scratch;
    for (unsigned bits : {2048u, 4096u}) {
      std::string priv = keys_->private_key(bits), pub = keys_->public_key(bits);
      std::string tmp = scratch / "key.pem";
      test::RunResult r =
          test::run("mkdir -p " + quote(keys_->dir) + " && { test -s " + quote(pub) +
                        " || { openssl genrsa -out " + quote(tmp) + " " + std::to_string(bits) +
                        " && openssl rsa -pubout -in " + quote(tmp) + " -out " +
                        quote(tmp + ".pub") + " && mv " + quote(tmp) + " " + quote(priv) +
                        " && mv " + quote(tmp + ".pub") + " " + quote(pub) + "; }; }",
                    scratch);
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
  }
  static void TearDownTestSuite() {
    delete keys_;
    keys_ = nullptr;
  }

  void SetUp() override {
    std::tie(bits_, size_) = GetParam();
    image_.resize(size_);
    uint32_t x = uint32_t(size_ * 2654435761u + bits_);
    for (uint8_t& b : image_) b = uint8_t((x = x * 1103515245u + 12345u) >> 24);
    image_path_ = dir_ / "image.bin";
    test::spit(image_path_, image_);
  }

  static KeyFiles* keys_;
  test::TempDir dir_;
  unsigned bits_ = 0;
  size_t size_ = 0;
  Bytes image_;
  std::string image_path_;
};
KeyFiles* OpensslInterop::keys_ = nullptr;

TEST_P(OpensslInterop, SignatureIsByteIdenticalToOpensslDgstSign) {
  host::RsaPrivateKey key = host::RsaPrivateKey::load(keys_->private_key(bits_));
  Bytes ours = host::sign_sha256(key, image_.data(), image_.size());
  test::RunResult r = test::run("openssl dgst -sha256 -sign " + quote(keys_->private_key(bits_)) +
                                    " -out " + quote(dir_ / "sig") + " " + quote(image_path_),
                                dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ours, test::slurp(dir_ / "sig"));
  EXPECT_EQ(ours.size(), bits_ / 8);
}

TEST_P(OpensslInterop, OpensslDgstVerifiesOurSignature) {
  host::RsaPrivateKey key = host::RsaPrivateKey::load(keys_->private_key(bits_));
  test::spit(dir_ / "ours.sig", host::sign_sha256(key, image_.data(), image_.size()));
  test::RunResult r =
      test::run("openssl dgst -sha256 -verify " + quote(keys_->public_key(bits_)) + " -signature " +
                    quote(dir_ / "ours.sig") + " " + quote(image_path_),
                dir_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Verified OK\n");
}

TEST_P(OpensslInterop, LegacySignatureEqualsOpensslRawPkcs1OfTheDigest) {
  host::RsaPrivateKey key = host::RsaPrivateKey::load(keys_->private_key(bits_));
  Bytes ours = host::sign_legacy(key, image_.data(), image_.size());
  test::RunResult r =
      test::run("openssl dgst -sha256 -binary -out " + quote(dir_ / "digest") + " " +
                    quote(image_path_) + " && openssl pkeyutl -sign -inkey " +
                    quote(keys_->private_key(bits_)) + " -pkeyopt rsa_padding_mode:pkcs1 -in " +
                    quote(dir_ / "digest") + " -out " + quote(dir_ / "legacy.sig"),
                dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ours, test::slurp(dir_ / "legacy.sig"));
}

TEST_P(OpensslInterop, DeviceVerifierAcceptsOpensslSignaturesInBothFormats) {
  test::RunResult r = test::run("openssl dgst -sha256 -sign " + quote(keys_->private_key(bits_)) +
                                    " -out " + quote(dir_ / "sig") + " " + quote(image_path_),
                                dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Bytes pem = test::slurp(keys_->public_key(bits_));
  auto device_key = std::make_unique<crypto::RsaPublicKey>();
  ASSERT_EQ(device_key->load(pem.data(), pem.size()), crypto::KeyError::ok);
  Bytes signed_file = host::make_signed_file(image_, test::slurp(dir_ / "sig"));
  SignatureCheck c = check_signed_file(signed_file.data(), uint32_t(signed_file.size()),
                                       *device_key, SignatureFormat::current);
  EXPECT_EQ(c.status, SignatureStatus::valid);

  host::RsaPrivateKey key = host::RsaPrivateKey::load(keys_->private_key(bits_));
  Bytes legacy =
      host::make_signed_file(image_, host::sign_legacy(key, image_.data(), image_.size()));
  c = check_signed_file(legacy.data(), uint32_t(legacy.size()), *device_key,
                        SignatureFormat::legacy);
  EXPECT_EQ(c.status, SignatureStatus::valid);
}

INSTANTIATE_TEST_SUITE_P(KeysAndSizes, OpensslInterop,
                         ::testing::Combine(::testing::Values(2048u, 4096u),
                                            ::testing::Values(size_t(1), size_t(4096), size_t(4099),
                                                              size_t((1u << 20) + 13))));

// Keys written by our keygen path are read by openssl, and openssl's signatures made with them
// verify on the device side.
TEST(OpensslReadsOurKeys, GeneratedPemFilesWorkWithOpenssl) {
  for (unsigned bits : {2048u, 4096u}) {
    test::TempDir dir;
    host::RsaPrivateKey key = host::RsaPrivateKey::generate(bits);
    std::string priv = key.private_pem(), pub = key.public_pem();
    test::spit(dir / "private.key", Bytes(priv.begin(), priv.end()));
    test::spit(dir / "public.key", Bytes(pub.begin(), pub.end()));
    const Bytes data = {1, 2, 3};
    test::spit(dir / "data", data);
    test::RunResult r =
        test::run("cd " + quote(dir.path()) +
                      " && openssl pkey -in private.key -check -noout && "
                      "openssl pkey -pubin -in public.key -noout -text | head -1 && "
                      "openssl dgst -sha256 -sign private.key -out sig data && "
                      "openssl dgst -sha256 -verify public.key -signature sig data",
                  dir);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::string all = r.out + r.err;  // openssl 3 prints some of these lines on stderr
    EXPECT_NE(all.find("Key is valid"), std::string::npos) << all;
    EXPECT_NE(all.find("Public-Key: (" + std::to_string(bits) + " bit)"), std::string::npos) << all;
    EXPECT_NE(all.find("Verified OK"), std::string::npos) << all;
    EXPECT_EQ(test::slurp(dir / "sig"), host::sign_sha256(key, data.data(), data.size()));
  }
}

}  // namespace
}  // namespace otakit
