// The host state machine on its own: resend policy, authentication, who may connect, streaming
// versus espota.py pacing, and one clear outcome for every way an upload can fail.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/espota/host_session.h"

namespace otakit::espota {
namespace {

proto::PeerAddress address(uint8_t last, uint16_t port) {
  proto::PeerAddress p;
  p.ip[0] = 192;
  p.ip[1] = 168;
  p.ip[3] = last;
  p.ip_length = 4;
  p.port = port;
  return p;
}

const proto::PeerAddress kDevice = address(50, 8266);

struct SteadyRandom {
  bool fail = false;
  static bool fill(void* ctx, uint8_t* out, size_t len) {
    if (static_cast<SteadyRandom*>(ctx)->fail) return false;
    for (size_t i = 0; i < len; ++i) out[i] = uint8_t(0x0f + i);
    return true;
  }
};

class HostHarness {
 public:
  explicit HostHarness(uint32_t size = 4096, bool stop_and_wait = false, const char* password = "") {
    config.listen_port = 48266;
    config.size = size;
    memcpy(config.md5, "da01546d8044c9e517147aa7a6e6b8f5", 33);
    config.device = kDevice;
    config.password = password;
    config.password_length = strlen(password);
    config.random = {&random, &SteadyRandom::fill};
    config.stop_and_wait = stop_and_wait;
  }
  HostSession& session() {
    if (!session_) session_.reset(new HostSession(config));
    return *session_;
  }
  void start(uint32_t now) {
    session().start(now);
    drain();
  }
  void reply(const std::string& text, uint32_t now, const proto::PeerAddress& from = kDevice) {
    session().on_datagram(from, reinterpret_cast<const uint8_t*>(text.data()), text.size(), now);
    drain();
  }
  bool connect(const proto::PeerAddress& from, uint32_t now) {
    bool ok = session().on_tcp_connected(from, now);
    drain();
    return ok;
  }
  void device_says(const std::string& text, uint32_t now) {
    session().on_tcp_data(reinterpret_cast<const uint8_t*>(text.data()), text.size(), now);
    drain();
  }
  void sent(uint32_t now) {  // the driver finished the oldest pending send_data
    ASSERT_FALSE(sends.empty());
    auto block = sends.front();
    sends.erase(sends.begin());
    session().on_data_sent(block.second, now);
    drain();
  }
  void send_failed(uint32_t now) {  // the driver's oldest pending send_data failed
    ASSERT_FALSE(sends.empty());
    sends.erase(sends.begin());
    session().on_tcp_send_failed(now);
    drain();
  }
  void tick(uint32_t now) {
    session().on_tick(now);
    drain();
  }
  void closed(uint32_t now) {
    session().on_tcp_closed(now);
    drain();
  }
  // Accept the invitation and the connection.
  void connected(uint32_t now) {
    start(now);
    reply("OK", now);
    ASSERT_TRUE(connect(address(50, 40000), now));
  }

  HostConfig config;
  SteadyRandom random;
  std::vector<std::string> datagrams;
  std::vector<std::pair<uint32_t, uint32_t>> sends;  // offset, len
  std::vector<HostEvent> finished;
  std::string finished_text;
  int stop_listening = 0;
  int close_tcp = 0;
  uint32_t last_acked = 0;

 private:
  void drain() {
    HostEvent e;
    while (session_->poll(&e)) {
      if (e.action == HostAction::send_udp) datagrams.emplace_back(reinterpret_cast<const char*>(e.data), e.len);
      if (e.action == HostAction::send_data) sends.emplace_back(e.offset, static_cast<uint32_t>(e.len));
      if (e.action == HostAction::stop_listening) ++stop_listening;
      if (e.action == HostAction::close_tcp) ++close_tcp;
      if (e.action == HostAction::progress) last_acked = e.acked;
      if (e.action == HostAction::finished) {
        finished.push_back(e);
        finished_text = e.text;
      }
    }
    ASSERT_FALSE(session_->queue_overflowed());
  }
  std::unique_ptr<HostSession> session_;
};

TEST(EspotaHost, InvitationIsResentWithBackOffThenNoAnswer) {
  HostHarness h;
  h.start(0);
  ASSERT_EQ(h.datagrams.size(), 1u);
  EXPECT_EQ(h.datagrams[0], "0 48266 4096 da01546d8044c9e517147aa7a6e6b8f5\n");
  h.tick(999);
  EXPECT_EQ(h.datagrams.size(), 1u);
  h.tick(1000);
  h.tick(2999);
  EXPECT_EQ(h.datagrams.size(), 2u);
  h.tick(3000);
  h.tick(7000);
  EXPECT_EQ(h.datagrams.size(), 4u);
  for (const auto& d : h.datagrams) EXPECT_EQ(d, h.datagrams[0]) << "resends are identical";
  h.tick(9999);
  EXPECT_TRUE(h.finished.empty());
  h.tick(10000);
  ASSERT_EQ(h.finished.size(), 1u);
  EXPECT_EQ(h.finished[0].outcome, UploadOutcome::no_answer);
  EXPECT_TRUE(safe_to_retry(UploadOutcome::no_answer));
  EXPECT_EQ(h.stop_listening, 1);
}

TEST(EspotaHost, RepliesFromOtherAddressesAreIgnored) {
  HostHarness h;
  h.start(0);
  h.reply("OK", 1, address(51, 8266));
  h.reply("OK", 1, address(50, 8267));
  EXPECT_EQ(h.session().state(), HostState::inviting);
  h.reply("OK", 2);
  EXPECT_EQ(h.session().state(), HostState::waiting_connection);
}

TEST(EspotaHost, AnswersTheChallengeAndResendsItsReply) {
  HostHarness h(4096, false, "admin");
  h.start(0);
  h.reply("AUTH 773bd647c1f445a46045ef3cea926e48", 5);
  ASSERT_EQ(h.datagrams.size(), 2u);
  Hex32 nonce, cnonce;
  memcpy(nonce.text, "773bd647c1f445a46045ef3cea926e48", 33);
  memcpy(cnonce.text, "0f101112131415161718191a1b1c1d1e", 33);  // SteadyRandom's bytes
  std::string expected = "200 " + std::string(cnonce.text) + " " +
                         auth_response(password_hash("admin", 5), nonce, cnonce).text + "\n";
  EXPECT_EQ(h.datagrams[1], expected);
  h.reply("AUTH 773bd647c1f445a46045ef3cea926e48", 6);  // our invitation resend was answered too
  EXPECT_EQ(h.datagrams.size(), 2u) << "the same challenge is answered once";
  h.tick(1005);
  EXPECT_EQ(h.datagrams.size(), 3u);
  EXPECT_EQ(h.datagrams[2], expected);
  h.reply("OK", 1100);
  EXPECT_EQ(h.session().state(), HostState::waiting_connection);
  EXPECT_TRUE(h.session().authenticated());
}

TEST(EspotaHost, WrongPasswordAndMissingPassword) {
  HostHarness wrong(4096, false, "nope");
  wrong.start(0);
  wrong.reply("AUTH 773bd647c1f445a46045ef3cea926e48", 1);
  wrong.reply("Authentication Failed", 2);
  ASSERT_EQ(wrong.finished.size(), 1u);
  EXPECT_EQ(wrong.finished[0].outcome, UploadOutcome::auth_failed);
  EXPECT_EQ(wrong.finished_text, "Authentication Failed: wrong password");
  EXPECT_FALSE(safe_to_retry(UploadOutcome::auth_failed));

  HostHarness none;
  none.start(0);
  none.reply("AUTH 773bd647c1f445a46045ef3cea926e48", 1);
  none.reply("Authentication Failed", 2);
  EXPECT_EQ(none.finished_text, "Authentication Failed: the device needs a password (-a/--auth)");
}

TEST(EspotaHost, SilenceAfterTheAuthReply) {
  HostHarness h(4096, false, "admin");
  h.start(0);
  h.reply("AUTH 773bd647c1f445a46045ef3cea926e48", 100);
  h.tick(10099);
  EXPECT_TRUE(h.finished.empty());
  h.tick(10100);
  ASSERT_EQ(h.finished.size(), 1u);
  EXPECT_EQ(h.finished[0].outcome, UploadOutcome::auth_no_answer);
}

TEST(EspotaHost, DeviceRefusalsOverUdp) {
  HostHarness busy;
  busy.start(0);
  busy.reply("ERR: ERROR[15]: Update already running\n", 1);
  EXPECT_EQ(busy.finished[0].outcome, UploadOutcome::device_busy);
  EXPECT_EQ(busy.finished[0].device_error, 15);
  EXPECT_TRUE(safe_to_retry(UploadOutcome::device_busy));

  HostHarness space;
  space.start(0);
  space.reply("ERR: ERROR[4]: Not Enough Space\n", 1);
  EXPECT_EQ(space.finished[0].outcome, UploadOutcome::device_rejected);
  EXPECT_EQ(space.finished_text, "the device refused the update: ERROR[4]: Not Enough Space");

  HostHarness bad;
  bad.start(0);
  bad.reply(std::string("HELLO\x01", 6), 1);
  EXPECT_EQ(bad.finished[0].outcome, UploadOutcome::protocol_error);
  EXPECT_EQ(bad.finished_text, "Bad Answer: HELLO?");
}

TEST(EspotaHost, OnlyTheDeviceMayConnect) {
  HostHarness h;
  h.start(0);
  h.reply("OK", 1);
  EXPECT_FALSE(h.connect(address(99, 1234), 2));
  EXPECT_TRUE(h.sends.empty());
  EXPECT_TRUE(h.connect(address(50, 1234), 3));
  EXPECT_EQ(h.stop_listening, 1);
  EXPECT_EQ(h.sends.size(), 1u);
}

// The device sends OK and connects at once; the connection may be seen before the datagram.
TEST(EspotaHost, ConnectionOvertakingTheOkCountsAsTheOk) {
  HostHarness h(4096, false, "admin");
  h.start(0);
  EXPECT_FALSE(h.connect(address(99, 1234), 1)) << "other hosts never";
  h.reply("AUTH 773bd647c1f445a46045ef3cea926e48", 2);
  EXPECT_TRUE(h.connect(address(50, 1234), 3));
  EXPECT_EQ(h.session().state(), HostState::transferring);
  h.reply("OK", 4);  // late, and harmless
  h.sent(5);
  h.device_says("4096", 6);
  h.device_says("OK", 7);
  ASSERT_EQ(h.finished.size(), 1u);
  EXPECT_EQ(h.finished[0].outcome, UploadOutcome::ok);
}

TEST(EspotaHost, DeviceThatNeverConnects) {
  HostHarness h;
  h.start(0);
  h.reply("OK", 1);
  h.tick(10001);
  ASSERT_EQ(h.finished.size(), 1u);
  EXPECT_EQ(h.finished[0].outcome, UploadOutcome::no_connection);
  EXPECT_NE(h.finished_text.find("firewall"), std::string::npos);
}

TEST(EspotaHost, StreamingSendsWithoutWaitingForAcks) {
  HostHarness h(40000);
  h.connected(0);
  ASSERT_EQ(h.sends.size(), 1u);
  EXPECT_EQ(h.sends[0], std::make_pair(0u, 16384u));
  h.sent(1);
  EXPECT_EQ(h.sends.size(), 1u);
  EXPECT_EQ(h.sends[0], std::make_pair(16384u, 16384u)) << "next block with no ack yet";
  h.sent(2);
  EXPECT_EQ(h.sends[0], std::make_pair(32768u, 7232u));
  h.device_says("1460", 3);
  EXPECT_EQ(h.last_acked, 1460u);
  // Joined acks with many bytes in flight cannot be split exactly (facts 10.9); the figure is
  // only progress and never exceeds what was sent. The result alone decides.
  h.device_says("146014601460", 3);
  EXPECT_LE(h.last_acked, 40000u);
  h.sent(4);
  EXPECT_EQ(h.session().state(), HostState::waiting_result);
  h.device_says("34160", 5);
  h.device_says("OK", 6);
  ASSERT_EQ(h.finished.size(), 1u);
  EXPECT_EQ(h.finished[0].outcome, UploadOutcome::ok);
  EXPECT_EQ(h.finished[0].acked, 40000u);
  EXPECT_EQ(h.close_tcp, 1);
}

TEST(EspotaHost, StopAndWaitPacesOneChunkPerAck) {
  HostHarness h(4096, true);
  h.connected(0);
  EXPECT_EQ(h.sends[0], std::make_pair(0u, 1460u));
  h.sent(1);
  EXPECT_TRUE(h.sends.empty()) << "waits for the device";
  h.device_says("14", 2);  // any answer releases the next chunk, as in espota.py
  EXPECT_EQ(h.sends.size(), 1u);
  h.device_says("60", 3);
  EXPECT_EQ(h.sends.size(), 1u) << "one chunk in flight at most";
  h.sent(4);  // "60" came after chunk 2 left: espota.py's next recv() returns it at once, so go on
  ASSERT_EQ(h.sends.size(), 1u);
  EXPECT_EQ(h.sends[0], std::make_pair(2920u, 1176u));
  h.device_says("1460", 5);
  h.sent(6);
  EXPECT_EQ(h.session().state(), HostState::waiting_result);
  h.device_says("1176OK", 7);
  EXPECT_EQ(h.finished[0].outcome, UploadOutcome::ok);
}

TEST(EspotaHost, AckArrivingBeforeTheWriteCompletesStillReleasesTheNextChunk) {
  HostHarness h(4096, true);
  h.connected(0);
  h.device_says("1460", 1);  // the read completion ran before the write completion
  EXPECT_TRUE(h.sends.size() == 1u);
  h.sent(2);
  EXPECT_EQ(h.sends.size(), 1u);
  EXPECT_EQ(h.sends[0].first, 1460u);
}

TEST(EspotaHost, DeviceClosingMidTransfer) {
  HostHarness h(40000);
  h.connected(0);
  h.sent(1);
  h.closed(2);
  ASSERT_EQ(h.finished.size(), 1u);
  EXPECT_EQ(h.finished[0].outcome, UploadOutcome::transfer_failed);
  EXPECT_EQ(h.finished_text, "the device closed the connection after 16384 of 40000 bytes");
}

// The device's last bytes and the reset that follows them can reach the driver as a failed write
// first (Asio completes writes before reads in one wake-up); the bytes still decide.
TEST(EspotaHost, FailedWriteDefersToWhatTheDeviceSaidBeforeClosing) {
  HostHarness error(40000);
  error.connected(0);
  error.sent(1);
  error.send_failed(2);
  EXPECT_TRUE(error.finished.empty()) << "the reading side has the last word";
  EXPECT_TRUE(error.sends.empty()) << "nothing more is sent";
  error.device_says("14601460ERROR[1]: Flash Write Failed\n", 2);
  error.closed(2);
  ASSERT_EQ(error.finished.size(), 1u);
  EXPECT_EQ(error.finished[0].outcome, UploadOutcome::device_rejected);
  EXPECT_EQ(error.finished[0].device_error, 1);

  HostHarness ok(40000);  // the device said OK and rebooted while the last write was reported
  ok.connected(0);
  ok.sent(1);
  ok.sent(2);
  ok.send_failed(3);
  ok.device_says("40000OK", 3);
  ok.closed(3);
  ASSERT_EQ(ok.finished.size(), 1u);
  EXPECT_EQ(ok.finished[0].outcome, UploadOutcome::ok);

  HostHarness silent(40000);
  silent.connected(0);
  silent.sent(1);
  silent.send_failed(2);
  silent.closed(2);
  ASSERT_EQ(silent.finished.size(), 1u);
  EXPECT_EQ(silent.finished[0].outcome, UploadOutcome::transfer_failed);
  EXPECT_EQ(silent.finished_text, "the device closed the connection after 16384 of 40000 bytes");

  HostHarness half_open(40000);  // the reading side never reports: the stall deadline ends it
  half_open.connected(0);
  half_open.send_failed(5);
  half_open.tick(10005);
  ASSERT_EQ(half_open.finished.size(), 1u);
  EXPECT_EQ(half_open.finished[0].outcome, UploadOutcome::transfer_failed);
}

TEST(EspotaHost, DeviceClosingWithoutAResultDoesNotHang) {  // espota.py spins forever here
  HostHarness h;
  h.connected(0);
  h.sent(1);
  h.device_says("4096", 2);
  h.closed(3);
  ASSERT_EQ(h.finished.size(), 1u);
  EXPECT_EQ(h.finished[0].outcome, UploadOutcome::no_result);
}

TEST(EspotaHost, StalledTransferAndMissingResultTimeOut) {
  HostHarness stall(40000);
  stall.connected(0);
  stall.sent(100);
  stall.tick(10099);
  EXPECT_TRUE(stall.finished.empty());
  stall.tick(10100);
  EXPECT_EQ(stall.finished[0].outcome, UploadOutcome::transfer_failed);
  EXPECT_NE(stall.finished_text.find("stalled"), std::string::npos);

  HostHarness result;
  result.connected(0);
  result.sent(1);
  result.device_says("4096", 2);
  result.tick(60001);
  EXPECT_TRUE(result.finished.empty());
  result.tick(60002);
  EXPECT_EQ(result.finished[0].outcome, UploadOutcome::no_result);
}

TEST(EspotaHost, ErrorTextWithoutNewlineIsReportedAtTheTimeout) {
  HostHarness h;
  h.connected(0);
  h.sent(1);
  h.device_says("4096ERROR[7]: MD5 verification failed", 2);
  EXPECT_TRUE(h.finished.empty());
  h.tick(60002);
  ASSERT_EQ(h.finished.size(), 1u);
  EXPECT_EQ(h.finished[0].outcome, UploadOutcome::device_rejected);
  EXPECT_EQ(h.finished[0].device_error, 7);
}

TEST(EspotaHost, ErrorDuringTheTransferStopsSending) {
  HostHarness h(40000);
  h.connected(0);
  h.device_says("1460ERROR[1]: Flash Write Failed\n", 1);
  ASSERT_EQ(h.finished.size(), 1u);
  EXPECT_EQ(h.finished[0].outcome, UploadOutcome::device_rejected);
  EXPECT_EQ(h.finished_text, "the device rejected the image: ERROR[1]: Flash Write Failed");
  EXPECT_EQ(h.close_tcp, 1);
  h.sent(2);
  EXPECT_TRUE(h.sends.empty()) << "nothing more after the error";
}

// The driver may handle the device's "OK" before the completion of the last write: the device
// has every byte then, and the result says so.
TEST(EspotaHost, OkReadBeforeTheLastWriteCompletionCountsEveryByteAsSent) {
  HostHarness h(40000);
  h.connected(0);
  h.sent(1);
  h.sent(2);  // the last block (32768 + 7232) is in flight
  h.device_says("OK", 3);
  ASSERT_EQ(h.finished.size(), 1u);
  EXPECT_EQ(h.finished[0].outcome, UploadOutcome::ok);
  EXPECT_EQ(h.finished[0].sent, 40000u);
}

TEST(EspotaHost, OkBeforeTheLastByteIsAProtocolError) {
  HostHarness h(40000);
  h.connected(0);
  h.sent(1);
  h.device_says("OK", 2);
  EXPECT_EQ(h.finished[0].outcome, UploadOutcome::protocol_error);
}

TEST(EspotaHost, GarbageOnTheConnection) {
  HostHarness h;
  h.connected(0);
  h.device_says("1460<html>", 1);
  EXPECT_EQ(h.finished[0].outcome, UploadOutcome::protocol_error);
  EXPECT_EQ(h.finished_text, "unexpected reply on the upload connection: <");
}

TEST(EspotaHost, NoRandomSourceIsALocalError) {
  HostHarness h(4096, false, "admin");
  h.random.fail = true;
  h.start(0);
  h.reply("AUTH 773bd647c1f445a46045ef3cea926e48", 1);
  EXPECT_EQ(h.finished[0].outcome, UploadOutcome::local_error);
}

TEST(EspotaHost, FilesystemCommandGoesIntoTheInvitation) {
  HostHarness h;
  h.config.command = Command::filesystem;
  h.start(0);
  EXPECT_EQ(h.datagrams[0], "100 48266 4096 da01546d8044c9e517147aa7a6e6b8f5\n");
}

TEST(EspotaHost, EveryOutcomeHasAName) {
  for (int o = 0; o <= static_cast<int>(UploadOutcome::local_error); ++o)
    EXPECT_STRNE(describe(static_cast<UploadOutcome>(o)), "unknown");
}

}  // namespace
}  // namespace otakit::espota
