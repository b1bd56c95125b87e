// Transcript tests: the recorded espota.py <-> ArduinoOTA exchanges replayed against our device
// session (playing ArduinoOTA) and our host session (playing espota.py). Every byte our side sends
// must equal what the original sent; the recordings are the authority.
#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

#include "core/espota/device_session.h"
#include "core/espota/host_session.h"
#include "core/crypto/digest.h"
#include "core/util/hex.h"
#include "tests/core/espota_transcript.h"
#include "tests/core/fake_update_sink.h"

namespace otakit::espota {
namespace {

using testing::load_transcript;
using testing::RecordedMessage;
using testing::Transcript;

struct Scenario {
  const char* name;
  const char* device_password;  // nullptr: no password on the device
  const char* host_password;    // what espota.py was given (-a), "" when none
  UploadOutcome outcome;
  int device_error;  // n of ERROR[n] the host should report, -1 when none
};

// gtest prints the scenario's name instead of its bytes.
void PrintTo(const Scenario& s, std::ostream* os) { *os << s.name; }

const Scenario kScenarios[] = {
    {"noauth-upload", nullptr, "", UploadOutcome::ok, -1},
    {"auth-upload", "admin", "admin", UploadOutcome::ok, -1},
    {"wrong-password", "admin", "wrongpass", UploadOutcome::auth_failed, -1},
    {"auth-missing-password", "admin", "", UploadOutcome::auth_failed, -1},
    {"bad-magic", nullptr, "", UploadOutcome::device_rejected, 10},
    {"md5-mismatch", nullptr, "", UploadOutcome::device_rejected, 7},
    {"md5-mismatch-espota-hang", nullptr, "", UploadOutcome::device_rejected, 7},
    {"fs-upload-no-space", nullptr, "", UploadOutcome::device_rejected, 4},
    {"noauth-upload-300001", nullptr, "", UploadOutcome::ok, -1},
    {"signed-device-signed-upload", nullptr, "", UploadOutcome::ok, -1},
    {"signed-device-signed-upload-300001", nullptr, "", UploadOutcome::ok, -1},
    {"signed-device-unsigned-upload", nullptr, "", UploadOutcome::device_rejected, 12},
    {"signed-device-legacy-upload", nullptr, "", UploadOutcome::device_rejected, 12},
    {"signed-device-tampered-upload", nullptr, "", UploadOutcome::device_rejected, 12},
};

const uint8_t kLoopback[4] = {127, 0, 0, 1};

proto::PeerAddress loopback(uint16_t port) {
  proto::PeerAddress address;
  memcpy(address.ip, kLoopback, 4);
  address.ip_length = 4;
  address.port = port;
  return address;
}

const uint8_t* bytes_of(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

// Hands out fixed bytes as "random": the recorded nonce or cnonce, so our output can match.
struct FixedRandom {
  std::vector<uint8_t> bytes;
  static bool fill(void* ctx, uint8_t* out, size_t len) {
    auto* self = static_cast<FixedRandom*>(ctx);
    if (self->bytes.size() != len) return false;
    memcpy(out, self->bytes.data(), len);
    return true;
  }
};

std::vector<uint8_t> hex_bytes(const std::string& hex) {
  std::vector<uint8_t> out(hex.size() / 2);
  EXPECT_TRUE(from_hex(hex.c_str(), out.size(), out.data()));
  return out;
}

std::string strip_newline(std::string s) {
  if (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

// ---- device side: our DeviceSession answers espota.py's recorded messages -------------------

struct DeviceReplay {
  std::vector<std::string> udp_out;
  std::vector<std::string> tcp_out;
  otakit::testing::FakeUpdateSink sink;
  bool finished = false;
  bool success = false;
  bool connect_requested = false;
};

// The Updater answers what the recorded device answered: its begin error (over UDP) or end error
// (over TCP).
void replay_device(const Transcript& t, const Scenario& s, DeviceReplay& out) {
  FixedRandom random;
  for (const auto& m : t.from_device(true)) {
    if (m.bytes.rfind("AUTH ", 0) == 0) random.bytes = hex_bytes(m.bytes.substr(5));
    if (m.bytes.rfind("ERR: ", 0) == 0) out.sink.begin_error = strip_newline(m.bytes.substr(5));
  }
  for (const auto& m : t.from_device(false))
    if (m.bytes.rfind("ERROR", 0) == 0) out.sink.end_error = strip_newline(m.bytes);

  Hex32 hash;
  if (s.device_password) hash = password_hash(s.device_password, strlen(s.device_password));
  DeviceConfig config;
  config.password_hash = s.device_password ? hash.text : nullptr;
  config.random = {&random, &FixedRandom::fill};
  config.result_delay_ms = 50;
  DeviceSession device(config, out.sink);

  uint32_t now = 0;
  Invitation invitation;
  auto drain = [&] {
    DeviceEvent e;
    while (device.poll(&e)) {
      switch (e.action) {
        case DeviceAction::send_udp:
          out.udp_out.emplace_back(reinterpret_cast<const char*>(e.data), e.len);
          break;
        case DeviceAction::connect_tcp:
          out.connect_requested = true;
          EXPECT_EQ(e.peer.port, invitation.port);
          break;
        case DeviceAction::tcp_send:
          out.tcp_out.emplace_back(reinterpret_cast<const char*>(e.data), e.len);
          break;
        case DeviceAction::finished:
          EXPECT_FALSE(out.finished) << "finished twice";
          out.finished = true;
          out.success = e.success;
          break;
        default:
          break;
      }
    }
  };
  for (const RecordedMessage& m : t.from_uploader(true)) {
    if (parse_invitation(bytes_of(m.bytes), m.bytes.size(), &invitation) == InvitationError::ok) break;
  }
  for (const RecordedMessage& m : t.messages) {
    if (!m.from_uploader) continue;
    now = m.time_ms;
    if (m.udp) {
      device.on_datagram(loopback(m.uploader_port), bytes_of(m.bytes), m.bytes.size(), now);
    } else {
      if (device.state() == DeviceState::connecting) device.on_tcp_connected(now);
      device.on_tcp_data(bytes_of(m.bytes), m.bytes.size(), now);
    }
    drain();
  }
  device.on_tick(now + config.result_delay_ms);
  drain();
  EXPECT_FALSE(device.queue_overflowed());
  if (out.sink.begins > 0) {
    EXPECT_EQ(out.sink.begins, 1);
    EXPECT_EQ(out.sink.begun_size, invitation.size);
    EXPECT_EQ(out.sink.begun_md5, invitation.md5);
    EXPECT_EQ(static_cast<uint16_t>(out.sink.begun_command), static_cast<uint16_t>(invitation.command));
  }
}

class EspotaTranscript : public ::testing::TestWithParam<Scenario> {};

TEST_P(EspotaTranscript, DeviceSessionAnswersByteForByteLikeArduinoOTA) {
  const Scenario& s = GetParam();
  Transcript t = load_transcript(s.name);
  DeviceReplay replay;
  replay_device(t, s, replay);

  std::vector<std::string> recorded_udp;
  for (const auto& m : t.from_device(true)) recorded_udp.push_back(m.bytes);
  std::vector<std::string> recorded_tcp;
  for (const auto& m : t.from_device(false)) recorded_tcp.push_back(m.bytes);
  EXPECT_EQ(replay.udp_out, recorded_udp);
  EXPECT_EQ(replay.tcp_out, recorded_tcp);
  EXPECT_EQ(replay.connect_requested, !recorded_tcp.empty());

  std::string uploaded;
  for (const auto& m : t.from_uploader(false)) uploaded += m.bytes;
  EXPECT_EQ(replay.sink.written, uploaded) << "the bytes handed to the Updater are the bytes sent";
  EXPECT_TRUE(replay.finished);
  EXPECT_EQ(replay.success, s.outcome == UploadOutcome::ok);
}

// ---- host side: our HostSession drives the recorded device answers -------------------------

struct PendingOutput {
  bool udp;
  std::string bytes;  // send_udp
  uint32_t offset;    // send_data
  size_t len;
};

TEST_P(EspotaTranscript, HostSessionSendsWhatEspotaSentAndReachesTheOutcome) {
  const Scenario& s = GetParam();
  Transcript t = load_transcript(s.name);
  const RecordedMessage& first = t.messages.front();
  Invitation invitation;
  ASSERT_EQ(parse_invitation(bytes_of(first.bytes), first.bytes.size(), &invitation), InvitationError::ok);

  FixedRandom random;
  for (const auto& m : t.from_uploader(true))
    if (m.bytes.rfind("200 ", 0) == 0) random.bytes = hex_bytes(m.bytes.substr(4, 32));

  HostConfig config;
  config.command = invitation.command;
  config.listen_port = invitation.port;
  config.size = invitation.size;
  memcpy(config.md5, invitation.md5, sizeof(config.md5));
  config.device = loopback(8266);
  config.password = s.host_password;
  config.password_length = strlen(s.host_password);
  config.random = {&random, &FixedRandom::fill};
  config.stop_and_wait = true;
  HostSession host(config);

  std::deque<PendingOutput> pending;
  bool finished = false;
  HostEvent result;
  auto drain = [&] {
    HostEvent e;
    while (host.poll(&e)) {
      if (e.action == HostAction::send_udp)
        pending.push_back({true, std::string(reinterpret_cast<const char*>(e.data), e.len), 0, 0});
      if (e.action == HostAction::send_data) pending.push_back({false, {}, e.offset, e.len});
      if (e.action == HostAction::finished) {
        EXPECT_FALSE(finished);
        finished = true;
        result = e;
      }
    }
  };

  uint32_t now = first.time_ms;
  host.start(now);
  drain();
  for (const RecordedMessage& m : t.messages) {
    now = m.time_ms;
    if (!m.udp && host.state() == HostState::waiting_connection) {
      ASSERT_TRUE(host.on_tcp_connected(loopback(40000), now));
      drain();
    }
    if (m.from_uploader) {
      ASSERT_EQ(pending.size(), 1u) << "espota.py sent one message here; stop-and-wait must too";
      PendingOutput out = pending.front();
      pending.pop_front();
      ASSERT_EQ(out.udp, m.udp);
      if (m.udp) {
        EXPECT_EQ(out.bytes, m.bytes);
      } else {
        EXPECT_EQ(out.offset, m.stream_offset);
        EXPECT_EQ(out.len, m.bytes.size());
        host.on_data_sent(static_cast<uint32_t>(out.len), now);
        drain();
      }
    } else if (m.udp) {
      host.on_datagram(loopback(8266), bytes_of(m.bytes), m.bytes.size(), now);
      drain();
    } else {
      host.on_tcp_data(bytes_of(m.bytes), m.bytes.size(), now);
      drain();
    }
  }
  if (t.device_closed_tcp && !finished) {
    host.on_tcp_closed(now);
    drain();
  }
  ASSERT_TRUE(finished) << "the host must reach a result (espota.py hangs in md5-mismatch-espota-hang)";
  EXPECT_EQ(result.outcome, s.outcome) << result.text;
  EXPECT_EQ(result.device_error, s.device_error);
  EXPECT_TRUE(pending.empty());
  EXPECT_FALSE(host.queue_overflowed());
}

// espota.py hung when "1176" and the error text arrived in one recv(); we must not care how the
// device's bytes are split. Feed every recording's device stream in one piece and byte by byte.
TEST_P(EspotaTranscript, HostResultDoesNotDependOnReadBoundaries) {
  const Scenario& s = GetParam();
  Transcript t = load_transcript(s.name);
  std::string stream;
  for (const auto& m : t.from_device(false)) stream += m.bytes;
  if (stream.empty()) {  // refused over UDP: nothing to read
    EXPECT_NE(s.outcome, UploadOutcome::ok);
    return;
  }
  uint32_t size = 0;
  for (const auto& m : t.from_uploader(false)) size += static_cast<uint32_t>(m.bytes.size());

  for (size_t piece : {stream.size(), size_t(1), size_t(3)}) {
    DeviceStreamParser parser;
    for (size_t i = 0; i < stream.size(); i += piece)
      parser.feed(bytes_of(stream) + i, std::min(piece, stream.size() - i), size);
    if (t.device_closed_tcp) parser.finish();
    if (s.outcome == UploadOutcome::ok) {
      EXPECT_EQ(parser.result(), StreamResult::ok);
    } else {
      EXPECT_EQ(parser.result(), StreamResult::error);
      EXPECT_EQ(parser.error_code(), s.device_error);
    }
  }
}

// With espota.py's pacing the bound "acked <= sent" is tight, so joined or split acks still add
// up exactly: feed each recorded ack byte by byte with the bytes sent before it.
TEST_P(EspotaTranscript, AckTotalsAreExactUnderStopAndWait) {
  Transcript t = load_transcript(GetParam().name);
  DeviceStreamParser parser;
  uint32_t sent = 0;
  uint32_t acked_by_device = 0;
  for (const auto& m : t.messages) {
    if (m.udp) continue;
    if (m.from_uploader) {
      sent += static_cast<uint32_t>(m.bytes.size());
      continue;
    }
    if (m.bytes[0] >= '0' && m.bytes[0] <= '9') acked_by_device += static_cast<uint32_t>(std::stoul(m.bytes));
    for (char c : m.bytes) parser.feed(reinterpret_cast<const uint8_t*>(&c), 1, sent);
    EXPECT_EQ(parser.acked_estimate(), acked_by_device);
  }
}

TEST(EspotaTranscriptLoader, RebuildsTheImageBytesAndKeepsExactText) {
  Transcript t = load_transcript("noauth-upload");
  ASSERT_EQ(t.messages.size(), 9u);
  std::string image;
  for (const auto& m : t.from_uploader(false)) image += m.bytes;
  char hex[crypto::kMd5HexSize];
  crypto::md5_hex(image.data(), image.size(), hex);
  EXPECT_STREQ(hex, "da01546d8044c9e517147aa7a6e6b8f5") << "segments rebuilt from vectors/signing/fw_4096.bin";
  EXPECT_EQ(t.messages[0].bytes, "0 48266 4096 da01546d8044c9e517147aa7a6e6b8f5\n");
  EXPECT_EQ(t.messages.back().bytes, "OK");
  EXPECT_TRUE(t.device_closed_tcp);
  Transcript mismatch = load_transcript("md5-mismatch");
  EXPECT_EQ(mismatch.messages.back().bytes,
            "ERROR[7]: MD5 verification failed: expected: cc74f6752ba65a987165c65f9986040b, calculated: "
            "da01546d8044c9e517147aa7a6e6b8f5\n");
  EXPECT_EQ(load_transcript("noauth-upload-300001").from_uploader(false).size(), 206u);
}

std::string scenario_name(const ::testing::TestParamInfo<Scenario>& info) {
  std::string name = info.param.name;
  for (char& c : name)
    if (c == '-') c = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Recordings, EspotaTranscript, ::testing::ValuesIn(kScenarios), scenario_name);

}  // namespace
}  // namespace otakit::espota
