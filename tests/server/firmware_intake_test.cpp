// What enters the catalog: real images in, everything else out with a reason; signed fleets.
#include <gtest/gtest.h>

#include <filesystem>

#include "files/file_io.h"
#include "host/gzip.h"
#include "host/image_builder.h"
#include "host/image_report.h"
#include "host/rsa_key.h"
#include "host/signer.h"
#include "server/fleet/firmware_intake.h"
#include "tests/server/server_test_support.h"

using namespace otakit;
using namespace otakit::server;

namespace {

TEST(FirmwareIntake, AnImageIsAcceptedWithItsFacts) {
  host::ImageSpec spec;
  spec.total_size = 120000;
  spec.version = "3.1.4";
  spec.project = "door";
  spec.security_version = 2;
  spec.size_code = 4;  // 4M
  const auto bytes = host::build_esp_image(spec);
  const IntakeResult r = inspect_upload(bytes, IntakeRequest{"door.bin", "", ImageKind::sketch}, FleetKeys());
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.firmware.size, 120000u);
  EXPECT_EQ(r.firmware.md5, host::md5_hex(bytes.data(), bytes.size()));
  EXPECT_EQ(r.firmware.running_md5, r.firmware.md5) << "an unsigned image runs as its file";
  EXPECT_EQ(r.firmware.sha256, host::sha256_hex(bytes.data(), bytes.size()));
  EXPECT_EQ(r.firmware.version, "3.1.4");
  EXPECT_EQ(r.firmware.project, "door");
  EXPECT_EQ(r.firmware.security_version, 2u);
  EXPECT_EQ(r.firmware.flash_size, 4u * 1024 * 1024);
  EXPECT_EQ(r.firmware.name, "door.bin");
  EXPECT_FALSE(r.firmware.is_signed);
}

TEST(FirmwareIntake, TheGivenVersionWinsOverTheDescriptor) {
  const auto bytes = test::image(100000, "1.0");
  const IntakeResult r = inspect_upload(bytes, IntakeRequest{"a.bin", "1.0-hotfix", ImageKind::sketch}, FleetKeys());
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.firmware.version, "1.0-hotfix");
}

TEST(FirmwareIntake, AGzipImageIsCheckedInside) {
  const auto image = test::image(100000, "2.0");
  const auto gz = host::gzip_compress(image);
  const IntakeResult r = inspect_upload(gz, IntakeRequest{"a.bin.gz", "", ImageKind::sketch}, FleetKeys());
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.firmware.version, "2.0");
  EXPECT_EQ(r.firmware.size, gz.size());
  EXPECT_EQ(r.firmware.md5, host::md5_hex(gz.data(), gz.size())) << "x-MD5 covers the bytes sent";
  EXPECT_EQ(r.firmware.running_md5, host::md5_hex(image.data(), image.size())) << "the device runs the inflated image";
}

TEST(FirmwareIntake, NotAnImageIsRefused) {
  const std::vector<uint8_t> text = {'h', 'e', 'l', 'l', 'o'};
  const IntakeResult r = inspect_upload(text, IntakeRequest{"x.bin", "", ImageKind::sketch}, FleetKeys());
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("not an ESP8266 firmware image"), std::string::npos) << r.error;
}

TEST(FirmwareIntake, ADamagedImageIsRefused) {
  auto bytes = test::image(100000, "1.0");
  bytes[0x1000 + 200] ^= 0xFF;  // inside the app's first segment: its checksum no longer matches
  EXPECT_FALSE(inspect_upload(bytes, IntakeRequest{"x.bin", "", ImageKind::sketch}, FleetKeys()).ok);
}

TEST(FirmwareIntake, AnEmptyUploadIsRefused) {
  const IntakeResult r = inspect_upload({}, IntakeRequest{"x.bin", "", ImageKind::sketch}, FleetKeys());
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("empty"), std::string::npos);
}

TEST(FirmwareIntake, AFilesystemImageIsNotCheckedAsASketch) {
  const std::vector<uint8_t> fs(4096, 0xFF);
  EXPECT_TRUE(inspect_upload(fs, IntakeRequest{"fs.bin", "", ImageKind::spiffs}, FleetKeys()).ok);
}

class SignedFleet : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::temp_dir("intake");
    const std::string pem = key_.public_pem();
    files::write_file_atomic(dir_ + "/public.pem", reinterpret_cast<const uint8_t*>(pem.data()), pem.size());
    keys_.add_file(dir_ + "/public.pem");
  }
  std::vector<uint8_t> signed_by(const host::RsaPrivateKey& key, const std::vector<uint8_t>& image) {
    return host::make_signed_file(image, host::sign_sha256(key, image.data(), image.size()));
  }
  std::string dir_;
  host::RsaPrivateKey key_ = host::RsaPrivateKey::generate(2048);
  host::RsaPrivateKey other_ = host::RsaPrivateKey::generate(2048);
  FleetKeys keys_;
};

TEST_F(SignedFleet, ASignedImageIsAccepted) {
  const auto image = test::image(100000, "1.0");
  const IntakeResult r = inspect_upload(signed_by(key_, image), IntakeRequest{"s.bin", "", ImageKind::sketch}, keys_);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.firmware.is_signed);
  EXPECT_EQ(r.firmware.version, "1.0");
  EXPECT_EQ(r.firmware.running_md5, host::md5_hex(image.data(), image.size()))
      << "a device reports the MD5 of the image without its signature";
  EXPECT_NE(r.firmware.md5, r.firmware.running_md5);
}

TEST_F(SignedFleet, AnUnsignedImageIsRefusedWithWhatToDo) {
  const IntakeResult r = inspect_upload(test::image(100000, "1.0"), IntakeRequest{"u.bin", "", ImageKind::sketch}, keys_);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("otakit sign"), std::string::npos) << r.error;
}

TEST_F(SignedFleet, AnImageSignedByAnotherKeyIsRefused) {
  const IntakeResult r =
      inspect_upload(signed_by(other_, test::image(100000, "1.0")), IntakeRequest{"o.bin", "", ImageKind::sketch}, keys_);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("no fleet key verifies"), std::string::npos) << r.error;
}

TEST_F(SignedFleet, ATamperedSignedImageIsRefused) {
  auto bytes = signed_by(key_, test::image(100000, "1.0"));
  bytes[5000] ^= 1;
  EXPECT_FALSE(inspect_upload(bytes, IntakeRequest{"t.bin", "", ImageKind::sketch}, keys_).ok);
}

TEST_F(SignedFleet, AnyOfSeveralKeysVerifies) {
  const std::string pem = other_.public_pem();
  files::write_file_atomic(dir_ + "/other.pem", reinterpret_cast<const uint8_t*>(pem.data()), pem.size());
  keys_.add_file(dir_ + "/other.pem");
  EXPECT_TRUE(
      inspect_upload(signed_by(other_, test::image(100000, "1.0")), IntakeRequest{"o.bin", "", ImageKind::sketch}, keys_).ok);
}

TEST(FirmwareIntake, FileNamesAreReducedToSafeBaseNames) {
  EXPECT_EQ(safe_file_name("../../etc/passwd"), "passwd");
  EXPECT_EQ(safe_file_name("..\\..\\boot.ini"), "boot.ini");
  EXPECT_EQ(safe_file_name("/abs/path/fw-1.2.bin"), "fw-1.2.bin");
  EXPECT_EQ(safe_file_name("..."), "");
  EXPECT_EQ(safe_file_name(".hidden"), "hidden");
  EXPECT_EQ(safe_file_name("a b;rm -rf\r\n.bin"), "abrm-rf.bin");
  EXPECT_EQ(safe_file_name(std::string(300, 'x')).size(), 100u);
}

TEST(FirmwareIntake, ABadKeyFileIsNamed) {
  const std::string dir = test::temp_dir("badkey");
  files::write_file_atomic(dir + "/bad.pem", std::vector<uint8_t>{'n', 'o'});
  FleetKeys keys;
  try {
    keys.add_file(dir + "/bad.pem");
    FAIL() << "a broken key was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.pem"), std::string::npos);
  }
}

}  // namespace
