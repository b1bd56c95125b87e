// The espota uploader over loopback: against our responder on a real Updater, against scripted
// devices that ack per chunk (ArduinoOTA) or in joined counts, and through every failure class;
// parallel uploads with a bound, and retries only where no data reached the device.
#include <gtest/gtest.h>

#include <future>

#include "net/espota_uploader.h"
#include "tests/host/espota_fake_device.h"

namespace otakit::test {
namespace {

using espota::UploadOutcome;
using net::EspotaImage;
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

EspotaUploadResult upload_one(const std::vector<uint8_t>& image, uint16_t port, const EspotaUploadOptions& options) {
  auto results = net::upload_all(EspotaImage::from(image), {EspotaTarget{"127.0.0.1", port}}, options);
  EXPECT_EQ(results.size(), 1u);
  return results.at(0);
}

TEST(EspotaUploader, StreamsIntoOurResponderAndTheImageBoots) {
  ResponderDevice device;
  auto image = testing::make_image(300001, 9);
  std::vector<net::EspotaProgress> progress;
  auto results = net::upload_all(EspotaImage::from(image), {EspotaTarget{"127.0.0.1", device.port}}, quick_options(),
                                 [&](const net::EspotaProgress& p) { progress.push_back(p); });
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].outcome, UploadOutcome::ok) << results[0].message;
  EXPECT_EQ(results[0].sent, image.size());
  EXPECT_EQ(results[0].attempts, 1u);
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back().phase, net::EspotaPhase::done);
  EXPECT_EQ(progress.back().acked, image.size());
  ASSERT_TRUE(wait_until([&] { return device.reboots == 1; }));
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

TEST(EspotaUploader, DeviceClosingWithoutAResultEndsTheUpload) {
  FakeDeviceScript script;
  script.close_without_result = true;
  FakeDevice device(script);
  auto start = std::chrono::steady_clock::now();
  auto result = upload_one(testing::make_image(8000, 4), device.port(), quick_options());
  EXPECT_EQ(result.outcome, UploadOutcome::no_result);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2)) << "ends at the close, no timeout needed";
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
  boost::asio::io_context io;
  std::vector<EspotaUploadResult> results;
  net::async_upload_all(io, EspotaImage::from(image), {EspotaTarget{"127.0.0.1", device.port()}}, quick_options(), {},
                        [&](std::vector<EspotaUploadResult> r) { results = std::move(r); });
  while (!device.ready_to_fail()) io.poll();
  device.fail_now();
  io.run();
  ASSERT_EQ(results.size(), 1u);
  ASSERT_LT(results[0].sent, image.size()) << "the uploader had a write waiting when the device reset";
  EXPECT_EQ(results[0].outcome, UploadOutcome::device_rejected) << results[0].message;
  EXPECT_EQ(results[0].device_error, 1);
}

TEST(EspotaUploader, StalledDeviceTimesOut) {
  FakeDeviceScript script;
  script.stall_after = 3000;
  FakeDevice device(script);
  auto options = quick_options();
  options.timeout_ms = 500;
  options.result_timeout_ms = 800;
  auto start = std::chrono::steady_clock::now();
  auto result = upload_one(testing::make_image(100000, 4), device.port(), options);
  // The kernel buffers take the whole image, so the uploader waits for a result that never comes.
  EXPECT_TRUE(result.outcome == UploadOutcome::no_result || result.outcome == UploadOutcome::transfer_failed)
      << espota::describe(result.outcome);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
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
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // the device's penalty after a wrong password
  auto missing = upload_one(image, device.port, options);
  EXPECT_EQ(missing.outcome, UploadOutcome::auth_failed);
  EXPECT_EQ(missing.message, "Authentication Failed: the device needs a password (-a/--auth)");
  options.password = "admin";
  options.timeout_ms = 4000;  // the device challenges only after its 2 s penalty
  auto right = upload_one(image, device.port, options);
  EXPECT_EQ(right.outcome, UploadOutcome::ok) << right.message;
  EXPECT_TRUE(device.runs_after_reboot(image));
}

TEST(EspotaUploader, DeviceRejectionsCarryTheDeviceError) {
  ResponderDevice device;
  auto image = testing::make_image(20000, 6);
  EspotaImage wrong_md5 = EspotaImage::from(image);
  wrong_md5.md5 = "cc74f6752ba65a987165c65f9986040b";
  auto results = net::upload_all(wrong_md5, {EspotaTarget{"127.0.0.1", device.port}}, quick_options());
  EXPECT_EQ(results[0].outcome, UploadOutcome::device_rejected);
  EXPECT_EQ(results[0].device_error, 7);

  auto too_big = upload_one(testing::make_image(600000, 6), device.port, quick_options());
  EXPECT_EQ(too_big.outcome, UploadOutcome::device_rejected);
  EXPECT_EQ(too_big.device_error, 4);
  EXPECT_EQ(too_big.sent, 0u);
  EXPECT_TRUE(device.runs_after_reboot(device.running));
}

TEST(EspotaUploader, NoAnswerIsRetriedWithBackOffUntilTheDeviceAppears) {
  uint16_t port = free_udp_port();
  auto image = testing::make_image(20000, 8);
  auto options = quick_options();
  options.timeout_ms = 400;
  options.retries = 3;
  options.retry_delay_ms = 100;
  auto pending = std::async(std::launch::async, [&] { return upload_one(image, port, options); });
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  ResponderDevice device({}, "1M", port);
  auto result = pending.get();
  EXPECT_EQ(result.outcome, UploadOutcome::ok) << result.message;
  EXPECT_GE(result.attempts, 2u);
  EXPECT_TRUE(device.runs_after_reboot(image));
}

TEST(EspotaUploader, NoAnswerWithoutRetries) {
  auto options = quick_options();
  options.timeout_ms = 300;
  auto start = std::chrono::steady_clock::now();
  auto result = upload_one(testing::make_image(1000, 8), free_udp_port(), options);
  EXPECT_EQ(result.outcome, UploadOutcome::no_answer);
  EXPECT_EQ(result.attempts, 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
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
  std::vector<EspotaTarget> targets;
  for (int i = 0; i < 6; ++i) {
    devices.push_back(std::make_unique<ResponderDevice>());
    targets.push_back({"127.0.0.1", devices.back()->port});
  }
  targets.push_back({"localhost", devices[0]->port});  // names resolve; the same device is busy or done
  auto image = testing::make_image(100000, 10);
  auto options = quick_options();
  options.parallel = 3;
  std::atomic<int> active{0}, peak{0};
  std::vector<bool> seen(targets.size());
  auto results = net::upload_all(EspotaImage::from(image), targets, options, [&](const net::EspotaProgress& p) {
    if (p.phase == net::EspotaPhase::resolving && !seen[p.index]) {
      seen[p.index] = true;
      peak = std::max(peak.load(), ++active);
    }
    if (p.phase == net::EspotaPhase::done) --active;
  });
  ASSERT_EQ(results.size(), targets.size());
  for (int i = 0; i < 6; ++i) EXPECT_EQ(results[i].outcome, UploadOutcome::ok) << i << ": " << results[i].message;
  EXPECT_LE(peak, 3) << "never more than --parallel uploads at once";
  EXPECT_NE(results[6].outcome, UploadOutcome::local_error) << "localhost resolved: " << results[6].message;
  for (auto& d : devices) EXPECT_TRUE(d->runs_after_reboot(image));
}

TEST(EspotaUploader, FilesystemImageGoesToTheFilesystem) {
  ResponderDevice device({}, "2M1M");
  auto image = testing::make_image(50000, 11);
  auto options = quick_options();
  options.filesystem = true;
  auto result = upload_one(image, device.port, options);
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
