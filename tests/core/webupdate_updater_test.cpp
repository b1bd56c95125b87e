// What the Updater says reaches the client: its refusals with their status and text (through a
// fake sink for every kind, and through the real Updater on an emulated device for the md5
// field, the magic byte and the room), and an upload that fails leaves the running image booting.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/crypto/digest.h"
#include "core/updater/update_sink.h"
#include "tests/core/device_fixture.h"
#include "tests/core/webupdate_support.h"

namespace otakit::webupdate {
namespace {

using namespace testing;

struct Refusal {
  const char* begin_error;
  const char* end_error;
  int status;
};

TEST(WebUpdateUpdater, RefusalsCarryTheUpdatersTextAndTheirStatus) {
  const Refusal refusals[] = {
      {"ERROR[4]: Not Enough Space", "", 413},
      {"ERROR[15]: Update already running", "", 409},
      {"ERROR[20]: The running image is on trial", "", 409},
      {"ERROR[19]: MD5 must be 32 hex digits", "", 422},
      {"", "ERROR[10]: Magic byte is not 0xE9", 422},
      {"", "ERROR[12]: Signature verification failed", 422},
      {"", "ERROR[21]: Downgrade refused", 422},
      {"", "ERROR[2]: Flash Erase Failed", 500},
  };
  for (const Refusal& refusal : refusals) {
    Harness h;
    h.sink.begin_error = refusal.begin_error;
    h.sink.end_error = refusal.end_error;
    const std::string text = std::string(refusal.begin_error) + refusal.end_error;
    const uint8_t c = h.accept();
    h.send(c, post(firmware_form("image")));
    const Reply reply = h.only_reply(c);
    EXPECT_EQ(reply.status, refusal.status) << text;
    EXPECT_EQ(reply.body, "Update error: " + text + "\n");
    EXPECT_TRUE(h.closed(c));
    EXPECT_EQ(h.count(ServerAction::reboot), 0) << text;
    const Seen* finished = h.last(ServerAction::finished);
    ASSERT_NE(finished, nullptr) << text;
    EXPECT_FALSE(finished->success);
    EXPECT_EQ(finished->data, "Update error: " + text);
  }
}

TEST(WebUpdateUpdater, WriteFailureIs500AndTheRestOfTheBodyIsReadBeforeTheAnswer) {
  Harness h;
  h.sink.write_limit = 100;
  const std::string request = post(firmware_form(std::string(3000, 'w')));
  const uint8_t c = h.accept();
  h.send(c, request.substr(0, 1500));
  EXPECT_EQ(h.sent(c), "") << "the answer waits for the body's end";
  EXPECT_EQ(h.sink.aborts, 1) << "but the update is dropped at once";
  h.send(c, request.substr(1500));
  const Reply reply = h.only_reply(c);
  EXPECT_EQ(reply.status, 500);
  EXPECT_EQ(reply.body, "Update error: ERROR[1]: Flash Write Failed\n");
  EXPECT_EQ(h.sink.written.size(), 100u);
  EXPECT_EQ(h.sink.ends_at_received, 0);
}

// The real Updater on a device in memory, which boots what was staged.
struct WebUpdateOnDevice : ::testing::Test {
  otakit::testing::Device dev;
  std::vector<uint8_t> running = otakit::testing::make_image(150000, 1);
  std::vector<uint8_t> image = otakit::testing::make_image(20000, 9);
  void SetUp() override {
    ASSERT_TRUE(dev.provision(running));
    dev.reboot();
  }
  std::string image_text() const { return std::string(image.begin(), image.end()); }
  std::string image_md5() const {
    char hex[crypto::kMd5HexSize];
    crypto::md5_hex(image.data(), image.size(), hex);
    return hex;
  }
  // Uploads form in 1460-byte reads through the real Updater; room is the free space reported.
  Reply upload(const std::string& form_body, uint32_t room = 200000) {
    UpdaterSink sink(*dev.updater);
    Harness h(ServerConfig{}, sink);
    h.status.status.free_space = room;
    const uint8_t c = h.accept();
    h.send(c, post(form_body), 0, 1460);
    rebooted = h.count(ServerAction::reboot) == 1;
    return h.only_reply(c);
  }
  bool rebooted = false;
};

TEST_F(WebUpdateOnDevice, RightMd5FieldStagesTheImageThatThenBoots) {
  const Reply reply = upload(form({{"md5", image_md5()}, {"firmware", image_text(), "fw.bin"}}));
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_TRUE(rebooted);
  dev.reboot();
  EXPECT_TRUE(dev.runs(image));
}

TEST_F(WebUpdateOnDevice, WrongMd5FieldIs422WithTheUpdatersTextAndKeepsTheRunningImage) {
  const std::string wrong = "00112233445566778899aabbccddeeff";
  const Reply reply = upload(form({{"md5", wrong}, {"firmware", image_text(), "fw.bin"}}));
  EXPECT_EQ(reply.status, 422);
  EXPECT_EQ(reply.body,
            "Update error: ERROR[7]: MD5 verification failed: expected: " + wrong + ", calculated: " + image_md5() + "\n");
  EXPECT_FALSE(rebooted);
  dev.reboot();
  EXPECT_TRUE(dev.runs(running));
}

TEST_F(WebUpdateOnDevice, BadMagicByteIs422) {
  image[0] = 0x00;
  const Reply reply = upload(form({{"firmware", image_text(), "fw.bin"}}));
  EXPECT_EQ(reply.status, 422);
  EXPECT_EQ(reply.body, "Update error: ERROR[10]: Magic byte is not 0xE9\n");
  dev.reboot();
  EXPECT_TRUE(dev.runs(running));
}

TEST_F(WebUpdateOnDevice, FileLargerThanTheRoomIs413) {
  const Reply reply = upload(form({{"firmware", image_text(), "fw.bin"}}), 8192);
  EXPECT_EQ(reply.status, 413);
  EXPECT_EQ(reply.body.rfind("Update error: ERROR[18]: More data than the announced size: announced 8192 bytes", 0), 0u)
      << reply.body;
  dev.reboot();
  EXPECT_TRUE(dev.runs(running));
}

// The whole file arrived and its part ended, but the form did not: nothing may be staged.
TEST_F(WebUpdateOnDevice, FormCutBeforeTheClosingBoundaryKeepsTheRunningImage) {
  const std::string whole = form({{"firmware", image_text(), "fw.bin"}});
  const Reply reply = upload(whole.substr(0, whole.size() - 4));
  EXPECT_EQ(reply.status, 400);
  EXPECT_FALSE(rebooted);
  dev.reboot();
  EXPECT_TRUE(dev.runs(running));
}

TEST_F(WebUpdateOnDevice, UploadBrokenOffKeepsTheRunningImage) {
  const std::string request = post(form({{"firmware", image_text(), "fw.bin"}}));
  for (size_t keep : {size_t(5000), request.size() - 4}) {  // inside the file, and after its part ended
    UpdaterSink sink(*dev.updater);
    Harness h(ServerConfig{}, sink);
    h.status.status.free_space = 200000;
    const uint8_t c = h.accept();
    h.send(c, request.substr(0, keep), 0, 1460);
    h.peer_closed(c);
    EXPECT_FALSE(dev.updater->is_running()) << keep;
    EXPECT_EQ(h.count(ServerAction::reboot), 0);
    dev.reboot();
    EXPECT_TRUE(dev.runs(running)) << keep;
  }
}

}  // namespace
}  // namespace otakit::webupdate
