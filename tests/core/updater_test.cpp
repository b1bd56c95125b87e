// The Updater's contract: every bad input gets its own error and text, and the running image
// is never touched. Signatures are checked against the recorded signing.py vectors (whose
// payloads are random bytes, not firmware: the image rule refuses them once the signature passed;
// tests/host/signed_update_test.cpp stages signed real images).
#include <gtest/gtest.h>

#include <cctype>
#include <fstream>
#include <iterator>
#include <string>

#include "core/boot/boot_command.h"
#include "core/crypto/digest.h"
#include "core/crypto/signature_verifier.h"
#include "tests/core/device_fixture.h"

namespace otakit {
namespace {

using testing::Device;
using testing::make_image;

std::vector<uint8_t> vector_file(const std::string& name) {
  std::ifstream in(std::string(OTAKIT_VECTORS_DIR) + "/signing/" + name, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

std::string message(Device& dev) { return dev.updater->error_message(); }

struct UpdaterTest : ::testing::Test {
  explicit UpdaterTest(const char* layout = "1M") : dev(layout) {}
  Device dev;
  std::vector<uint8_t> running = make_image(150000, 1);
  void SetUp() override {
    ASSERT_TRUE(dev.provision(running));
    dev.reboot();
  }
  void TearDown() override {
    EXPECT_TRUE(dev.runs(running)) << "a failed update must leave the running image as it was";
    EbootCommand cmd;
    if (dev.updater->has_error()) {
      EXPECT_NE(read_eboot_command(dev.rtc, &cmd), CommandStatus::valid) << "no boot command after a failure";
    }
  }
};

TEST_F(UpdaterTest, SizeZeroIsRefused) {
  EXPECT_FALSE(dev.updater->begin(0));
  EXPECT_EQ(dev.updater->error(), UpdateError::size);
  EXPECT_EQ(message(dev), "ERROR[5]: Bad Size Given: size 0");
}

TEST_F(UpdaterTest, ImageThatCannotFitIsRefusedAtBeginWithTheSizes) {
  EXPECT_FALSE(dev.updater->begin(600000));
  EXPECT_EQ(dev.updater->error(), UpdateError::space);
  EXPECT_EQ(message(dev).rfind("ERROR[4]: Not Enough Space: image needs 602112 bytes, at most 503808 fit", 0), 0u)
      << message(dev);
}

TEST_F(UpdaterTest, WrongMagicIsRefusedOnTheFirstByte) {
  auto image = make_image(8192, 2);
  image[0] = 0x00;
  ASSERT_TRUE(dev.updater->begin(8192));
  EXPECT_EQ(dev.updater->write(image.data(), 1460), 0u);
  EXPECT_EQ(message(dev), "ERROR[10]: Magic byte is not 0xE9");
  EXPECT_FALSE(dev.updater->is_running());
}

TEST_F(UpdaterTest, Md5OfWrongLengthOrNotHexIsRefused) {
  ASSERT_TRUE(dev.updater->begin(4096));
  EXPECT_FALSE(dev.updater->set_md5("abc"));
  EXPECT_EQ(dev.updater->error(), UpdateError::bad_md5_string);
  EXPECT_FALSE(dev.updater->set_md5("zz01546d8044c9e517147aa7a6e6b8f5"));
  dev.updater->abort();
}

std::string md5_of(const std::vector<uint8_t>& data, bool upper = false) {
  char hex[crypto::kMd5HexSize];
  crypto::md5_hex(data.data(), data.size(), hex);
  std::string text = hex;
  if (upper)
    for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

TEST_F(UpdaterTest, WrongMd5FailsAtEndWithBothDigests) {
  auto image = vector_file("fw_4096.bin");
  ASSERT_TRUE(dev.updater->begin(4096));
  ASSERT_TRUE(dev.updater->set_md5("00000000000000000000000000000000"));
  ASSERT_EQ(dev.updater->write(image.data(), 4096), 4096u);
  EXPECT_FALSE(dev.updater->end());
  EXPECT_EQ(message(dev),
            "ERROR[7]: MD5 verification failed: expected: 00000000000000000000000000000000, calculated: "
            "da01546d8044c9e517147aa7a6e6b8f5");
}

TEST_F(UpdaterTest, UppercaseMd5IsAccepted) {
  auto image = make_image(4096, 7);
  ASSERT_TRUE(dev.updater->begin(4096));
  ASSERT_TRUE(dev.updater->set_md5(md5_of(image, true).c_str()));
  ASSERT_EQ(dev.updater->write(image.data(), 4096), 4096u);
  EXPECT_TRUE(dev.updater->end()) << message(dev);
  EXPECT_EQ(dev.updater->md5_hex(), md5_of(image));
  dev.power_cycle();  // drop the staged command so TearDown sees the old image
}

TEST_F(UpdaterTest, PrematureEndSaysHowMuchArrived) {
  auto image = make_image(10000, 3);
  ASSERT_TRUE(dev.updater->begin(10000));
  ASSERT_EQ(dev.updater->write(image.data(), 5000), 5000u);
  EXPECT_FALSE(dev.updater->end());
  EXPECT_EQ(message(dev), "ERROR[17]: Update ended before all data arrived: received 5000 of 10000 bytes");
}

TEST_F(UpdaterTest, MoreBytesThanAnnouncedIsAnError) {
  auto image = make_image(6000, 4);
  ASSERT_TRUE(dev.updater->begin(5000));
  EXPECT_EQ(dev.updater->write(image.data(), 2048), 2048u);
  EXPECT_EQ(dev.updater->write(image.data() + 2048, 2048), 2048u);
  EXPECT_EQ(dev.updater->write(image.data() + 4096, 2048), 0u);  // the original's issue #4674 case
  EXPECT_EQ(dev.updater->error(), UpdateError::too_much_data);
}

TEST_F(UpdaterTest, NoDataIsAnError) {
  ASSERT_TRUE(dev.updater->begin(4096));
  EXPECT_FALSE(dev.updater->end());
  EXPECT_EQ(message(dev), "ERROR[13]: No data supplied");
}

TEST_F(UpdaterTest, WriteAfterEndAndEndTwiceAreErrors) {
  auto image = make_image(4096, 5);
  ASSERT_TRUE(dev.updater->begin(4096));
  ASSERT_EQ(dev.updater->write(image.data(), 4096), 4096u);
  ASSERT_TRUE(dev.updater->end());
  EXPECT_EQ(dev.updater->write(image.data(), 1), 0u);
  EXPECT_EQ(dev.updater->error(), UpdateError::not_running);
  EXPECT_FALSE(dev.updater->end());
  dev.power_cycle();
}

TEST_F(UpdaterTest, BeginTwiceKeepsTheFirstUpdate) {
  auto image = make_image(4096, 6);
  ASSERT_TRUE(dev.updater->begin(4096));
  EXPECT_FALSE(dev.updater->begin(4096));
  EXPECT_EQ(dev.updater->error(), UpdateError::running_already);
  EXPECT_TRUE(dev.updater->is_running());
  dev.updater->clear_error();
  EXPECT_EQ(dev.updater->write(image.data(), 4096), 4096u);
  EXPECT_TRUE(dev.updater->end()) << message(dev);
  dev.power_cycle();
}

TEST_F(UpdaterTest, HooksFireOnceEach) {
  struct Counts {
    int start = 0, end_ok = 0, end_fail = 0, error = 0, progress = 0;
    uint32_t last_done = 0;
  } c;
  UpdaterHooks hooks;
  hooks.ctx = &c;
  hooks.on_start = [](void* p) { ++static_cast<Counts*>(p)->start; };
  hooks.on_end = [](void* p, bool ok) { ++(ok ? static_cast<Counts*>(p)->end_ok : static_cast<Counts*>(p)->end_fail); };
  hooks.on_error = [](void* p, UpdateError) { ++static_cast<Counts*>(p)->error; };
  hooks.on_progress = [](void* p, uint32_t done, uint32_t) {
    ++static_cast<Counts*>(p)->progress;
    static_cast<Counts*>(p)->last_done = done;
  };
  dev.updater->set_hooks(hooks);
  auto image = make_image(10000, 7);
  ASSERT_TRUE(dev.stage(image));
  EXPECT_EQ(c.start, 1);
  EXPECT_EQ(c.end_ok, 1);
  EXPECT_EQ(c.end_fail, 0);
  EXPECT_EQ(c.error, 0);
  EXPECT_EQ(c.last_done, 10000u);
  EXPECT_EQ(c.progress, 1 + 7);  // (0, size) at begin, then one per 1460-byte write
  ASSERT_TRUE(dev.updater->begin(10000));
  dev.updater->abort();
  EXPECT_EQ(c.end_fail, 1);
  EXPECT_EQ(c.error, 1);
  dev.power_cycle();
}

TEST_F(UpdaterTest, FilesystemImageGoesToTheFilesystemRegion) {
  // Layout 1M has no filesystem.
  EXPECT_FALSE(dev.updater->begin(4096, UpdateCommand::filesystem));
  EXPECT_EQ(message(dev).rfind("ERROR[4]: Not Enough Space: filesystem image needs 4096 bytes, layout 1M has a "
                               "filesystem of 0", 0), 0u) << message(dev);
}

TEST(UpdaterFilesystem, WritesTheFsRegionWithoutABootCommand) {
  Device dev("1M64");
  auto running = make_image(100000, 1);
  ASSERT_TRUE(dev.provision(running));
  dev.reboot();
  std::vector<uint8_t> fs(20000, 0x5A);
  ASSERT_TRUE(dev.stage(fs, UpdateCommand::filesystem)) << dev.updater->error_message();
  EXPECT_EQ(0, std::memcmp(dev.flash.bytes().data() + dev.layout.fs_start, fs.data(), fs.size()));
  EbootCommand cmd;
  EXPECT_NE(read_eboot_command(dev.rtc, &cmd), CommandStatus::valid);
  EXPECT_TRUE(dev.runs(running));
}

// The signing vectors declare a 2 MiB flash in their header: a 4 MiB board takes them.
struct SignedUpdaterTest : UpdaterTest {
  SignedUpdaterTest() : UpdaterTest("4M1M") {}
  crypto::RsaPublicKey key;
  std::unique_ptr<crypto::RsaSha256Verifier> verifier;
  void SetUp() override {
    UpdaterTest::SetUp();
    auto pem = vector_file("public.key");
    ASSERT_EQ(key.load(pem.data(), pem.size()), crypto::KeyError::ok);
    verifier = std::make_unique<crypto::RsaSha256Verifier>(key, crypto::RsaPadding::pkcs1_sha256);
    dev.updater->set_verifier(verifier.get());
  }
};

// The signature passes, then the image rule looks at the payload it covers: random bytes.
TEST_F(SignedUpdaterTest, SignedVectorPassesItsSignatureThenFailsTheImageRule) {
  auto image = vector_file("fw_300001.bin.signed");
  EXPECT_FALSE(dev.stage(image));
  EXPECT_EQ(dev.updater->error(), UpdateError::bad_image) << message(dev);
  EXPECT_NE(message(dev).find("218 segments"), std::string::npos) << message(dev);
}

TEST_F(SignedUpdaterTest, UnsignedImageIsRefused) {
  EXPECT_FALSE(dev.stage(vector_file("fw_4096.bin")));
  EXPECT_EQ(dev.updater->error(), UpdateError::sign);
  EXPECT_NE(message(dev).find("not signed"), std::string::npos) << message(dev);
}

TEST_F(SignedUpdaterTest, LegacySignatureIsRefusedByACurrentDevice) {
  EXPECT_FALSE(dev.stage(vector_file("fw_4096.bin.legacy_sig")));
  EXPECT_EQ(message(dev), "ERROR[12]: Signature verification failed: signature does not match the image and key");
}

TEST_F(SignedUpdaterTest, TamperedByteIsRefused) {
  auto image = vector_file("fw_4096.bin.signed");
  image[1000] ^= 0x40;
  EXPECT_FALSE(dev.stage(image));
  EXPECT_EQ(dev.updater->error(), UpdateError::sign);
}

TEST_F(SignedUpdaterTest, WrongMd5IsCaughtEvenWhenSigned) {
  auto image = vector_file("fw_4096.bin.signed");
  ASSERT_TRUE(dev.updater->begin(uint32_t(image.size())));
  ASSERT_TRUE(dev.updater->set_md5("ffffffffffffffffffffffffffffffff"));
  ASSERT_EQ(dev.updater->write(image.data(), uint32_t(image.size())), image.size());
  EXPECT_FALSE(dev.updater->end());
  EXPECT_EQ(dev.updater->error(), UpdateError::md5) << "the original skips MD5 when signing is on";
}

TEST_F(SignedUpdaterTest, LegacyDeviceAcceptsLegacyAndRefusesCurrent) {
  crypto::RsaSha256Verifier legacy(key, crypto::RsaPadding::legacy_bare);
  dev.updater->set_verifier(&legacy);
  EXPECT_FALSE(dev.stage(vector_file("fw_4096.bin.signed")));
  EXPECT_EQ(dev.updater->error(), UpdateError::sign);
  EXPECT_FALSE(dev.stage(vector_file("fw_4096.bin.legacy_sig")));
  EXPECT_EQ(dev.updater->error(), UpdateError::bad_image) << "past the signature, at the image rule: " << message(dev);
}

TEST_F(UpdaterTest, ImageDeclaringALargerFlashThanTheChipIsRefused) {
  EXPECT_FALSE(dev.stage(make_image(300001, 5, 0, 3)));  // size code 3: 2 MiB
  EXPECT_EQ(message(dev).rfind("ERROR[9]: new Flash config wrong: real size: 1048576", 0), 0u) << message(dev);
}

TEST_F(UpdaterTest, SignedImageOnADeviceWithoutKeyIsAcceptedAsTheOriginalDoes) {
  auto image = make_image(4096, 8);
  const uint8_t trailer[8] = {0xAA, 0xBB, 0xCC, 0xDD, 4, 0, 0, 0};  // a 4-byte "signature" and its length
  image.insert(image.end(), trailer, trailer + sizeof(trailer));
  EXPECT_TRUE(dev.stage(image)) << message(dev);
  dev.power_cycle();
}

TEST(FreeSketchSpace, MatchesTheOriginalRule) {
  EXPECT_EQ(free_sketch_space(*find_layout("4M1M"), 300000), 0x300000u - 0x4A000u);
  EXPECT_EQ(free_sketch_space(*find_layout("1M"), 4096), 0xFB000u - 0x1000u);
  EXPECT_EQ(free_sketch_space(*find_layout("512K"), 300001), 0x7B000u - 0x4A000u);
  EXPECT_EQ(free_sketch_space(*find_layout("1M512"), 1), 0x7B000u - 0x1000u);
  EXPECT_EQ(find_layout("nope"), nullptr);
}

}  // namespace
}  // namespace otakit
