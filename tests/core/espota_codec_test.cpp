// The espota codec: invitation and auth-reply parsing (one test per malformed case), the AUTH
// arithmetic against the recorded exchanges, the UDP replies, acks and the result stream parser.
#include <gtest/gtest.h>

#include <string>

#include "core/espota/auth.h"
#include "core/espota/invitation.h"
#include "core/espota/replies.h"
#include "core/espota/result_stream.h"

namespace otakit::espota {
namespace {

const uint8_t* bytes_of(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

InvitationError parse(const std::string& text, Invitation* out = nullptr) {
  Invitation scratch;
  return parse_invitation(bytes_of(text), text.size(), out ? out : &scratch);
}

const char kMd5[] = "da01546d8044c9e517147aa7a6e6b8f5";

TEST(EspotaInvitation, ParsesEspotaPyAndNpmForms) {
  Invitation inv;
  ASSERT_EQ(parse("0 48266 4096 da01546d8044c9e517147aa7a6e6b8f5\n", &inv), InvitationError::ok);
  EXPECT_EQ(inv.command, Command::flash);
  EXPECT_EQ(inv.port, 48266);
  EXPECT_EQ(inv.size, 4096u);
  EXPECT_STREQ(inv.md5, kMd5);
  // npm esp-ota sends no newline; "\r\n" is tolerated too.
  EXPECT_EQ(parse("100 1 1 da01546d8044c9e517147aa7a6e6b8f5", &inv), InvitationError::ok);
  EXPECT_EQ(inv.command, Command::filesystem);
  EXPECT_EQ(parse("0 65535 2147483647 DA01546D8044C9E517147AA7A6E6B8F5\r\n", &inv), InvitationError::ok);
  EXPECT_STREQ(inv.md5, kMd5) << "the md5 is stored lowercase";
}

TEST(EspotaInvitation, FormatsExactlyLikeEspotaPy) {
  Invitation inv;
  inv.command = Command::filesystem;
  inv.port = 48266;
  inv.size = 4096;
  memcpy(inv.md5, kMd5, 33);
  char out[kMaxRequestDatagram + 1];
  size_t n = format_invitation(inv, out, sizeof(out));
  EXPECT_EQ(std::string(out, n), "100 48266 4096 da01546d8044c9e517147aa7a6e6b8f5\n");
  EXPECT_EQ(format_invitation(inv, out, 10), 0u) << "refuses a buffer that is too small";
  Invitation back;
  ASSERT_EQ(parse(std::string(out, n), &back), InvitationError::ok);
  EXPECT_EQ(back, inv);
}

struct Malformed {
  const char* text;
  InvitationError error;
};

class EspotaInvitationMalformed : public ::testing::TestWithParam<Malformed> {};

TEST_P(EspotaInvitationMalformed, IsDroppedWithItsReason) {
  EXPECT_EQ(parse(GetParam().text), GetParam().error) << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, EspotaInvitationMalformed,
    ::testing::Values(Malformed{"", InvitationError::empty},
                      Malformed{"x 1 1 da01546d8044c9e517147aa7a6e6b8f5", InvitationError::bad_command},
                      Malformed{" 0 1 1 da01546d8044c9e517147aa7a6e6b8f5", InvitationError::bad_command},
                      Malformed{"-1 1 1 da01546d8044c9e517147aa7a6e6b8f5", InvitationError::bad_command},
                      Malformed{"00 1 1 da01546d8044c9e517147aa7a6e6b8f5", InvitationError::bad_command},
                      Malformed{"1000 1 1 da01546d8044c9e517147aa7a6e6b8f5", InvitationError::bad_command},
                      Malformed{"1 1 1 da01546d8044c9e517147aa7a6e6b8f5", InvitationError::unknown_command},
                      Malformed{"300 1 1 da01546d8044c9e517147aa7a6e6b8f5", InvitationError::unknown_command},
                      Malformed{"200 0f6f4c7a5c5e4f56b1aedb468e102040 e4f3345d4fadbfeb895edd083c74552a\n",
                                InvitationError::is_auth_reply},
                      Malformed{"0", InvitationError::missing_field},
                      Malformed{"0 ", InvitationError::missing_field},
                      Malformed{"0 1", InvitationError::missing_field},
                      Malformed{"0 1 1", InvitationError::missing_field},
                      Malformed{"0 1 1 ", InvitationError::missing_field},
                      Malformed{"0  1 1 da01546d8044c9e517147aa7a6e6b8f5", InvitationError::bad_port},
                      Malformed{"0\t1 1 da01546d8044c9e517147aa7a6e6b8f5", InvitationError::bad_separator},
                      Malformed{"0 0 1 da01546d8044c9e517147aa7a6e6b8f5", InvitationError::bad_port},
                      Malformed{"0 65536 1 da01546d8044c9e517147aa7a6e6b8f5", InvitationError::bad_port},
                      Malformed{"0 99999999999999999999 1 da01546d8044c9e517147aa7a6e6b8f5", InvitationError::bad_port},
                      Malformed{"0 1 0 da01546d8044c9e517147aa7a6e6b8f5", InvitationError::bad_size},
                      Malformed{"0 1 2147483648 da01546d8044c9e517147aa7a6e6b8f5", InvitationError::bad_size},
                      Malformed{"0 1 1x da01546d8044c9e517147aa7a6e6b8f5", InvitationError::bad_separator},
                      Malformed{"0 1 1 da01546d8044c9e517147aa7a6e6b8f", InvitationError::bad_md5},
                      Malformed{"0 1 1 da01546d8044c9e517147aa7a6e6b8f5a", InvitationError::bad_md5},
                      Malformed{"0 1 1 zz01546d8044c9e517147aa7a6e6b8f5", InvitationError::bad_md5},
                      Malformed{"0 1 1 da01546d8044c9e517147aa7a6e6b8f5 extra", InvitationError::trailing_bytes},
                      Malformed{"0 1 1 da01546d8044c9e517147aa7a6e6b8f5\n\n", InvitationError::trailing_bytes},
                      Malformed{"0 1 1 da01546d8044c9e517147aa7a6e6b8f5\r", InvitationError::trailing_bytes}));

TEST(EspotaInvitation, NulInsideAndOversizedDatagramsAreDropped) {
  std::string with_nul("0 1 1 da01546d8044c9e517147aa7a6e6b8f5", 38);
  with_nul[10] = '\0';
  EXPECT_EQ(parse(with_nul), InvitationError::bad_md5);
  EXPECT_EQ(parse(std::string(kMaxRequestDatagram + 1, '0')), InvitationError::too_long);
  for (int e = 0; e <= static_cast<int>(InvitationError::trailing_bytes); ++e)
    EXPECT_STRNE(describe(static_cast<InvitationError>(e)), "unknown");
}

// From vectors/espota/auth-upload.txt: password "admin".
TEST(EspotaAuth, ResponseMatchesTheRecordedExchange) {
  Hex32 hash = password_hash("admin", 5);
  EXPECT_STREQ(hash.text, "21232f297a57a5a743894a0e4a801fc3");
  Hex32 nonce, cnonce;
  memcpy(nonce.text, "773bd647c1f445a46045ef3cea926e48", 33);
  memcpy(cnonce.text, "0f6f4c7a5c5e4f56b1aedb468e102040", 33);
  EXPECT_STREQ(auth_response(hash, nonce, cnonce).text, "e4f3345d4fadbfeb895edd083c74552a");
  // auth-missing-password.txt: espota.py without -a hashes the empty string.
  EXPECT_STREQ(password_hash("", 0).text, "d41d8cd98f00b204e9800998ecf8427e");
}

TEST(EspotaAuth, CompareIsCaseInsensitiveAndExact) {
  Hex32 a, b;
  memcpy(a.text, "e4f3345d4fadbfeb895edd083c74552a", 33);
  memcpy(b.text, "E4F3345D4FADBFEB895EDD083C74552A", 33);
  EXPECT_TRUE(auth_response_matches(a, b));
  b.text[31] = 'B';
  EXPECT_FALSE(auth_response_matches(a, b));
}

TEST(EspotaAuth, PasswordHashIsNormalisedToLowercase) {
  Hex32 out;
  ASSERT_TRUE(normalize_password_hash("21232F297A57A5A743894A0E4A801FC3", 32, &out));
  EXPECT_STREQ(out.text, "21232f297a57a5a743894a0e4a801fc3");
  EXPECT_FALSE(normalize_password_hash("21232f297a57a5a743894a0e4a801fc", 31, &out));
  EXPECT_FALSE(normalize_password_hash("21232f297a57a5a743894a0e4a801fcg", 32, &out));
}

TEST(EspotaAuth, ChallengeAndReplyRoundTrip) {
  uint8_t random[kNonceRandomBytes];
  for (size_t i = 0; i < sizeof(random); ++i) random[i] = uint8_t(0x77 + 13 * i);
  Hex32 nonce = nonce_from_random(random);
  EXPECT_EQ(strlen(nonce.text), 32u);
  char out[80];
  size_t n = format_auth_challenge(nonce, out, sizeof(out));
  ASSERT_EQ(n, 37u);
  EXPECT_EQ(std::string(out, 5), "AUTH ");
  Hex32 parsed;
  ASSERT_TRUE(parse_auth_challenge(reinterpret_cast<uint8_t*>(out), n, &parsed));
  EXPECT_STREQ(parsed.text, nonce.text);
  EXPECT_FALSE(parse_auth_challenge(reinterpret_cast<uint8_t*>(out), n - 1, &parsed));
  EXPECT_EQ(format_auth_challenge(nonce, out, 37), 0u);

  AuthReply reply;
  memcpy(reply.cnonce.text, "0f6f4c7a5c5e4f56b1aedb468e102040", 33);
  memcpy(reply.response.text, "e4f3345d4fadbfeb895edd083c74552a", 33);
  n = format_auth_reply(reply, out, sizeof(out));
  EXPECT_EQ(std::string(out, n), "200 0f6f4c7a5c5e4f56b1aedb468e102040 e4f3345d4fadbfeb895edd083c74552a\n");
  AuthReply back;
  ASSERT_EQ(parse_auth_reply(reinterpret_cast<uint8_t*>(out), n, &back), AuthReplyError::ok);
  EXPECT_STREQ(back.cnonce.text, reply.cnonce.text);
  EXPECT_STREQ(back.response.text, reply.response.text);
}

struct MalformedReply {
  const char* text;
  AuthReplyError error;
};
class EspotaAuthReplyMalformed : public ::testing::TestWithParam<MalformedReply> {};

TEST_P(EspotaAuthReplyMalformed, IsDroppedWithItsReason) {
  std::string text = GetParam().text;
  AuthReply reply;
  EXPECT_EQ(parse_auth_reply(bytes_of(text), text.size(), &reply), GetParam().error) << text;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, EspotaAuthReplyMalformed,
    ::testing::Values(
        MalformedReply{"", AuthReplyError::empty},
        MalformedReply{"0 0f6f4c7a5c5e4f56b1aedb468e102040 e4f3345d4fadbfeb895edd083c74552a", AuthReplyError::not_auth_command},
        MalformedReply{"2000 0f6f4c7a5c5e4f56b1aedb468e102040 e4f3345d4fadbfeb895edd083c74552a", AuthReplyError::not_auth_command},
        MalformedReply{"200", AuthReplyError::missing_field},
        MalformedReply{"200 0f6f4c7a5c5e4f56b1aedb468e102040", AuthReplyError::missing_field},
        MalformedReply{"200 0f6f4c7a5c5e4f56b1aedb468e102040 ", AuthReplyError::missing_field},
        MalformedReply{"200_0f6f4c7a5c5e4f56b1aedb468e102040 e4f3345d4fadbfeb895edd083c74552a", AuthReplyError::bad_separator},
        MalformedReply{"200 0f6f4c7a5c5e4f56b1aedb468e10204 e4f3345d4fadbfeb895edd083c74552a", AuthReplyError::bad_cnonce},
        MalformedReply{"200 0f6f4c7a5c5e4f56b1aedb468e10204g e4f3345d4fadbfeb895edd083c74552a", AuthReplyError::bad_cnonce},
        MalformedReply{"200 0f6f4c7a5c5e4f56b1aedb468e102040 e4f3345d4fadbfeb895edd083c74552", AuthReplyError::bad_response},
        MalformedReply{"200 0f6f4c7a5c5e4f56b1aedb468e102040 e4f3345d4fadbfeb895edd083c74552a!", AuthReplyError::bad_response},
        MalformedReply{"200 0f6f4c7a5c5e4f56b1aedb468e102040 e4f3345d4fadbfeb895edd083c74552a x", AuthReplyError::trailing_bytes}));

TEST(EspotaReplies, UdpRepliesAreClassified) {
  auto parse_reply = [](const std::string& s) { return parse_udp_reply(bytes_of(s), s.size()); };
  EXPECT_EQ(parse_reply("OK").kind, UdpReplyKind::ok);
  EXPECT_EQ(parse_reply("OK\n").kind, UdpReplyKind::unknown) << "espota.py needs exactly OK";
  EXPECT_EQ(parse_reply("Authentication Failed").kind, UdpReplyKind::auth_failed);
  UdpReply auth = parse_reply("AUTH 773bd647c1f445a46045ef3cea926e48");
  EXPECT_EQ(auth.kind, UdpReplyKind::auth_challenge);
  EXPECT_STREQ(auth.nonce.text, "773bd647c1f445a46045ef3cea926e48");
  EXPECT_EQ(parse_reply("AUTH 773bd647").kind, UdpReplyKind::unknown);
  UdpReply err = parse_reply("ERR: ERROR[4]: Not Enough Space\n");  // fs-upload-no-space.txt
  EXPECT_EQ(err.kind, UdpReplyKind::device_error);
  EXPECT_EQ(err.error_code, 4);
  EXPECT_EQ(parse_reply("ERR: something").error_code, -1);
  EXPECT_EQ(parse_reply("hello").kind, UdpReplyKind::unknown);
  EXPECT_EQ(parse_reply("").kind, UdpReplyKind::unknown);
}

TEST(EspotaReplies, ErrorReplyAndAcksAreByteExact) {
  char out[64];
  size_t n = format_error_reply("ERROR[4]: Not Enough Space", out, sizeof(out));
  EXPECT_EQ(std::string(out, n), "ERR: ERROR[4]: Not Enough Space\n");
  n = format_error_reply("ERROR[4]: Not Enough Space", out, 8);
  EXPECT_EQ(std::string(out, n), "ERR: ER") << "truncates, never overflows";
  char ack[11];
  EXPECT_EQ(std::string(ack, format_ack(1460, ack)), "1460");
  EXPECT_EQ(std::string(ack, format_ack(4294967295u, ack)), "4294967295");
  EXPECT_EQ(parse_error_code("ERROR[12]: Signature verification failed", 40), 12);
  EXPECT_EQ(parse_error_code("ERROR[]: x", 10), -1);
  EXPECT_EQ(parse_error_code("ERROR[1234]: x", 14), -1);
  EXPECT_EQ(parse_error_code("ERROR[7", 7), -1);
}

std::string feed_all(DeviceStreamParser& parser, const std::string& s, uint32_t sent) {
  parser.feed(bytes_of(s), s.size(), sent);
  return parser.text();
}

TEST(EspotaResultStream, JoinedAcksThenOk) {
  DeviceStreamParser p;
  feed_all(p, "146014601176", 4096);
  EXPECT_EQ(p.result(), StreamResult::pending);
  EXPECT_EQ(p.acked_estimate(), 4096u);
  EXPECT_EQ(p.ack_digits(), 12u);
  feed_all(p, "OK", 4096);
  EXPECT_EQ(p.result(), StreamResult::ok);
}

TEST(EspotaResultStream, AckSplitAcrossReads) {
  DeviceStreamParser p;
  feed_all(p, "14", 1460);
  EXPECT_EQ(p.acked_estimate(), 14u) << "a partial count is not yet more than it says";
  feed_all(p, "60", 1460);
  EXPECT_EQ(p.acked_estimate(), 1460u);
  feed_all(p, "1000460", 2920);  // the device read the next chunk in two pieces
  EXPECT_EQ(p.acked_estimate(), 2920u);
}

TEST(EspotaResultStream, AckEstimateNeverExceedsWhatWasSent) {
  DeviceStreamParser p;
  feed_all(p, "99999", 100);
  EXPECT_LE(p.acked_estimate(), 100u);
}

TEST(EspotaResultStream, ErrorJoinedWithTheLastAck) {  // md5-mismatch-espota-hang.txt
  DeviceStreamParser p;
  feed_all(p, "1176ERROR[7]: MD5 verification f", 4096);
  EXPECT_EQ(p.result(), StreamResult::pending);
  EXPECT_TRUE(p.error_started());
  feed_all(p, "ailed\n", 4096);
  EXPECT_EQ(p.result(), StreamResult::error);
  EXPECT_EQ(p.error_code(), 7);
  EXPECT_STREQ(p.text(), "ERROR[7]: MD5 verification failed");
}

TEST(EspotaResultStream, ErrorWithoutNewlineCompletesOnClose) {
  DeviceStreamParser p;
  feed_all(p, "ERROR[10]: Magic byte is not 0xE9", 10);
  EXPECT_EQ(p.result(), StreamResult::pending);
  p.finish();
  EXPECT_EQ(p.result(), StreamResult::error);
  EXPECT_EQ(p.error_code(), 10);
}

TEST(EspotaResultStream, GarbageIsMalformed) {
  DeviceStreamParser a;
  feed_all(a, "1460x", 1460);
  EXPECT_EQ(a.result(), StreamResult::malformed);
  EXPECT_STREQ(a.text(), "x");
  DeviceStreamParser b;
  feed_all(b, "OX", 0);
  EXPECT_EQ(b.result(), StreamResult::malformed);
  DeviceStreamParser c;
  feed_all(c, "O", 0);
  c.finish();
  EXPECT_EQ(c.result(), StreamResult::malformed) << "a lone O is not OK";
  DeviceStreamParser d;
  std::string binary("\x01\xff", 2);
  feed_all(d, binary, 0);
  EXPECT_EQ(d.result(), StreamResult::malformed);
  EXPECT_STREQ(d.text(), "?") << "non-printable bytes are masked";
}

TEST(EspotaResultStream, LongErrorTextIsTruncatedNotOverflowed) {
  DeviceStreamParser p;
  std::string text = "ERROR[1]: " + std::string(1000, 'x') + "\n";
  feed_all(p, text, 0);
  EXPECT_EQ(p.result(), StreamResult::error);
  EXPECT_EQ(strlen(p.text()), DeviceStreamParser::kMaxText);
}

}  // namespace
}  // namespace otakit::espota
