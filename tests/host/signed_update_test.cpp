// Signed real images end to end on the device core: host::build_esp_image makes the firmware,
// the host signer (OpenSSL) signs it with the signing vectors' key, and the core's Updater
// (BearSSL) verifies it, applies the image rule to the signed payload and stages it; the boot path
// swaps in the payload without its trailer. Gzip images are signed as compressed, as signing.py does.
#include <gtest/gtest.h>

#include "core/boot/boot_command.h"
#include "core/boot/placement.h"
#include "core/crypto/signature_verifier.h"
#include "host/gzip.h"
#include "host/image_builder.h"
#include "host/rsa_key.h"
#include "host/signer.h"
#include "platform/posix/zlib_inflater.h"
#include "tests/core/device_fixture.h"
#include "tests/host/host_test_support.h"

namespace otakit {
namespace {

using test::Bytes;

Bytes build(uint32_t size, uint64_t seed, uint32_t security_version = 0) {
  host::ImageSpec spec;
  spec.total_size = size;
  spec.seed = seed;
  spec.security_version = security_version;
  return host::build_esp_image(spec);
}

struct SignedUpdate : ::testing::Test {
  testing::Device dev{"4M1M"};
  host::RsaPrivateKey key = host::RsaPrivateKey::load(test::vector_path("private.key"));
  crypto::RsaPublicKey public_key;
  std::unique_ptr<crypto::RsaSha256Verifier> verifier;
  posix::ZlibInflater inflater;
  Bytes running = build(200000, 1);

  void SetUp() override {
    Bytes pem = test::slurp(test::vector_path("public.key"));
    ASSERT_EQ(public_key.load(pem.data(), pem.size()), crypto::KeyError::ok);
    verifier = std::make_unique<crypto::RsaSha256Verifier>(public_key, crypto::RsaPadding::pkcs1_sha256);
    dev.options.inflater = &inflater;
    ASSERT_TRUE(dev.provision(running));
    reboot();
  }
  BootReport reboot() {
    BootReport r = dev.reboot();
    dev.updater->set_verifier(verifier.get());
    return r;
  }
  Bytes sign(const Bytes& image) { return host::make_signed_file(image, host::sign_sha256(key, image.data(), image.size())); }
};

TEST_F(SignedUpdate, SignedImageIsStagedWithoutItsTrailerAndBoots) {
  Bytes next = build(300001, 2);
  ASSERT_TRUE(dev.stage(sign(next))) << dev.updater->error_message();
  EbootCommand cmd;
  ASSERT_EQ(read_eboot_command(dev.rtc, &cmd), CommandStatus::valid);
  EXPECT_EQ(cmd.args[2], 300001u) << "the boot path swaps in the signed payload only";
  BootReport r = reboot();
  ASSERT_EQ(r.action, BootAction::upgraded) << r.detail;
  EXPECT_TRUE(dev.runs(next));
}

TEST_F(SignedUpdate, SignedPayloadThatIsNoImageIsRefusedAfterTheSignaturePasses) {
  Bytes junk(100000, 0x5A);
  junk[0] = 0xE9;
  junk[1] = 124;  // segments
  junk[3] = 0x20;
  EXPECT_FALSE(dev.stage(sign(junk)));
  EXPECT_EQ(dev.updater->error(), UpdateError::bad_image) << dev.updater->error_message();
  EXPECT_TRUE(dev.runs(running));
}

TEST_F(SignedUpdate, SignedGzipIsInflatedCheckedAndTheInflatedImageStaged) {
  Bytes next = build(350000, 3);
  ASSERT_TRUE(dev.stage(sign(host::gzip_compress(next)))) << dev.updater->error_message();
  EbootCommand cmd;
  ASSERT_EQ(read_eboot_command(dev.rtc, &cmd), CommandStatus::valid);
  EXPECT_EQ(cmd.args[2], 350000u) << "the command names the inflated image";
  BootReport r = reboot();
  ASSERT_EQ(r.action, BootAction::upgraded) << r.detail;
  EXPECT_TRUE(dev.runs(next));
}

TEST_F(SignedUpdate, TamperedSignedImageIsRefusedBeforeTheImageRule) {
  Bytes file = sign(build(300001, 4));
  file[5000] ^= 0x01;
  EXPECT_FALSE(dev.stage(file));
  EXPECT_EQ(dev.updater->error(), UpdateError::sign);
}

// A misread while the Updater hashes the staged bytes for the signature refuses the image (no
// boot command); the same upload without the misread is fine.
TEST_F(SignedUpdate, MisreadWhileTheSignatureIsCheckedRefusesTheImage) {
  Bytes file = sign(build(300001, 5));
  uint32_t at = 0;
  ASSERT_TRUE(place_staging(dev.layout, uint32_t(running.size()), uint32_t(file.size()), &at));
  dev.flash.flip_bits_on_read(at + 123456, 0x01);
  EXPECT_FALSE(dev.stage(file));
  EXPECT_EQ(dev.updater->error(), UpdateError::sign) << dev.updater->error_message();
  EbootCommand cmd;
  EXPECT_NE(read_eboot_command(dev.rtc, &cmd), CommandStatus::valid);
  dev.flash.clear_faults();
  EXPECT_TRUE(dev.stage(file)) << "without the misread the same image is fine: " << dev.updater->error_message();
}

}  // namespace
}  // namespace otakit
