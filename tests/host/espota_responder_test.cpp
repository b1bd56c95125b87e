// The espota responder on real loopback sockets, feeding the real Updater on in-memory flash,
// driven by a hand-played uploader: exact wire bytes, every failure path, the old image still
// running after each failure, and its timing on a clock the test moves: what waits for a deadline
// is checked just before it and at it.
#include <gtest/gtest.h>

#include "core/espota/auth.h"
#include "net/log_sinks.h"
#include "tests/host/espota_test_support.h"

namespace otakit::test {
namespace {

using espota::DeviceState;
using espota::OtaError;

constexpr uint32_t kResultDelayMs = 50;  // EspotaResponderOptions' default
constexpr uint32_t kLongAfter = 60000;   // past every deadline a session can have

std::vector<uint8_t> new_image(uint32_t size = 20000) { return testing::make_image(size, 7); }

// Plays espota.py: one 1460-byte chunk, then wait for the ack. Returns everything the device sent.
std::string stop_and_wait(int fd, const std::vector<uint8_t>& image, size_t limit = SIZE_MAX, size_t from = 0) {
  std::string replies;
  for (size_t at = from; at < image.size() && at < limit; at += 1460) {
    size_t n = std::min<size_t>({1460, image.size() - at, limit - at});
    send_all(fd, image.data() + at, n);
    std::string ack = read_some(fd);
    if (ack.empty()) return replies;
    replies += ack;
  }
  return replies;
}

// The result the device holds for result_delay_ms after the last byte: its clock is moved past
// that, then what it sends until it closes its side.
std::string result_after_delay(ResponderDevice& device, int fd, bool* eof = nullptr) {
  EXPECT_TRUE(device.wait_for_state(DeviceState::sending_result));
  device.advance(kResultDelayMs);
  return read_to_eof(fd, eof);
}

std::string auth_reply_for(const std::string& challenge, const std::string& password) {
  espota::Hex32 nonce, cnonce;
  memcpy(nonce.text, challenge.data() + 5, 32);
  memcpy(cnonce.text, "0f6f4c7a5c5e4f56b1aedb468e102040", 33);
  espota::AuthReply reply;
  reply.cnonce = cnonce;
  reply.response = espota::auth_response(espota::password_hash(password.data(), password.size()), nonce, cnonce);
  char out[80];
  return std::string(out, espota::format_auth_reply(reply, out, sizeof(out)));
}

TEST(EspotaResponder, AnswersLikeArduinoOtaAndStagesTheImage) {
  ResponderDevice device;
  auto image = new_image();
  RawUdp udp;
  RawListener listener;
  udp.send_to(device.port, invitation(listener.port(), image.size(), md5_of(image)));
  EXPECT_EQ(udp.receive(), "OK");
  int fd = listener.accept();
  ASSERT_GE(fd, 0) << "the device connects back to the invitation's port";
  std::string acks = stop_and_wait(fd, image);
  std::string expected;
  for (size_t at = 0; at < image.size(); at += 1460) expected += std::to_string(std::min<size_t>(1460, image.size() - at));
  EXPECT_EQ(acks, expected) << "one decimal count per chunk, no separators";
  ASSERT_TRUE(device.wait_for_state(DeviceState::sending_result));
  device.advance(kResultDelayMs - 1);
  EXPECT_EQ(read_now(fd), "") << "OK is kept apart from the last ack: nothing at +49 ms";
  device.advance(1);
  bool eof = false;
  EXPECT_EQ(read_to_eof(fd, &eof), "OK") << "sent at +50 ms";
  EXPECT_TRUE(eof) << "then the device closes its side";
  ::close(fd);
  ASSERT_TRUE(device.wait_for([&] { return device.reboots == 1; }));
  EXPECT_EQ(device.starts, 1);
  EXPECT_EQ(device.ends, 1);
  EXPECT_EQ(device.error_count, 0);
  EXPECT_GE(device.progress_calls, 2);
  EXPECT_TRUE(device.runs_after_reboot(image)) << "the boot path swaps the staged image in";
}

TEST(EspotaResponder, WrongPasswordKeepsTheOldImage) {
  net::EspotaResponderOptions options;
  options.password = "admin";
  ResponderDevice device(options);
  auto image = new_image();
  RawUdp udp;
  RawListener listener;
  udp.send_to(device.port, invitation(listener.port(), image.size(), md5_of(image)));
  std::string challenge = udp.receive();
  ASSERT_EQ(challenge.size(), 37u);
  udp.send_to(device.port, auth_reply_for(challenge, "wrong"));
  EXPECT_EQ(udp.receive(), "Authentication Failed");
  ASSERT_TRUE(device.wait_for([&] { return device.error_count == 1; }));
  EXPECT_EQ(device.last_error().first, OtaError::auth);
  device.advance(kLongAfter);
  EXPECT_EQ(device.state(), DeviceState::idle);
  EXPECT_LT(listener.accept(0), 0) << "no connection after a wrong password";
  EXPECT_EQ(device.starts, 0);
  EXPECT_TRUE(device.runs_after_reboot(device.running));
}

// The nonces come from the random source the device is given: a simulator can make them
// repeatable, and production gets the kernel's CSPRNG by default.
TEST(EspotaResponder, NoncesComeFromTheInjectedRandomSource) {
  net::EspotaResponderOptions options;
  options.password = "admin";
  options.random = {nullptr, [](void*, uint8_t* out, size_t len) {
                      for (size_t i = 0; i < len; ++i) out[i] = uint8_t(0xA0 + i);
                      return true;
                    }};
  ResponderDevice device(options);
  auto image = new_image();
  RawUdp udp;
  RawListener listener;
  udp.send_to(device.port, invitation(listener.port(), image.size(), md5_of(image)));
  EXPECT_EQ(udp.receive(), "AUTH a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
}

TEST(EspotaResponder, PasswordHashAndDuplicatesFromNpmStyleClients) {
  net::EspotaResponderOptions options;
  options.password_hash = "21232F297A57A5A743894A0E4A801FC3";  // md5("admin"), uppercase on purpose
  ResponderDevice device(options);
  auto image = new_image();
  RawUdp udp;
  RawListener listener;
  std::string inv = invitation(listener.port(), image.size(), md5_of(image));
  inv.pop_back();  // npm esp-ota sends no newline
  udp.send_to(device.port, inv);
  udp.send_to(device.port, inv);
  std::string first = udp.receive(), second = udp.receive();
  ASSERT_EQ(first.size(), 37u);
  EXPECT_EQ(first, second) << "a repeated invitation gets the same challenge";
  std::string reply = auth_reply_for(first, "admin");
  udp.send_to(device.port, reply);
  udp.send_to(device.port, reply);
  EXPECT_EQ(udp.receive(), "OK");
  ASSERT_TRUE(device.wait_for([&] { return device.seen_stats.datagrams == 4; }));
  EXPECT_EQ(udp.receive(0), "") << "the duplicate reply gets no second OK";
  int fd = listener.accept();
  ASSERT_GE(fd, 0);
  stop_and_wait(fd, image);
  EXPECT_EQ(result_after_delay(device, fd), "OK");
  ::close(fd);
  ASSERT_TRUE(device.wait_for([&] { return device.ends == 1; }));
  EXPECT_EQ(device.starts, 1);
  EXPECT_TRUE(device.runs_after_reboot(image));
}

TEST(EspotaResponder, WrongMd5IsRejectedAfterTheTransfer) {
  ResponderDevice device;
  auto image = new_image();
  RawUdp udp;
  RawListener listener;
  udp.send_to(device.port, invitation(listener.port(), image.size(), "cc74f6752ba65a987165c65f9986040b"));
  EXPECT_EQ(udp.receive(), "OK");
  int fd = listener.accept();
  ASSERT_GE(fd, 0);
  std::string acks = stop_and_wait(fd, image);
  EXPECT_EQ(acks.find('E'), std::string::npos) << "the error never rides with an ack";
  bool eof = false;
  std::string result = result_after_delay(device, fd, &eof);
  EXPECT_EQ(result, "ERROR[7]: MD5 verification failed: expected: cc74f6752ba65a987165c65f9986040b, calculated: " +
                        md5_of(image) + "\n");
  EXPECT_TRUE(eof);
  ::close(fd);
  ASSERT_TRUE(device.wait_for([&] { return device.error_count == 1; }));
  EXPECT_EQ(device.last_error().first, OtaError::end);
  EXPECT_EQ(device.ends, 0);
  EXPECT_EQ(device.reboots, 0);
  EXPECT_TRUE(device.runs_after_reboot(device.running));
}

TEST(EspotaResponder, ImageTooBigIsRefusedOverUdp) {
  ResponderDevice device;
  RawUdp udp;
  RawListener listener;
  udp.send_to(device.port, invitation(listener.port(), 600000, "da01546d8044c9e517147aa7a6e6b8f5"));
  std::string reply = udp.receive();
  EXPECT_EQ(reply.rfind("ERR: ERROR[4]: Not Enough Space", 0), 0u) << reply;
  EXPECT_EQ(reply.back(), '\n');
  ASSERT_TRUE(device.wait_for([&] { return device.error_count == 1; }));
  EXPECT_EQ(device.last_error().first, OtaError::begin);
  device.advance(kLongAfter);
  EXPECT_LT(listener.accept(0), 0) << "no connection for a refused image";
  EXPECT_TRUE(device.runs_after_reboot(device.running));
}

TEST(EspotaResponder, UploaderClosingEarlyAbortsAndTheNextUploadWorks) {
  ResponderDevice device;
  auto image = new_image(8192);
  {
    RawUdp udp;
    RawListener listener;
    udp.send_to(device.port, invitation(listener.port(), image.size(), md5_of(image)));
    EXPECT_EQ(udp.receive(), "OK");
    int fd = listener.accept();
    ASSERT_GE(fd, 0);
    stop_and_wait(fd, image, 3000);  // a size mismatch: 3000 of the 8192 announced bytes
    ::close(fd);
  }
  ASSERT_TRUE(device.wait_for([&] { return device.error_count == 1; }));
  EXPECT_EQ(device.last_error().first, OtaError::receive);
  EXPECT_EQ(device.last_error().second, "the uploader closed the connection after 3000 of 8192 bytes");
  RawUdp udp;
  RawListener listener;
  udp.send_to(device.port, invitation(listener.port(), image.size(), md5_of(image)));
  EXPECT_EQ(udp.receive(), "OK") << "the aborted update left nothing running";
  int fd = listener.accept();
  ASSERT_GE(fd, 0);
  stop_and_wait(fd, image);
  EXPECT_EQ(result_after_delay(device, fd), "OK");
  ::close(fd);
  EXPECT_TRUE(device.runs_after_reboot(image));
}

TEST(EspotaResponder, StalledUploaderTimesOut) {
  net::EspotaResponderOptions options;
  options.receive_timeout_ms = 300;
  ResponderDevice device(options);
  auto image = new_image(8192);
  RawUdp udp;
  RawListener listener;
  udp.send_to(device.port, invitation(listener.port(), image.size(), md5_of(image)));
  EXPECT_EQ(udp.receive(), "OK");
  int fd = listener.accept();
  ASSERT_GE(fd, 0);
  send_all(fd, image.data(), 3000);
  EXPECT_EQ(read_some(fd), "3000");
  device.advance(299);
  EXPECT_EQ(device.state(), DeviceState::receiving) << "still waiting for data at +299 ms";
  device.advance(1);
  EXPECT_EQ(device.state(), DeviceState::sending_result) << "given up at +300 ms";
  EXPECT_EQ(read_now(fd), "") << "and, as every result, the error waits result_delay_ms";
  bool eof = false;
  EXPECT_EQ(result_after_delay(device, fd, &eof),
            "ERROR[6]: Stream Read Timeout: no data for 300 ms after 3000 of 8192 bytes\n");
  EXPECT_TRUE(eof) << "the device closes after telling why";
  ::close(fd);
  ASSERT_TRUE(device.wait_for([&] { return device.error_count == 1; }));
  EXPECT_EQ(device.last_error().first, OtaError::receive);
  EXPECT_EQ(device.starts, 1);
  EXPECT_TRUE(device.runs_after_reboot(device.running));
}

TEST(EspotaResponder, GarbageDatagramsGetNoAnswer) {
  ResponderDevice device;
  RawUdp udp;
  const std::string garbage[] = {"", "hello", std::string(2000, 'A'), "0 1 1 short", "200 x y", "0 0 5 " + std::string(32, 'a'),
                                 std::string("\x00\xff\x10", 3)};
  for (const auto& g : garbage) udp.send_to(device.port, g);
  ASSERT_TRUE(device.wait_for([&] { return device.seen_stats.datagrams == 7; }));
  EXPECT_EQ(udp.receive(0), "") << "no answer to any of them";
  EXPECT_EQ(device.stats().dropped, 7u);
  RawListener listener;
  auto image = new_image();
  udp.send_to(device.port, invitation(listener.port(), image.size(), md5_of(image)));
  EXPECT_EQ(udp.receive(), "OK");
}

TEST(EspotaResponder, SecondUploaderIsToldTheDeviceIsBusyAndFloodsDoNotHurt) {
  ResponderDevice device;
  auto image = new_image(60000);
  RawUdp first;
  RawListener listener;
  first.send_to(device.port, invitation(listener.port(), image.size(), md5_of(image)));
  EXPECT_EQ(first.receive(), "OK");
  int fd = listener.accept();
  ASSERT_GE(fd, 0);
  RawUdp second;
  second.send_to(device.port, invitation(40000, 1000, md5_of(image)));
  EXPECT_EQ(second.receive(), "ERR: ERROR[15]: Update already running\n");

  // A flood while the transfer runs: valid invitations and junk from another socket, in rounds
  // small enough for the socket buffer, one busy interval (100 ms) apart, each with a chunk.
  RawUdp flood;
  constexpr int kRounds = 10, kPerRound = 50;
  size_t at = 0;
  for (int round = 1; round <= kRounds; ++round, at += 1460) {
    device.advance(100);
    for (int i = 0; i < kPerRound; ++i) {
      flood.send_to(device.port, invitation(40001, 1000 + i, md5_of(image)));
      flood.send_to(device.port, "junk " + std::to_string(i));
    }
    send_all(fd, image.data() + at, 1460);
    EXPECT_EQ(read_some(fd), "1460");
    ASSERT_TRUE(device.wait_for([&] { return device.seen_stats.datagrams == 2u + 2u * kPerRound * round; }));
  }
  int busy_replies = 0;
  while (flood.receive(0) == "ERR: ERROR[15]: Update already running\n") ++busy_replies;
  EXPECT_EQ(busy_replies, kRounds) << "one busy answer per 100 ms, however many ask";
  stop_and_wait(fd, image, SIZE_MAX, at);
  EXPECT_EQ(result_after_delay(device, fd), "OK");
  ::close(fd);
  ASSERT_TRUE(device.wait_for([&] { return device.ends == 1; }));
  EXPECT_EQ(device.starts, 1);
  EXPECT_TRUE(device.runs_after_reboot(image));
}

TEST(EspotaResponder, ConnectBackFailureIsReportedOnce) {
  ResponderDevice device;
  auto image = new_image();
  uint16_t closed_port;
  {
    RawListener gone;
    closed_port = gone.port();
  }
  RawUdp udp;
  udp.send_to(device.port, invitation(closed_port, image.size(), md5_of(image)));
  EXPECT_EQ(udp.receive(), "OK");
  ASSERT_TRUE(device.wait_for([&] { return device.error_count == 1; }));
  EXPECT_EQ(device.last_error().first, OtaError::connect);
  device.advance(kLongAfter);
  EXPECT_EQ(device.error_count, 1) << "no END error after a connect error (the original raised both)";
  EXPECT_TRUE(device.runs_after_reboot(device.running));
}

TEST(EspotaResponder, LogLinesCarryTheDevicesIdentity) {
  net::CaptureSink log;
  net::EspotaResponderOptions options;
  options.password = "admin";
  options.log = net::Logger(&log, "dev-127.0.0.1");
  ResponderDevice device(options);
  RawUdp udp;
  udp.send_to(device.port, invitation(40000, 20000, md5_of(new_image())));
  std::string challenge = udp.receive();
  ASSERT_EQ(challenge.size(), 37u);
  udp.send_to(device.port, auth_reply_for(challenge, "wrong"));
  EXPECT_EQ(udp.receive(), "Authentication Failed");
  ASSERT_TRUE(device.wait_for([&] { return device.error_count == 1; }));
  device.stop();
  auto lines = log.lines();
  ASSERT_GE(lines.size(), 2u);
  for (const auto& line : lines) EXPECT_EQ(line.identity, "dev-127.0.0.1") << line.message;
  EXPECT_EQ(lines.front().message, "espota: listening on UDP 127.0.0.1:" + std::to_string(device.port) +
                                       " (password required)");
  EXPECT_EQ(lines.back().level, net::LogLevel::warn);
  EXPECT_EQ(lines.back().message.rfind("espota: auth error with 127.0.0.1:", 0), 0u) << lines.back().message;
}

}  // namespace
}  // namespace otakit::test
