// The device state machine on its own: every failure path of an espota session (wrong password,
// timeouts, early close, Updater errors, busy, floods, duplicates) and the fixes to ArduinoOTA.
#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

#include "core/espota/device_session.h"
#include "core/proto/time.h"
#include "tests/core/fake_update_sink.h"

namespace otakit::espota {
namespace {

const char kInvitation[] = "0 48266 4096 da01546d8044c9e517147aa7a6e6b8f5\n";
const char kBusy[] = "ERR: ERROR[15]: Update already running\n";

proto::PeerAddress peer(uint8_t last, uint16_t port) {
  proto::PeerAddress p;
  p.ip[0] = 10;
  p.ip[3] = last;
  p.ip_length = 4;
  p.port = port;
  return p;
}

// Counter-based "random" bytes so every nonce differs and tests stay deterministic.
struct CountingRandom {
  uint8_t next = 1;
  bool fail = false;
  static bool fill(void* ctx, uint8_t* out, size_t len) {
    auto* self = static_cast<CountingRandom*>(ctx);
    if (self->fail) return false;
    for (size_t i = 0; i < len; ++i) out[i] = self->next;
    ++self->next;
    return true;
  }
};

struct Recorded {
  DeviceAction action;
  std::string bytes;
  proto::PeerAddress peer;
  Command command;
  bool success;
  OtaError error;
  std::string text;
  uint32_t done;
  uint32_t size;
};

// Drives a DeviceSession on a fake Updater (`sink`); records every event.
class DeviceHarness {
 public:
  // raw_hash, when given, is passed to the session as is (to test normalisation).
  explicit DeviceHarness(const char* password = nullptr, DeviceConfig config = DeviceConfig(),
                         const char* raw_hash = nullptr) {
    if (password) hash_ = password_hash(password, strlen(password));
    config.password_hash = raw_hash ? raw_hash : password ? hash_.text : nullptr;
    config.random = {&random_, &CountingRandom::fill};
    config_ = config;
    session_ = new DeviceSession(config_, sink);
  }
  ~DeviceHarness() { delete session_; }

  DeviceSession& session() { return *session_; }
  CountingRandom& random() { return random_; }
  std::vector<Recorded>& events() { return events_; }

  void datagram(const proto::PeerAddress& from, const std::string& text, uint32_t now) {
    session_->on_datagram(from, reinterpret_cast<const uint8_t*>(text.data()), text.size(), now);
    drain();
  }
  void data(size_t len, uint32_t now, char fill = 'x') {
    std::string bytes(len, fill);
    session_->on_tcp_data(reinterpret_cast<const uint8_t*>(bytes.data()), len, now);
    drain();
  }
  void tick(uint32_t now) {
    session_->on_tick(now);
    drain();
  }
  void connected(uint32_t now) {
    session_->on_tcp_connected(now);
    drain();
  }
  void closed(uint32_t now) {
    session_->on_tcp_closed(now);
    drain();
  }

  otakit::testing::FakeUpdateSink sink;

  std::vector<std::string> udp_sent(const proto::PeerAddress* to = nullptr) const {
    std::vector<std::string> out;
    for (const auto& e : events_)
      if (e.action == DeviceAction::send_udp && (!to || proto::same_peer(*to, e.peer))) out.push_back(e.bytes);
    return out;
  }
  std::vector<std::string> tcp_sent() const {
    std::vector<std::string> out;
    for (const auto& e : events_)
      if (e.action == DeviceAction::tcp_send) out.push_back(e.bytes);
    return out;
  }
  int count(DeviceAction action) const {
    int n = 0;
    for (const auto& e : events_) n += e.action == action;
    return n;
  }
  const Recorded* last(DeviceAction action) const {
    for (auto it = events_.rbegin(); it != events_.rend(); ++it)
      if (it->action == action) return &*it;
    return nullptr;
  }
  // Invitation, auth if needed, begin OK, connect: ready to receive.
  void start_transfer(const proto::PeerAddress& from, uint32_t now, const char* password = nullptr) {
    datagram(from, kInvitation, now);
    if (password) answer_challenge(from, password, now);
    connected(now);
    ASSERT_EQ(session_->state(), DeviceState::receiving);
  }
  void answer_challenge(const proto::PeerAddress& from, const char* password, uint32_t now) {
    answer(from, udp_sent(&from).back(), password, now);
  }
  void answer(const proto::PeerAddress& from, const std::string& challenge, const char* password, uint32_t now) {
    ASSERT_EQ(challenge.rfind("AUTH ", 0), 0u);
    Hex32 nonce, cnonce;
    memcpy(nonce.text, challenge.data() + 5, 32);
    memcpy(cnonce.text, "0f6f4c7a5c5e4f56b1aedb468e102040", 33);
    AuthReply reply;
    reply.cnonce = cnonce;
    reply.response = auth_response(password_hash(password, strlen(password)), nonce, cnonce);
    char out[80];
    size_t n = format_auth_reply(reply, out, sizeof(out));
    datagram(from, std::string(out, n), now);
  }

 private:
  void drain() {
    DeviceEvent e;
    while (session_->poll(&e)) {
      Recorded r{e.action, e.data ? std::string(reinterpret_cast<const char*>(e.data), e.len) : std::string(),
                 e.peer, e.command, e.success, e.error, e.text ? e.text : "", e.done, e.size};
      events_.push_back(r);
    }
    ASSERT_FALSE(session_->queue_overflowed());
  }

  Hex32 hash_;
  CountingRandom random_;
  DeviceConfig config_;
  DeviceSession* session_;
  std::vector<Recorded> events_;
};

const proto::PeerAddress kHost = peer(2, 50000);
const proto::PeerAddress kOther = peer(3, 50001);

TEST(EspotaDevice, HappyPathWithoutPasswordFiresEachHookOnce) {
  DeviceHarness h;
  h.start_transfer(kHost, 0);
  EXPECT_EQ(h.udp_sent(), std::vector<std::string>{"OK"});
  const Recorded* connect = h.last(DeviceAction::connect_tcp);
  ASSERT_NE(connect, nullptr);
  EXPECT_TRUE(proto::same_host(connect->peer, kHost));
  EXPECT_EQ(connect->peer.port, 48266) << "connects to the port named in the invitation";
  h.data(1460, 10);
  h.data(2636, 20);
  EXPECT_EQ(h.tcp_sent(), (std::vector<std::string>{"1460", "2636"}));
  EXPECT_EQ(h.count(DeviceAction::finished), 0) << "OK waits for the result delay";
  h.tick(69);
  EXPECT_EQ(h.count(DeviceAction::finished), 0);
  h.tick(70);
  EXPECT_EQ(h.tcp_sent().back(), "OK");
  EXPECT_EQ(h.count(DeviceAction::started), 1);
  EXPECT_EQ(h.count(DeviceAction::finished), 1);
  EXPECT_TRUE(h.last(DeviceAction::finished)->success);
  EXPECT_EQ(h.last(DeviceAction::started)->command, Command::flash);
  EXPECT_EQ(h.sink.begins, 1);
  EXPECT_EQ(h.sink.begun_size, 4096u);
  EXPECT_EQ(h.sink.begun_md5, "da01546d8044c9e517147aa7a6e6b8f5");
  EXPECT_EQ(h.sink.written, std::string(4096, 'x'));
  EXPECT_EQ(h.sink.ends, 1);
  EXPECT_EQ(h.sink.aborts, 0);
  EXPECT_EQ(h.last(DeviceAction::progress)->done, 4096u);
  EXPECT_EQ(h.session().state(), DeviceState::idle);
}

TEST(EspotaDevice, WrongPasswordAnswersAuthenticationFailedAndPenalisesTheNextTry) {
  DeviceHarness h("admin");
  h.datagram(kHost, kInvitation, 0);
  h.answer_challenge(kHost, "wrong", 5);
  EXPECT_EQ(h.udp_sent().back(), "Authentication Failed");
  EXPECT_EQ(h.last(DeviceAction::finished)->error, OtaError::auth);
  EXPECT_EQ(h.sink.begins, 0);
  EXPECT_EQ(h.session().auth_failures(kHost, 5), 1u);

  // The next invitation (new socket) is challenged only after 1 s, then 2 s, 4 s, 8 s, 8 s.
  uint32_t now = 5;
  uint32_t expected_delay[] = {1000, 2000, 4000, 8000, 8000};
  for (int attempt = 0; attempt < 5; ++attempt) {
    proto::PeerAddress from = peer(2, static_cast<uint16_t>(50010 + attempt));
    size_t before = h.udp_sent(&from).size();
    h.datagram(from, kInvitation, now + 1);
    EXPECT_EQ(h.session().state(), DeviceState::auth_delayed);
    EXPECT_EQ(h.udp_sent(&from).size(), before) << "no challenge during the penalty";
    h.tick(now + expected_delay[attempt] - 1);
    EXPECT_EQ(h.udp_sent(&from).size(), before);
    h.tick(now + expected_delay[attempt]);
    ASSERT_EQ(h.udp_sent(&from).size(), before + 1);
    now += expected_delay[attempt];
    h.answer_challenge(from, "wrong", now);
    EXPECT_EQ(h.udp_sent(&from).back(), "Authentication Failed");
  }
  // The right password after the penalty works and clears the count.
  proto::PeerAddress from = peer(2, 50100);
  h.datagram(from, kInvitation, now + 8000);
  h.answer_challenge(from, "admin", now + 8000);
  EXPECT_EQ(h.udp_sent(&from).back(), "OK");
  EXPECT_EQ(h.session().auth_failures(from, now + 8000), 0u);
}

TEST(EspotaDevice, PenaltyIsForgottenAfterAQuietMinute) {
  DeviceHarness h("admin");
  h.datagram(kHost, kInvitation, 0);
  h.answer_challenge(kHost, "wrong", 0);
  proto::PeerAddress later = peer(2, 50002);
  h.datagram(later, kInvitation, 60000);
  ASSERT_EQ(h.session().state(), DeviceState::waiting_auth) << "challenged at once";
}

TEST(EspotaDevice, AuthWaitTimesOutAndLateRepliesAreIgnored) {
  DeviceHarness h("admin");
  h.datagram(kHost, kInvitation, 100);
  h.tick(10099);
  EXPECT_EQ(h.session().state(), DeviceState::waiting_auth);
  h.tick(10100);
  EXPECT_EQ(h.session().state(), DeviceState::idle);
  EXPECT_EQ(h.last(DeviceAction::finished)->error, OtaError::auth);
  h.answer_challenge(kHost, "admin", 10200);
  EXPECT_EQ(h.sink.begins, 0);
  EXPECT_EQ(h.last(DeviceAction::dropped)->text, "auth reply without an invitation");
}

TEST(EspotaDevice, OnlyTheInvitingHostMayAnswerTheChallenge) {
  DeviceHarness h("admin");
  h.datagram(kHost, kInvitation, 0);
  std::string challenge = h.udp_sent().back();
  // Same IP, other port, and another IP: both ignored, even with the right response.
  proto::PeerAddress same_ip_other_port = peer(2, 50999);
  for (const proto::PeerAddress& intruder : {same_ip_other_port, kOther}) {
    size_t sent = h.udp_sent().size();
    Hex32 nonce, cnonce;
    memcpy(nonce.text, challenge.data() + 5, 32);
    memcpy(cnonce.text, "0f6f4c7a5c5e4f56b1aedb468e102040", 33);
    AuthReply reply{cnonce, auth_response(password_hash("admin", 5), nonce, cnonce)};
    char out[80];
    h.datagram(intruder, std::string(out, format_auth_reply(reply, out, sizeof(out))), 1);
    EXPECT_EQ(h.udp_sent().size(), sent);
    EXPECT_EQ(h.last(DeviceAction::dropped)->text, "auth reply from a host that did not invite");
  }
  EXPECT_EQ(h.session().state(), DeviceState::waiting_auth);
  h.answer_challenge(kHost, "admin", 2);
  EXPECT_EQ(h.udp_sent().back(), "OK");
}

TEST(EspotaDevice, DuplicateInvitationWhileWaitingForAuthGetsTheSameChallenge) {
  DeviceHarness h("admin");
  h.datagram(kHost, kInvitation, 0);
  h.datagram(kHost, kInvitation, 2000);  // npm esp-ota resends after 2 s
  auto sent = h.udp_sent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0], sent[1]);
  EXPECT_EQ(sent[0].size(), 37u);
  // A different invitation from the same socket restarts with a fresh nonce.
  h.datagram(kHost, "0 48266 4097 da01546d8044c9e517147aa7a6e6b8f5", 2100);
  EXPECT_NE(h.udp_sent().back(), sent[0]);
  h.answer_challenge(kHost, "admin", 2200);
  EXPECT_EQ(h.sink.begun_size, 4097u);
}

TEST(EspotaDevice, DuplicatesDuringTheUpdateAreIgnoredAndOthersGetBusy) {
  DeviceHarness h("admin");
  h.start_transfer(kHost, 0, "admin");
  size_t sent = h.udp_sent().size();
  h.datagram(kHost, kInvitation, 10);  // npm resend
  h.datagram(kHost, "200 0f6f4c7a5c5e4f56b1aedb468e102040 e4f3345d4fadbfeb895edd083c74552a\n", 11);  // 2nd listener
  EXPECT_EQ(h.udp_sent().size(), sent) << "duplicates get no answer";
  h.datagram(kOther, kInvitation, 12);
  EXPECT_EQ(h.udp_sent(&kOther), std::vector<std::string>{kBusy});
  h.datagram(kHost, "100 48266 4096 da01546d8044c9e517147aa7a6e6b8f5", 200);
  EXPECT_EQ(h.udp_sent(&kHost).back(), kBusy) << "a different request from the same socket is busy too";
  EXPECT_EQ(h.session().state(), DeviceState::receiving);
  EXPECT_EQ(h.sink.begins, 1);
}

TEST(EspotaDevice, SecondUploaderWhileWaitingForAuthIsBusyAndRateLimited) {
  DeviceHarness h("admin");
  h.datagram(kHost, kInvitation, 0);
  h.datagram(kOther, kInvitation, 1);
  h.datagram(peer(4, 1), kInvitation, 50);  // within 100 ms: suppressed
  h.datagram(peer(5, 1), kInvitation, 101);
  EXPECT_EQ(h.udp_sent(&kOther), std::vector<std::string>{kBusy});
  proto::PeerAddress fourth = peer(4, 1);
  EXPECT_TRUE(h.udp_sent(&fourth).empty());
  proto::PeerAddress fifth = peer(5, 1);
  EXPECT_EQ(h.udp_sent(&fifth), std::vector<std::string>{kBusy});
  h.answer_challenge(kHost, "admin", 200);
  EXPECT_EQ(h.udp_sent(&kHost).back(), "OK") << "the first uploader is unaffected";
}

TEST(EspotaDevice, RepeatOfAFinishedInvitationIsIgnoredForTheWindow) {
  DeviceHarness h;
  h.start_transfer(kHost, 0);
  h.data(4096, 1);
  h.tick(51);
  ASSERT_EQ(h.count(DeviceAction::finished), 1);
  h.datagram(kHost, kInvitation, 2000);
  EXPECT_EQ(h.sink.begins, 1);
  EXPECT_EQ(h.session().state(), DeviceState::idle);
  h.datagram(kHost, kInvitation, 51 + 12000);
  EXPECT_EQ(h.sink.begins, 2) << "after the window it is a new request";
}

TEST(EspotaDevice, BeginFailureIsReportedOverUdp) {  // fs-upload-no-space.txt
  DeviceHarness h;
  h.sink.begin_error = "ERROR[4]: Not Enough Space";
  h.datagram(kHost, "100 48266 4096 da01546d8044c9e517147aa7a6e6b8f5\n", 0);
  EXPECT_EQ(h.udp_sent(), std::vector<std::string>{"ERR: ERROR[4]: Not Enough Space\n"});
  EXPECT_EQ(h.sink.begins, 1);
  EXPECT_EQ(h.sink.begun_command, UpdateCommand::filesystem);
  EXPECT_EQ(h.last(DeviceAction::finished)->text, "ERROR[4]: Not Enough Space");
  EXPECT_EQ(h.count(DeviceAction::connect_tcp), 0);
  EXPECT_EQ(h.count(DeviceAction::started), 0) << "onStart only for a begun update";
  EXPECT_EQ(h.last(DeviceAction::finished)->error, OtaError::begin);
  EXPECT_EQ(h.session().state(), DeviceState::idle);
}

TEST(EspotaDevice, AResultAndAFailedBeginInOneCallKeepTheirOwnTexts) {
  DeviceHarness h;
  h.sink.end_error = "ERROR[7]: MD5 verification failed";
  h.start_transfer(kHost, 0);
  h.data(4096, 1);
  h.sink.begin_error = "ERROR[4]: Not Enough Space";
  // The result is due at 51; the next uploader's invitation comes before the timer fired.
  h.datagram(kOther, kInvitation, 60);
  std::vector<std::string> texts;
  for (const auto& e : h.events())
    if (e.action == DeviceAction::finished) texts.push_back(e.text);
  EXPECT_EQ(texts, (std::vector<std::string>{"ERROR[7]: MD5 verification failed", "ERROR[4]: Not Enough Space"}));
  EXPECT_EQ(h.tcp_sent().back(), "ERROR[7]: MD5 verification failed\n");
  EXPECT_EQ(h.udp_sent(&kOther), std::vector<std::string>{"ERR: ERROR[4]: Not Enough Space\n"});
}

TEST(EspotaDevice, AbandonAbortsAnUpdateInProgressAndNothingElse) {
  DeviceHarness h;
  h.session().abandon();
  EXPECT_EQ(h.sink.aborts, 0) << "nothing was begun";
  h.start_transfer(kHost, 0);
  h.data(1000, 1);
  size_t events = h.events().size();
  h.session().abandon();
  EXPECT_EQ(h.sink.aborts, 1);
  EXPECT_EQ(h.session().state(), DeviceState::idle);
  h.tick(100000);
  EXPECT_EQ(h.events().size(), events) << "no event follows, not even a timeout";

  DeviceHarness ended;
  ended.start_transfer(kHost, 0);
  ended.data(4096, 1);
  ASSERT_EQ(ended.session().state(), DeviceState::sending_result);
  ended.session().abandon();
  EXPECT_EQ(ended.sink.aborts, 0) << "an ended update stays staged";
}

TEST(EspotaDevice, ConnectFailureAbortsOnceWithoutEnding) {
  DeviceHarness h;
  h.datagram(kHost, kInvitation, 0);
  h.session().on_tcp_connect_failed(5);
  h.tick(5);
  h.session().on_tcp_connect_failed(6);  // a second report changes nothing
  EXPECT_EQ(h.sink.aborts, 1);
  EXPECT_EQ(h.sink.ends, 0) << "the original also raised END_ERROR here";
  EXPECT_EQ(h.count(DeviceAction::finished), 1);
  EXPECT_EQ(h.last(DeviceAction::finished)->error, OtaError::connect);
}

TEST(EspotaDevice, ConnectTimeout) {
  DeviceHarness h;
  h.datagram(kHost, kInvitation, 0);
  h.tick(4999);
  EXPECT_EQ(h.session().state(), DeviceState::connecting);
  h.tick(5000);
  EXPECT_EQ(h.last(DeviceAction::finished)->error, OtaError::connect);
  EXPECT_EQ(h.sink.aborts, 1);
}

TEST(EspotaDevice, StalledUploaderHitsTheReceiveTimeout) {
  DeviceConfig config;
  config.receive_min_bytes = 0;  // the silence alone (the rate has its own tests)
  DeviceHarness h(nullptr, config);
  h.start_transfer(kHost, 0);
  h.data(1460, 9000);
  h.tick(18999);  // data at 9000 pushed the deadline
  EXPECT_EQ(h.session().state(), DeviceState::receiving);
  h.tick(19000);
  EXPECT_EQ(h.sink.aborts, 1) << "the staged bytes are dropped at once";
  h.tick(19050);
  ASSERT_EQ(h.tcp_sent().size(), 2u);
  EXPECT_EQ(h.tcp_sent()[1],
            "ERROR[6]: Stream Read Timeout: no data for 10000 ms after 1460 of 4096 bytes\n");
  EXPECT_EQ(h.count(DeviceAction::close_tcp), 1);
  EXPECT_EQ(h.last(DeviceAction::finished)->error, OtaError::receive);
  EXPECT_EQ(h.sink.ends, 0);
}

TEST(EspotaDevice, UploaderClosingEarlyEndsTheSession) {
  DeviceHarness h;
  h.start_transfer(kHost, 0);
  h.data(2000, 1);
  h.closed(2);
  EXPECT_EQ(h.sink.aborts, 1);
  EXPECT_EQ(h.last(DeviceAction::finished)->text, "the uploader closed the connection after 2000 of 4096 bytes");
  EXPECT_EQ(h.last(DeviceAction::finished)->error, OtaError::receive);
  EXPECT_EQ(h.session().state(), DeviceState::idle);
  h.tick(100000);
  EXPECT_EQ(h.count(DeviceAction::finished), 1);
}

TEST(EspotaDevice, UpdaterWriteErrorStopsTheTransfer) {
  DeviceHarness h;
  h.sink.write_limit = 1000;
  h.start_transfer(kHost, 0);
  h.data(1460, 1);
  EXPECT_EQ(h.tcp_sent(), std::vector<std::string>{"1000"}) << "acks what was taken";
  EXPECT_EQ(h.sink.aborts, 1);
  h.data(1460, 2);
  EXPECT_EQ(h.sink.writes, 1) << "nothing more is written";
  h.tick(51);
  EXPECT_EQ(h.tcp_sent().back(), "ERROR[1]: Flash Write Failed\n");
  EXPECT_EQ(h.last(DeviceAction::finished)->error, OtaError::end);
}

TEST(EspotaDevice, Md5ErrorIsSentApartFromTheLastAck) {  // md5-mismatch-espota-hang.txt
  DeviceHarness h;
  h.sink.end_error = "ERROR[7]: MD5 verification failed: expected: x, calculated: y";
  h.start_transfer(kHost, 0);
  h.data(4096, 1);
  EXPECT_EQ(h.tcp_sent(), std::vector<std::string>{"4096"}) << "no error text in the same burst";
  h.tick(51);
  EXPECT_EQ(h.tcp_sent().back(), h.sink.end_error + "\n");
  EXPECT_FALSE(h.last(DeviceAction::finished)->success);
  EXPECT_EQ(h.sink.aborts, 0) << "a failed end() already discarded the image";
}

TEST(EspotaDevice, BytesBeyondTheAnnouncedSizeAreNotWritten) {
  DeviceHarness h;
  h.start_transfer(kHost, 0);
  h.data(5000, 1);
  EXPECT_EQ(h.sink.written.size(), 4096u);
  EXPECT_EQ(h.tcp_sent(), std::vector<std::string>{"4096"});
}

TEST(EspotaDevice, UploaderLeavingBeforeTheResultKeepsTheOutcome) {
  DeviceHarness h;
  h.start_transfer(kHost, 0);
  h.data(4096, 1);
  h.closed(10);
  EXPECT_TRUE(h.last(DeviceAction::finished)->success) << "the image is complete and verified";
  EXPECT_EQ(h.tcp_sent(), std::vector<std::string>{"4096"});
  h.tick(1000);
  EXPECT_EQ(h.count(DeviceAction::finished), 1);
}

TEST(EspotaDevice, GarbageDatagramsAreDroppedWithAReason) {
  DeviceHarness h("admin");
  const std::string garbage[] = {"", "hello", std::string(500, '7'), "0 1 1 short",
                                 "200 0f6f4c7a5c5e4f56b1aedb468e102040 e4f3345d4fadbfeb895edd083c74552a",
                                 std::string("\x00\x01\x02", 3)};
  for (const auto& g : garbage) h.datagram(kHost, g, 0);
  EXPECT_TRUE(h.udp_sent().empty());
  EXPECT_EQ(h.session().dropped_datagrams(), 6u);
  EXPECT_EQ(h.session().state(), DeviceState::idle);
  for (const auto& e : h.events()) {
    EXPECT_EQ(e.action, DeviceAction::dropped);
    EXPECT_FALSE(e.text.empty());
  }
}

TEST(EspotaDevice, InvitationFloodGetsBoundedAnswers) {
  DeviceHarness h("admin");
  h.datagram(kHost, kInvitation, 0);
  // 10000 invitations from 10000 sources within the 1 s grace of kHost's challenge: at most one
  // busy answer per 100 ms, and kHost, answering in time, keeps the device.
  for (uint32_t i = 0; i < 10000; ++i) h.datagram(peer(uint8_t(10 + i % 200), uint16_t(1000 + i)), kInvitation, i / 10);
  EXPECT_LE(h.udp_sent().size(), 1u + 10u);
  EXPECT_EQ(h.session().state(), DeviceState::waiting_auth);
  h.answer_challenge(kHost, "admin", 999);
  EXPECT_EQ(h.udp_sent(&kHost).back(), "OK");
}

TEST(EspotaDevice, LongInvitationFloodTakesOverAtMostOncePerGrace) {
  DeviceHarness h("admin");
  h.datagram(kHost, kInvitation, 0);  // never answers
  // 20000 clean sources over 2 s: each new holder keeps the device for its 1 s grace.
  for (uint32_t i = 0; i < 20000; ++i) h.datagram(peer(uint8_t(10 + i % 200), uint16_t(1000 + i)), kInvitation, i / 10);
  EXPECT_LE(h.count(DeviceAction::finished), 2) << "one take-over per second";
  EXPECT_LE(h.udp_sent().size(), 1u + 21u + 2u * 2u) << "challenges, busy answers, one busy per take-over";
}

// ---- fairness: one host's misbehaviour must not keep the others out (issue 10, item 6) ----

// An uploader on one host as espota.py / `otakit upload` behave: each run invites from a new UDP
// port, answers a challenge with its password, pushes the image once the device says OK, and ends
// when refused, told busy, or left without an answer for 10 s. It makes up to `runs_left` runs,
// retry_delay_ms apart.
class ScriptedUploader {
 public:
  ScriptedUploader(uint8_t host_id, const char* pw, uint32_t runs_allowed, uint32_t delay_ms = 1000)
      : host(host_id), password(pw), runs_left(runs_allowed), retry_delay_ms(delay_ms) {}

  uint8_t host;
  const char* password;
  uint32_t runs_left;
  uint32_t retry_delay_ms;
  uint32_t runs = 0;
  uint32_t successes = 0;

  void step(DeviceHarness& h, uint32_t now) {
    if (!running && (runs_left == 0 || !proto::time_reached(now, resume_at))) return;
    if (!running) start(h, now);
    for (auto sent = h.udp_sent(&from); seen < sent.size(); sent = h.udp_sent(&from)) {
      std::string reply = sent[seen++];
      if (reply.rfind("AUTH ", 0) == 0) {
        h.answer_challenge(from, password, now);
      } else if (reply == "OK") {
        h.connected(now);
        h.data(4096, now);
      } else {
        return end_run(now);  // "Authentication Failed" or busy
      }
    }
    if (const Recorded* done = finished_for_this_run(h)) {
      successes += done->success;
      if (done->success) runs_left = 0;
      return end_run(now);
    }
    if (proto::time_reached(now, started + 10000)) end_run(now);
  }

 private:
  uint16_t next_port = 40000;
  proto::PeerAddress from;
  size_t seen = 0;
  bool running = false;
  uint32_t started = 0;
  uint32_t resume_at = 0;

  void start(DeviceHarness& h, uint32_t now) {
    from = peer(host, next_port++);
    seen = h.udp_sent(&from).size();
    running = true;
    started = now;
    ++runs;
    --runs_left;
    h.datagram(from, kInvitation, now);
  }
  void end_run(uint32_t now) {
    running = false;
    resume_at = now + retry_delay_ms;
  }
  const Recorded* finished_for_this_run(DeviceHarness& h) const {
    const Recorded* done = h.last(DeviceAction::finished);
    return done && proto::same_peer(done->peer, from) ? done : nullptr;
  }
};

TEST(EspotaDeviceFairness, OwnerUploadsWhileAnotherHostLoopsWrongPasswords) {
  DeviceHarness h("secret");
  ScriptedUploader attacker(9, "guess", UINT32_MAX, 0);  // 10.0.0.9, a new guess as soon as refused
  ScriptedUploader owner(2, "secret", 0);                 // 10.0.0.2: `otakit upload -a secret`
  uint32_t owner_uploads = 0;
  for (uint32_t now = 0; now <= 40000; now += 10) {
    if (now % 12000 == 5000) {  // the owner starts an upload at 5 s, 17 s and 29 s
      owner.runs_left = 2;      //   (one try plus otakit upload's one retry)
      ++owner_uploads;
    }
    attacker.step(h, now);
    owner.step(h, now);
    h.tick(now);
  }
  EXPECT_EQ(owner_uploads, 3u);
  EXPECT_EQ(owner.successes, 3u) << "every upload by the owner went through";
  EXPECT_EQ(owner.runs, 3u) << "each on its first try";
  EXPECT_EQ(attacker.successes, 0u);
  EXPECT_LT(attacker.runs, 40u) << "the guesser is slowed down";
}

TEST(EspotaDeviceFairness, WrongPasswordsFromOneHostDoNotDelayAnother) {
  DeviceHarness h("secret");
  for (uint16_t i = 0; i < 3; ++i) {
    proto::PeerAddress guesser = peer(9, uint16_t(40000 + i));
    h.datagram(guesser, kInvitation, i * 20000);
    h.tick(i * 20000 + 8000);  // its penalty passes
    h.answer_challenge(guesser, "guess", i * 20000 + 8000);
  }
  proto::PeerAddress owner = peer(2, 50000);
  h.datagram(owner, kInvitation, 40010);
  ASSERT_EQ(h.session().state(), DeviceState::waiting_auth) << "challenged at once";
  h.answer_challenge(owner, "secret", 40011);
  EXPECT_EQ(h.udp_sent(&owner).back(), "OK");
}

TEST(EspotaDeviceFairness, AHostServingAPenaltyYieldsToAnother) {
  DeviceHarness h("secret");
  proto::PeerAddress guesser = peer(9, 40000);
  h.datagram(guesser, kInvitation, 0);
  h.answer_challenge(guesser, "guess", 1);
  proto::PeerAddress again = peer(9, 40001);
  h.datagram(again, kInvitation, 100);
  ASSERT_EQ(h.session().state(), DeviceState::auth_delayed);
  proto::PeerAddress owner = peer(2, 50000);
  h.datagram(owner, kInvitation, 200);
  ASSERT_EQ(h.udp_sent(&owner).size(), 1u);
  EXPECT_EQ(h.udp_sent(&owner)[0].rfind("AUTH ", 0), 0u) << "the owner is challenged, not told busy";
  EXPECT_EQ(h.udp_sent(&again), std::vector<std::string>{kBusy}) << "the guesser learns it lost the device";
  h.answer_challenge(owner, "secret", 201);
  EXPECT_EQ(h.udp_sent(&owner).back(), "OK");
}

TEST(EspotaDeviceFairness, AHostSittingOnItsChallengeYieldsAfterTheGrace) {
  DeviceHarness h("secret");
  proto::PeerAddress holder = peer(9, 40000);
  h.datagram(holder, kInvitation, 0);  // challenged, never answers
  proto::PeerAddress early = peer(2, 50000);
  h.datagram(early, kInvitation, 500);
  EXPECT_EQ(h.udp_sent(&early), std::vector<std::string>{kBusy}) << "a fresh challenge is the holder's for 1 s";
  proto::PeerAddress owner = peer(2, 50001);
  h.datagram(owner, kInvitation, 1500);
  ASSERT_EQ(h.udp_sent(&owner).size(), 1u);
  EXPECT_EQ(h.udp_sent(&owner)[0].rfind("AUTH ", 0), 0u);
  EXPECT_EQ(h.udp_sent(&holder).back(), kBusy);
  h.answer_challenge(owner, "secret", 1501);
  EXPECT_EQ(h.udp_sent(&owner).back(), "OK");
  h.answer(holder, h.udp_sent(&holder).at(0), "secret", 1600);  // too late: the device is no longer its own
  ASSERT_NE(h.last(DeviceAction::dropped), nullptr);
  EXPECT_EQ(h.last(DeviceAction::dropped)->text, "auth reply from a host that did not invite");
  EXPECT_EQ(h.sink.begins, 1);
}

TEST(EspotaDeviceFairness, ChangingTheInvitationDoesNotStretchTheAuthWait) {
  DeviceHarness h("secret");
  proto::PeerAddress holder = peer(9, 40000);
  h.datagram(holder, kInvitation, 0);
  h.datagram(holder, "0 48266 4097 da01546d8044c9e517147aa7a6e6b8f5", 900);
  proto::PeerAddress owner = peer(2, 50000);
  h.datagram(owner, kInvitation, 1100);
  EXPECT_EQ(h.udp_sent(&owner).at(0).rfind("AUTH ", 0), 0u) << "the grace counts from the first invitation";

  DeviceHarness alone("secret");
  alone.datagram(holder, kInvitation, 0);
  for (uint32_t t = 900; t < 10000; t += 900)
    alone.datagram(holder, t % 1800 ? "0 48266 4097 da01546d8044c9e517147aa7a6e6b8f5\n" : kInvitation, t);
  alone.tick(10000);
  EXPECT_EQ(alone.session().state(), DeviceState::idle) << "the auth wait ends 10 s after the first challenge";
}

TEST(EspotaDeviceFairness, AGuesserCannotTakeTheDeviceFromAnotherHost) {
  DeviceHarness h("secret");
  proto::PeerAddress guesser = peer(9, 40000);
  h.datagram(guesser, kInvitation, 0);
  h.answer_challenge(guesser, "guess", 1);  // penalised for 1 s
  proto::PeerAddress slow = peer(3, 41000);
  h.datagram(slow, kInvitation, 10);  // a clean host that lets its challenge sit
  proto::PeerAddress guesser_again = peer(9, 40001);
  h.datagram(guesser_again, kInvitation, 600);
  EXPECT_EQ(h.udp_sent(&guesser_again), std::vector<std::string>{kBusy}) << "a penalised host never takes over";
  ASSERT_EQ(h.session().state(), DeviceState::waiting_auth);
  h.answer_challenge(slow, "secret", 700);
  EXPECT_EQ(h.udp_sent(&slow).back(), "OK");
}

TEST(EspotaDeviceFairness, TricklingPeerIsCutOffByTheMinimumRate) {
  DeviceHarness h;  // defaults: at least 4096 bytes (or the rest) in every 10 s of the transfer
  h.start_transfer(kHost, 0);
  for (uint32_t now = 1000; now <= 49000; now += 1000) {
    if (now % 8000 == 0) {
      h.data(1, now);  // one byte every 8 s: never silent for the 10 s receive timeout
    } else {
      h.tick(now);
    }
  }
  ASSERT_EQ(h.count(DeviceAction::finished), 1) << "the trickle must not hold the device";
  EXPECT_EQ(h.last(DeviceAction::finished)->error, OtaError::receive);
  EXPECT_EQ(h.tcp_sent().back(),
            "ERROR[6]: Stream Read Timeout: only 1 bytes in 10000 ms (at least 4096 needed) after 1 of 4096 bytes\n");
  EXPECT_EQ(h.sink.aborts, 1);
  EXPECT_EQ(h.session().state(), DeviceState::idle);
}

TEST(EspotaDeviceFairness, SlowButSteadyTransferIsNotCutOff) {
  DeviceConfig config;
  config.receive_min_bytes = 1000;
  DeviceHarness h(nullptr, config);
  h.start_transfer(kHost, 0);
  for (uint32_t now = 9000; now <= 27000; now += 9000) h.data(1500, now);  // the last 1096 finish it
  h.tick(27000 + 50);
  ASSERT_EQ(h.count(DeviceAction::finished), 1);
  EXPECT_TRUE(h.last(DeviceAction::finished)->success) << h.last(DeviceAction::finished)->text;
}

TEST(EspotaDeviceFairness, ASteadyTrickleStillMeetsTheTotalDeadline) {
  DeviceConfig config;
  config.receive_min_bytes = 100;
  config.transfer_timeout_ms = 30000;
  DeviceHarness h(nullptr, config);
  h.start_transfer(kHost, 0);
  for (uint32_t now = 5000; now <= 30000; now += 5000) h.data(200, now);  // fast enough per window
  h.tick(30050);
  ASSERT_EQ(h.count(DeviceAction::finished), 1);
  EXPECT_EQ(h.last(DeviceAction::finished)->error, OtaError::receive);
  EXPECT_EQ(h.tcp_sent().back(),
            "ERROR[6]: Stream Read Timeout: the transfer took longer than 30000 ms after 1000 of 4096 bytes\n");
}

TEST(EspotaDeviceFairness, FailedLoginsAreCountedPerHostInABoundedTable) {
  DeviceHarness h("secret");
  // Nine hosts fail once each, a second apart; the table keeps the eight most recent.
  for (uint8_t host = 1; host <= 9; ++host) {
    proto::PeerAddress from = peer(uint8_t(100 + host), 40000);
    h.datagram(from, kInvitation, host * 1000u);
    h.answer_challenge(from, "guess", host * 1000u);
  }
  EXPECT_EQ(h.session().auth_failures(peer(101, 1), 9000), 0u) << "the oldest offender was evicted";
  for (uint8_t host = 2; host <= 9; ++host)
    EXPECT_EQ(h.session().auth_failures(peer(uint8_t(100 + host), 1), 9000), 1u) << int(host);
  EXPECT_EQ(h.session().auth_failures(peer(2, 1), 9000), 0u);
}

TEST(EspotaDeviceFairness, FailedLoginsAndTakeOversNameTheHost) {
  DeviceHarness h("secret");
  proto::PeerAddress guesser = peer(9, 40000);
  h.datagram(guesser, kInvitation, 0);
  h.answer_challenge(guesser, "guess", 1);
  const Recorded* failed = h.last(DeviceAction::finished);
  ASSERT_NE(failed, nullptr);
  EXPECT_TRUE(proto::same_peer(failed->peer, guesser));
  EXPECT_EQ(failed->text,
            "wrong password (Authentication Failed); failure 1 from this host, its next challenge waits 1000 ms");

  proto::PeerAddress again = peer(9, 40001);
  h.datagram(again, kInvitation, 10);
  const Recorded* delayed = h.last(DeviceAction::log);
  ASSERT_NE(delayed, nullptr);
  EXPECT_TRUE(proto::same_peer(delayed->peer, again));
  EXPECT_EQ(delayed->text, "challenge delayed 991 ms: this host failed to log in 1 time(s) lately");

  proto::PeerAddress owner = peer(2, 50000);
  h.datagram(owner, kInvitation, 20);
  const Recorded* taken = h.last(DeviceAction::finished);
  ASSERT_NE(taken, nullptr);
  EXPECT_TRUE(proto::same_peer(taken->peer, again));
  EXPECT_EQ(taken->text, "another uploader took the device after this one held it 10 ms without logging in");

  proto::PeerAddress other = peer(3, 41000);
  h.datagram(other, kInvitation, 30);
  const Recorded* busy = h.last(DeviceAction::log);
  ASSERT_NE(busy, nullptr);
  EXPECT_TRUE(proto::same_peer(busy->peer, other));
  EXPECT_EQ(busy->text, "answered busy: another uploader holds the device");
}

TEST(EspotaDevice, NoEntropyMeansNoChallenge) {
  DeviceHarness h("admin");
  h.random().fail = true;
  h.datagram(kHost, kInvitation, 0);
  EXPECT_TRUE(h.udp_sent().empty());
  EXPECT_EQ(h.session().state(), DeviceState::idle);
}

TEST(EspotaDevice, NoncesDifferPerSession) {
  DeviceHarness h("admin");
  h.datagram(kHost, kInvitation, 0);
  h.tick(10000);
  h.datagram(kOther, kInvitation, 10001);
  auto sent = h.udp_sent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_NE(sent[0], sent[1]);
}

TEST(EspotaDevice, UppercasePasswordHashStillMatches) {  // the original compared case-sensitively
  Hex32 upper = password_hash("admin", 5);
  for (char& c : upper.text) c = static_cast<char>(toupper(c));
  DeviceHarness h("admin", DeviceConfig(), upper.text);
  h.datagram(kHost, kInvitation, 0);
  h.answer_challenge(kHost, "admin", 1);
  EXPECT_EQ(h.udp_sent().back(), "OK");
}

TEST(EspotaDevice, MalformedPasswordHashLocksRatherThanOpens) {
  CountingRandom random;
  DeviceConfig config;
  config.password_hash = "not-a-hash";
  config.random = {&random, &CountingRandom::fill};
  otakit::testing::FakeUpdateSink sink;
  DeviceSession session(config, sink);
  EXPECT_TRUE(session.has_password()) << "a typo must not disable authentication";
}

TEST(EspotaDevice, TimersSurviveTheMillisecondCounterWrap) {
  DeviceHarness h("admin");
  uint32_t start = 0xFFFFF000u;
  h.datagram(kHost, kInvitation, start);
  h.tick(start + 9999);
  EXPECT_EQ(h.session().state(), DeviceState::waiting_auth);
  h.tick(start + 10000);  // wraps past zero
  EXPECT_EQ(h.session().state(), DeviceState::idle);
}

}  // namespace
}  // namespace otakit::espota
