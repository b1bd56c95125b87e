// The espota uploader over loopback: against our responder on a real Updater, against scripted
// devices that ack per chunk (ArduinoOTA) or in joined counts, and through every failure class;
// parallel uploads with a bound, and retries only where no data reached the device. The uploader
// runs on this thread on a ManualClock: its timeouts fire only where a test moves its time.
#include <gtest/gtest.h>

#include <optional>

#include "net/espota_uploader.h"
#include "tests/host/espota_fake_device.h"

namespace otakit::test {
namespace {

using espota::DeviceState;
using espota::UploadOutcome;
using net::EspotaImage;
using net::EspotaPhase;
using net::EspotaTarget;
using net::EspotaUploadOptions;
using net::EspotaUploadResult;

EspotaUploadOptions quick_options() {
  EspotaUploadOptions options;
  options.host_ip = "127.0.0.1";
  options.timeout_ms = 1500;
  options.result_timeout_ms = 3000;
  options.retries = 0;
  return options;
}

// The uploads under test, on this thread: their own io_context and a clock that stands still
// unless the test advances it, so no timeout can fire because the machine is slow.
class Uploads {
 public:
  struct Seen {
    uint32_t at_ms;  // on the uploads' clock
    net::EspotaProgress progress;
  };

  void start(const EspotaImage& image, std::vector<EspotaTarget> targets, const EspotaUploadOptions& options) {
    net::async_upload_all(
        io, clock, image, std::move(targets), options,
        [this](const net::EspotaProgress& p) { seen.push_back({clock.now_ms(), p}); },
        [this](std::vector<EspotaUploadResult> r) { results = std::move(r); });
  }

  // Runs the io_context until condition() holds: bytes on loopback take real time to arrive.
  // False after the failsafe, or at once when nothing is left to run (what the condition waits
  // for then needs the clock to move).
  bool run_until(const std::function<bool()>& condition) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(kFailsafeMs);
    while (!condition()) {
      if (std::chrono::steady_clock::now() > give_up) return false;
      io.restart();
      if (io.run_one_for(std::chrono::milliseconds(1)) == 0 && io.stopped()) return condition();
    }
    return true;
  }

  // Runs what is ready now, without waiting.
  void settle() {
    io.restart();
    io.poll();
  }

  // Moves the uploads' clock (the timers that fall due run in this call), then runs what that
  // made ready.
  void advance(uint32_t ms) {
    clock.advance(ms);
    settle();
  }

  bool done() const { return results.has_value(); }

  // Runs until every upload has ended. Our devices hold each result for result_delay_ms on
  // their own clocks: that wait is let pass whenever one holds a result, once what the uploads
  // have ready has run, as it would within those 50 ms.
  std::vector<EspotaUploadResult> finish(const std::vector<ResponderDevice*>& devices = {}) {
    bool ended = run_until([&] {
      settle();
      for (ResponderDevice* device : devices) device->release_result();
      return done();
    });
    EXPECT_TRUE(ended) << "the uploads did not end";
    return results.value_or(std::vector<EspotaUploadResult>{});
  }

  const net::EspotaProgress& last() const { return seen.back().progress; }

  boost::asio::io_context io;
  net::ManualClock clock;  // after io: see ManualClock
  std::vector<Seen> seen;
  std::optional<std::vector<EspotaUploadResult>> results;
};

EspotaUploadResult upload_one(const std::vector<uint8_t>& image, uint16_t port, const EspotaUploadOptions& options,
                              ResponderDevice* device = nullptr) {
  Uploads uploads;
  uploads.start(EspotaImage::from(image), {EspotaTarget{"127.0.0.1", port}}, options);
  auto results = uploads.finish(device ? std::vector<ResponderDevice*>{device} : std::vector<ResponderDevice*>{});
  EXPECT_EQ(results.size(), 1u);
  return results.at(0);
}

TEST(EspotaUploader, StreamsIntoOurResponderAndTheImageBoots) {
  ResponderDevice device;
  auto image = testing::make_image(300001, 9);
  Uploads uploads;
  uploads.start(EspotaImage::from(image), {EspotaTarget{"127.0.0.1", device.port}}, quick_options());
  auto results = uploads.finish({&device});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].outcome, UploadOutcome::ok) << results[0].message;
  EXPECT_EQ(results[0].sent, image.size());
  EXPECT_EQ(results[0].attempts, 1u);
  ASSERT_FALSE(uploads.seen.empty());
  EXPECT_EQ(uploads.last().phase, EspotaPhase::done);
  EXPECT_EQ(uploads.last().acked, image.size());
  ASSERT_TRUE(device.wait_for([&] { return device.reboots == 1; }));
  EXPECT_TRUE(device.runs_after_reboot(image));
}

TEST(EspotaUploader, StopAndWaitKeepsOneChunkInFlight) {
  FakeDevice device(FakeDeviceScript{});
  auto image = testing::make_image(30000, 3);
  auto options = quick_options();
  options.stop_and_wait = true;
  auto result = upload_one(image, device.port(), options);
  EXPECT_EQ(result.outcome, UploadOutcome::ok) << result.message;
  EXPECT_EQ(device.received(), image.size());
  EXPECT_LE(device.max_unacked(), 1460u) << "espota.py pacing: the next chunk only after an ack";
}

TEST(EspotaUploader, StreamingDoesNotWaitForAcks) {
  FakeDevice device(FakeDeviceScript{});
  auto image = testing::make_image(300000, 3);
  auto result = upload_one(image, device.port(), quick_options());
  EXPECT_EQ(result.outcome, UploadOutcome::ok) << result.message;
  EXPECT_GT(device.max_unacked(), 1460u) << "more than one chunk was on the way before the first ack";
}

TEST(EspotaUploader, DeviceThatJoinsItsAcks) {
  FakeDeviceScript script;
  script.joined_acks = true;
  FakeDevice device(script);
  auto image = testing::make_image(200000, 4);
  auto result = upload_one(image, device.port(), quick_options());
  EXPECT_EQ(result.outcome, UploadOutcome::ok) << result.message;
  EXPECT_EQ(device.received(), image.size());
}

TEST(EspotaUploader, ErrorMergedWithTheLastAckIsStillAnError) {  // espota.py hangs on this
  FakeDeviceScript script;
  script.result = "ERROR[7]: MD5 verification failed: expected: a, calculated: b\n";
  script.result_with_last_ack = true;
  FakeDevice device(script);
  auto result = upload_one(testing::make_image(4096, 4), device.port(), quick_options());
  EXPECT_EQ(result.outcome, UploadOutcome::device_rejected);
  EXPECT_EQ(result.device_error, 7);
  EXPECT_EQ(result.message, "the device rejected the image: ERROR[7]: MD5 verification failed: expected: a, calculated: b");
}

// The uploads' clock never moves here, so no timeout can have ended the upload: the close did.
TEST(EspotaUploader, DeviceClosingWithoutAResultEndsTheUpload) {
  FakeDeviceScript script;
  script.close_without_result = true;
  FakeDevice device(script);
  auto result = upload_one(testing::make_image(8000, 4), device.port(), quick_options());
  EXPECT_EQ(result.outcome, UploadOutcome::no_result);
  EXPECT_EQ(result.message, "the device closed the connection without sending OK or ERROR");
  EXPECT_EQ(result.seconds, 0.0);
}

// The device refuses mid-image and resets the connection while the uploader still has a write
// waiting. The uploader does not run meanwhile (the test holds its io_context), so the failed
// write and the device's last bytes reach it in one wake-up, and Asio completes the write first:
// what the device said must still decide the outcome.
TEST(EspotaUploader, WhatTheDeviceSaidBeforeAResetWinsOverTheFailedWrite) {
  FakeDeviceScript script;
  script.reset_after = 100000;
  script.result = "ERROR[1]: Flash Write Failed\n";
  FakeDevice device(script);
  auto image = testing::make_image(8u << 20, 7);  // far more than the socket buffers hold
  Uploads uploads;
  uploads.start(EspotaImage::from(image), {EspotaTarget{"127.0.0.1", device.port()}}, quick_options());
  ASSERT_TRUE(uploads.run_until([&] { return device.ready_to_fail(); }));
  device.fail_now();
  auto results = uploads.finish();
  ASSERT_EQ(results.size(), 1u);
  ASSERT_LT(results[0].sent, image.size()) << "the uploader had a write waiting when the device reset";
  EXPECT_EQ(results[0].outcome, UploadOutcome::device_rejected) << results[0].message;
  EXPECT_EQ(results[0].device_error, 1);
}

// The device reads three chunks, acks them and stops reading; the whole image fits in the
// socket buffers, so the uploader has sent it all and waits for the result: exactly
// result_timeout_ms after the last thing it heard (all at time 0 here).
TEST(EspotaUploader, StalledDeviceTimesOut) {
  FakeDeviceScript script;
  script.stall_after = 3000;
  FakeDevice device(script);
  auto options = quick_options();
  options.timeout_ms = 500;
  options.result_timeout_ms = 800;
  auto image = testing::make_image(20000, 4);
  Uploads uploads;
  uploads.start(EspotaImage::from(image), {EspotaTarget{"127.0.0.1", device.port()}}, options);
  ASSERT_TRUE(uploads.run_until([&] { return device.stalled() && uploads.last().sent == image.size(); }));
  uploads.settle();  // the device's acks, in our socket already
  EXPECT_EQ(uploads.last().phase, EspotaPhase::verifying);
  uploads.advance(799);
  EXPECT_FALSE(uploads.done()) << "still waiting at +799 ms";
  uploads.advance(1);
  auto results = uploads.finish();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].outcome, UploadOutcome::no_result) << espota::describe(results[0].outcome);
  EXPECT_EQ(results[0].message, "no result from the device within 800 ms after the last byte");
  EXPECT_DOUBLE_EQ(results[0].seconds, 0.8) << "elapsed on the uploads' clock";
}

TEST(EspotaUploader, OkBeforeTheLastByteIsNotSuccess) {
  FakeDeviceScript script;
  script.ok_early = true;
  FakeDevice device(script);
  auto options = quick_options();
  options.stop_and_wait = true;
  auto result = upload_one(testing::make_image(30000, 4), device.port(), options);
  EXPECT_EQ(result.outcome, UploadOutcome::protocol_error);
}

// A wrong password holds that host's next challenge for 1 s, a second one for 2 s, on the
// device's clock; the uploader's clock stands still meanwhile, so it waits as long as it takes.
TEST(EspotaUploader, PasswordRightWrongAndMissing) {
  net::EspotaResponderOptions responder_options;
  responder_options.password = "admin";
  ResponderDevice device(responder_options);
  auto image = testing::make_image(20000, 5);
  auto options = quick_options();
  options.password = "wrong";
  auto wrong = upload_one(image, device.port, options);
  EXPECT_EQ(wrong.outcome, UploadOutcome::auth_failed);
  EXPECT_EQ(wrong.message, "Authentication Failed: wrong password");

  options.password = "";
  Uploads missing;
  missing.start(EspotaImage::from(image), {EspotaTarget{"127.0.0.1", device.port}}, options);
  ASSERT_TRUE(missing.run_until([&] { return device.state() == DeviceState::auth_delayed; }));
  device.advance(999);
  EXPECT_EQ(device.state(), DeviceState::auth_delayed) << "no challenge at +999 ms";
  device.advance(1);
  EXPECT_EQ(device.state(), DeviceState::waiting_auth) << "the challenge goes out at +1000 ms";
  auto missing_result = missing.finish().at(0);
  EXPECT_EQ(missing_result.outcome, UploadOutcome::auth_failed);
  EXPECT_EQ(missing_result.message, "Authentication Failed: the device needs a password (-a/--auth)");

  options.password = "admin";
  Uploads right;
  right.start(EspotaImage::from(image), {EspotaTarget{"127.0.0.1", device.port}}, options);
  ASSERT_TRUE(right.run_until([&] { return device.state() == DeviceState::auth_delayed; }));
  device.advance(1999);
  EXPECT_EQ(device.state(), DeviceState::auth_delayed) << "a second failure doubles the wait: none at +1999 ms";
  device.advance(1);
  auto right_result = right.finish({&device}).at(0);
  EXPECT_EQ(right_result.outcome, UploadOutcome::ok) << right_result.message;
  EXPECT_TRUE(device.runs_after_reboot(image));
}

TEST(EspotaUploader, DeviceRejectionsCarryTheDeviceError) {
  ResponderDevice device;
  auto image = testing::make_image(20000, 6);
  EspotaImage wrong_md5 = EspotaImage::from(image);
  wrong_md5.md5 = "cc74f6752ba65a987165c65f9986040b";
  Uploads uploads;
  uploads.start(wrong_md5, {EspotaTarget{"127.0.0.1", device.port}}, quick_options());
  auto results = uploads.finish({&device});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].outcome, UploadOutcome::device_rejected);
  EXPECT_EQ(results[0].device_error, 7);

  auto too_big = upload_one(testing::make_image(600000, 6), device.port, quick_options());
  EXPECT_EQ(too_big.outcome, UploadOutcome::device_rejected);
  EXPECT_EQ(too_big.device_error, 4);
  EXPECT_EQ(too_big.sent, 0u);
  EXPECT_TRUE(device.runs_after_reboot(device.running));
}

// No answer within 400 ms, then retries after 100 and 200 ms: attempts start at 0, 500 and
// 1100 ms. The device comes up between the second and the third.
TEST(EspotaUploader, NoAnswerIsRetriedWithBackOffUntilTheDeviceAppears) {
  uint16_t port = free_udp_port();
  auto image = testing::make_image(20000, 8);
  auto options = quick_options();
  options.timeout_ms = 400;
  options.retries = 3;
  options.retry_delay_ms = 100;
  Uploads uploads;
  uploads.start(EspotaImage::from(image), {EspotaTarget{"127.0.0.1", port}}, options);
  auto started_at = [&] {
    std::vector<uint32_t> at;
    for (const auto& s : uploads.seen)
      if (s.progress.phase == EspotaPhase::resolving) at.push_back(s.at_ms);
    return at;
  };
  uploads.advance(399);
  EXPECT_EQ(uploads.last().phase, EspotaPhase::inviting) << "the first attempt still waits at +399 ms";
  uploads.advance(1);
  EXPECT_EQ(uploads.last().phase, EspotaPhase::done);
  uploads.advance(99);
  EXPECT_EQ(started_at(), std::vector<uint32_t>{0}) << "no second attempt before the 100 ms delay";
  uploads.advance(1);
  EXPECT_EQ(started_at(), (std::vector<uint32_t>{0, 500}));
  uploads.advance(400);  // the second attempt gives up at 900; the next waits 200 ms
  ResponderDevice device({}, "1M", port);
  uploads.advance(199);
  EXPECT_EQ(started_at().size(), 2u);
  uploads.advance(1);
  EXPECT_EQ(started_at(), (std::vector<uint32_t>{0, 500, 1100}));
  auto results = uploads.finish({&device});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].outcome, UploadOutcome::ok) << results[0].message;
  EXPECT_EQ(results[0].attempts, 3u);
  EXPECT_DOUBLE_EQ(results[0].seconds, 1.1) << "from the first attempt, on the uploads' clock";
  EXPECT_TRUE(device.runs_after_reboot(image));
}

TEST(EspotaUploader, NoAnswerWithoutRetries) {
  auto options = quick_options();
  options.timeout_ms = 300;
  Uploads uploads;
  uploads.start(EspotaImage::from(testing::make_image(1000, 8)), {EspotaTarget{"127.0.0.1", free_udp_port()}},
                options);
  uploads.advance(299);
  EXPECT_FALSE(uploads.done()) << "still inviting at +299 ms";
  uploads.advance(1);
  ASSERT_TRUE(uploads.done()) << "given up at +300 ms";
  ASSERT_EQ(uploads.results->size(), 1u);
  const EspotaUploadResult& result = uploads.results->at(0);
  EXPECT_EQ(result.outcome, UploadOutcome::no_answer);
  EXPECT_EQ(result.attempts, 1u);
  EXPECT_DOUBLE_EQ(result.seconds, 0.3);
}

TEST(EspotaUploader, BusyDeviceIsReported) {
  ResponderDevice device;
  RawUdp first;
  RawListener listener;
  first.send_to(device.port, invitation(listener.port(), 4096, "da01546d8044c9e517147aa7a6e6b8f5"));
  ASSERT_EQ(first.receive(), "OK");
  int fd = listener.accept();
  ASSERT_GE(fd, 0);
  auto result = upload_one(testing::make_image(4096, 8), device.port, quick_options());
  EXPECT_EQ(result.outcome, UploadOutcome::device_busy);
  EXPECT_EQ(result.device_error, 15);
  ::close(fd);
}

TEST(EspotaUploader, ManyDevicesInParallelWithABound) {
  std::vector<std::unique_ptr<ResponderDevice>> devices;
  std::vector<ResponderDevice*> holding;
  std::vector<EspotaTarget> targets;
  for (int i = 0; i < 6; ++i) {
    devices.push_back(std::make_unique<ResponderDevice>());
    holding.push_back(devices.back().get());
    targets.push_back({"127.0.0.1", devices.back()->port});
  }
  targets.push_back({"localhost", devices[0]->port});  // names resolve; the same device is busy or done
  auto image = testing::make_image(100000, 10);
  auto options = quick_options();
  options.parallel = 3;
  Uploads uploads;
  uploads.start(EspotaImage::from(image), targets, options);
  auto results = uploads.finish(holding);
  ASSERT_EQ(results.size(), targets.size());
  for (int i = 0; i < 6; ++i) EXPECT_EQ(results[i].outcome, UploadOutcome::ok) << i << ": " << results[i].message;
  int active = 0, peak = 0;
  std::vector<bool> started(targets.size());
  for (const auto& s : uploads.seen) {
    if (s.progress.phase == EspotaPhase::resolving && !started[s.progress.index]) {
      started[s.progress.index] = true;
      peak = std::max(peak, ++active);
    }
    if (s.progress.phase == EspotaPhase::done) --active;
  }
  EXPECT_EQ(peak, 3) << "never more than --parallel uploads at once";
  EXPECT_NE(results[6].outcome, UploadOutcome::local_error) << "localhost resolved: " << results[6].message;
  for (auto& d : devices) EXPECT_TRUE(d->runs_after_reboot(image));
}

TEST(EspotaUploader, FilesystemImageGoesToTheFilesystem) {
  ResponderDevice device({}, "2M1M");
  auto image = testing::make_image(50000, 11);
  auto options = quick_options();
  options.filesystem = true;
  auto result = upload_one(image, device.port, options, &device);
  ASSERT_EQ(result.outcome, UploadOutcome::ok) << result.message;
  device.stop();
  const auto& flash = device.dev.flash.bytes();
  EXPECT_TRUE(std::equal(image.begin(), image.end(), flash.begin() + device.dev.layout.fs_start));
}

TEST(EspotaUploader, ListenFailureIsLocal) {
  auto options = quick_options();
  options.host_ip = "192.0.2.1";  // TEST-NET: not an address of this host
  auto result = upload_one(testing::make_image(1000, 8), 8266, options);
  EXPECT_EQ(result.outcome, UploadOutcome::local_error);
  EXPECT_EQ(result.message.rfind("Listen Failed", 0), 0u) << result.message;
}

}  // namespace
}  // namespace otakit::test
