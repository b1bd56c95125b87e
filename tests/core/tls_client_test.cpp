// core/tls against a real OpenSSL 3 server on loopback: the three trust modes, the certificate
// failures each must report, the maximum fragment length both when the server honours it and
// when it ignores it, closes, and bytes that are not TLS.
#include <gtest/gtest.h>

#include <cstring>
#include <ctime>
#include <iostream>
#include <string>

#include "core/tls/tls_client.h"
#include "platform/posix/trust_anchors.h"
#include "tests/core/tls_test_peer.h"
#include "tests/core/tls_test_pki.h"

namespace otakit::tls {
namespace {

using testing::CertSpec;
using testing::Identity;
using testing::KeyType;
using testing::LoopbackSession;
using testing::ServerContext;

constexpr uint8_t kEntropy[kEntropySize] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                            17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

uint64_t now() { return uint64_t(std::time(nullptr)); }

// The certificates every test uses, made once: key generation is the slow part.
struct Pki {
  Identity ca = testing::make_identity(CertSpec{"OTAKit test CA", "", -86400, 3650 * 86400, true});
  Identity server = testing::make_identity(CertSpec{}, &ca);
  Identity rsa_server = testing::make_identity(CertSpec{"localhost", "DNS:localhost", -86400, 30 * 86400, false,
                                                        KeyType::rsa_2048}, &ca);
  Identity expired = testing::make_identity(CertSpec{"localhost", "DNS:localhost", -30 * 86400, -86400}, &ca);
  Identity not_yet_valid = testing::make_identity(CertSpec{"localhost", "DNS:localhost", 86400, 30 * 86400}, &ca);
  Identity other_host = testing::make_identity(CertSpec{"other.example", "DNS:other.example"}, &ca);
  Identity self_signed = testing::make_identity(CertSpec{});
  posix::TrustAnchors anchors = posix::TrustAnchors::from_pem(testing::pem(ca.cert.get()));
};

class TlsClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { pki_ = new Pki; }
  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
  }

  static TlsClientConfig anchors_config() {
    TlsClientConfig config;
    config.server_name = "localhost";
    config.anchors = pki_->anchors.data();
    config.anchor_count = pki_->anchors.size();
    return config;
  }
  static TlsClientConfig pin_config(const Identity& id) {
    TlsClientConfig config;
    config.server_name = "localhost";
    config.mode = TrustMode::public_key_pin;
    testing::Bytes pin = testing::public_key_pin(id);
    memcpy(config.public_key_sha256, pin.data(), pin.size());
    return config;
  }
  static TlsClientConfig fingerprint_config(const Identity& id) {
    TlsClientConfig config;
    config.server_name = "localhost";
    config.mode = TrustMode::sha1_fingerprint;
    testing::Bytes fingerprint = testing::sha1_fingerprint(id);
    memcpy(config.certificate_sha1, fingerprint.data(), fingerprint.size());
    return config;
  }

  // A handshake against `server_id` (with the CA in its chain); the client's error when it fails.
  TlsError handshake_error(const TlsClientConfig& config, const Identity& server_id, size_t buffer_size = kTlsBuffer1024) {
    std::vector<uint8_t> buffer(buffer_size);
    TlsClient client(config, buffer.data(), buffer.size());
    EXPECT_TRUE(client.start(now(), kEntropy, sizeof kEntropy));
    ServerContext server(server_id, {&pki_->ca});
    LoopbackSession session(client, &server);
    if (session.handshake()) return TlsError::ok;
    EXPECT_EQ(client.state(), TlsState::failed);
    return client.error();
  }

  // Handshake, a request and an answer both ways, then the client's close_notify.
  void expect_echo(const TlsClientConfig& config, const Identity& server_id, size_t buffer_size) {
    std::vector<uint8_t> buffer(buffer_size);
    TlsClient client(config, buffer.data(), buffer.size());
    ASSERT_TRUE(client.start(now(), kEntropy, sizeof kEntropy));
    ServerContext server(server_id, {&pki_->ca});
    LoopbackSession session(client, &server);
    ASSERT_TRUE(session.handshake()) << describe(client.error()) << " (BearSSL " << client.bearssl_error() << ")";
    const std::string request = "GET /firmware.bin HTTP/1.1\r\nHost: localhost\r\n\r\n";
    session.client_send(request);
    ASSERT_TRUE(session.run_until([&] { return session.server_received().size() == request.size(); }));
    EXPECT_EQ(session.server_received(), request);
    std::string answer(3000, 'x');
    for (size_t i = 0; i < answer.size(); i++) answer[i] = char('a' + i % 26);
    session.server_send(answer);
    ASSERT_TRUE(session.run_until([&] { return session.client_received().size() == answer.size(); }));
    EXPECT_EQ(session.client_received(), answer);
    client.close();
    EXPECT_TRUE(session.run_until([&] { return session.server_saw_close_notify(); }));
  }

  static Pki* pki_;
};

Pki* TlsClientTest::pki_ = nullptr;

TEST(TlsBuffer, SizesPerFragmentLength) {
  EXPECT_EQ(kTlsBufferFull, size_t(BR_SSL_BUFSIZE_BIDI));
  EXPECT_EQ(tls_half_duplex_buffer_size(kFullFragment), size_t(BR_SSL_BUFSIZE_MONO));
  EXPECT_EQ(kTlsBuffer512, 512u + 325 + 512 + 85);
  EXPECT_EQ(max_fragment_for(kTlsBuffer512 - 1, false), 0u);
  EXPECT_EQ(max_fragment_for(kTlsBuffer512, false), 512u);
  EXPECT_EQ(max_fragment_for(kTlsBuffer2048 + 100, false), 2048u);
  EXPECT_EQ(max_fragment_for(kTlsBuffer4096 * 3, false), 4096u);
  EXPECT_EQ(max_fragment_for(kTlsBufferFull, false), kFullFragment);
  EXPECT_EQ(max_fragment_for(tls_half_duplex_buffer_size(1024), true), 1024u);
}

// What a bench prints; docs/tls.md quotes these figures.
TEST(TlsBuffer, RamPerConnection) {
  TlsClientConfig config;
  for (size_t size : {kTlsBuffer512, kTlsBuffer1024, kTlsBuffer2048, kTlsBuffer4096, kTlsBufferFull,
                      tls_half_duplex_buffer_size(512), tls_half_duplex_buffer_size(1024)}) {
    std::vector<uint8_t> buffer(size);
    TlsClient client(config, buffer.data(), buffer.size());
    EXPECT_EQ(client.ram_used(), sizeof(TlsClient) + size);
    std::cout << "TLS buffer " << size << " bytes + TlsClient " << sizeof(TlsClient) << " bytes = "
              << client.ram_used() << " bytes\n";
  }
}

TEST_F(TlsClientTest, AnchorsHandshakeAndEchoEc) { expect_echo(anchors_config(), pki_->server, kTlsBuffer1024); }
TEST_F(TlsClientTest, AnchorsHandshakeAndEchoRsa) { expect_echo(anchors_config(), pki_->rsa_server, kTlsBuffer2048); }
TEST_F(TlsClientTest, AnchorsHandshakeAndEchoHalfDuplex) {
  TlsClientConfig config = anchors_config();
  config.half_duplex = true;
  expect_echo(config, pki_->server, tls_half_duplex_buffer_size(1024));
}

TEST_F(TlsClientTest, WrongHostIsNameMismatch) {
  EXPECT_EQ(handshake_error(anchors_config(), pki_->other_host), TlsError::name_mismatch);
  EXPECT_NE(std::string(describe(TlsError::name_mismatch)).find("does not match the server name"), std::string::npos);
}

TEST_F(TlsClientTest, ServerNameIsChecked) {
  TlsClientConfig config = anchors_config();
  config.server_name = "update.example";
  EXPECT_EQ(handshake_error(config, pki_->server), TlsError::name_mismatch);
}

TEST_F(TlsClientTest, ExpiredCertificate) {
  EXPECT_EQ(handshake_error(anchors_config(), pki_->expired), TlsError::certificate_expired);
  EXPECT_NE(std::string(describe(TlsError::certificate_expired)).find("expired"), std::string::npos);
}

TEST_F(TlsClientTest, NotYetValidCertificate) {
  EXPECT_EQ(handshake_error(anchors_config(), pki_->not_yet_valid), TlsError::certificate_expired);
}

TEST_F(TlsClientTest, UnknownCa) {
  EXPECT_EQ(handshake_error(anchors_config(), pki_->self_signed), TlsError::unknown_issuer);
}

TEST_F(TlsClientTest, SelfSignedServerAsItsOwnAnchor) {
  posix::TrustAnchors own = posix::TrustAnchors::from_pem(testing::pem(pki_->self_signed.cert.get()));
  TlsClientConfig config = anchors_config();
  config.anchors = own.data();
  config.anchor_count = own.size();
  EXPECT_EQ(handshake_error(config, pki_->self_signed), TlsError::ok);
}

TEST_F(TlsClientTest, PublicKeyPinMatches) {
  expect_echo(pin_config(pki_->server), pki_->server, kTlsBuffer1024);
  expect_echo(pin_config(pki_->rsa_server), pki_->rsa_server, kTlsBuffer2048);
  // Chain, name and dates are not checked: the pin is the trust.
  EXPECT_EQ(handshake_error(pin_config(pki_->expired), pki_->expired), TlsError::ok);
  EXPECT_EQ(handshake_error(pin_config(pki_->self_signed), pki_->self_signed), TlsError::ok);
}

TEST_F(TlsClientTest, PublicKeyPinMismatch) {
  EXPECT_EQ(handshake_error(pin_config(pki_->server), pki_->other_host), TlsError::public_key_mismatch);
  EXPECT_NE(std::string(describe(TlsError::public_key_mismatch)).find("does not match the pin"), std::string::npos);
}

TEST_F(TlsClientTest, Sha1FingerprintMatches) {
  expect_echo(fingerprint_config(pki_->server), pki_->server, kTlsBuffer1024);
  EXPECT_EQ(handshake_error(fingerprint_config(pki_->self_signed), pki_->self_signed), TlsError::ok);
}

TEST_F(TlsClientTest, Sha1FingerprintMismatch) {
  // Same key, another certificate: the fingerprint pins the certificate, not the key.
  Identity reissued = testing::make_identity(CertSpec{}, &pki_->ca);
  EXPECT_EQ(handshake_error(fingerprint_config(pki_->server), reissued), TlsError::fingerprint_mismatch);
  EXPECT_NE(std::string(describe(TlsError::fingerprint_mismatch)).find("SHA-1 fingerprint does not match"),
            std::string::npos);
}

TEST_F(TlsClientTest, MaxFragmentLengthAcceptedByOpenSsl) {
  std::vector<uint8_t> buffer(kTlsBuffer1024);
  TlsClient client(anchors_config(), buffer.data(), buffer.size());
  ASSERT_TRUE(client.start(now(), kEntropy, sizeof kEntropy));
  EXPECT_TRUE(client.mfln_requested());
  EXPECT_EQ(client.max_fragment_length(), 1024u);
  ServerContext server(pki_->rsa_server, {&pki_->ca});  // a 1.6 KB Certificate message: split in records
  LoopbackSession session(client, &server);
  ASSERT_TRUE(session.handshake()) << describe(client.error());
  EXPECT_TRUE(client.mfln_accepted());
  std::string image(20000, 'i');
  session.server_send(image);
  ASSERT_TRUE(session.run_until([&] { return session.client_received().size() == image.size(); }));
  // Plaintext fragments of at most 1024 bytes, plus the AEAD's nonce and tag.
  EXPECT_LE(session.largest_server_record(), 1024u + 24);
  EXPECT_GT(session.largest_server_record(), 1024u);
}

TEST_F(TlsClientTest, ServerIgnoringMaxFragmentLengthIsReported) {
  std::vector<uint8_t> buffer(kTlsBuffer1024);
  TlsClient client(anchors_config(), buffer.data(), buffer.size());
  ASSERT_TRUE(client.start(now(), kEntropy, sizeof kEntropy));
  ServerContext server(pki_->rsa_server, {&pki_->ca});
  LoopbackSession session(client, &server);
  // OpenSSL always honours MFLN; without the extension it answers as a server that does not
  // support it. The client stops at its ServerHello (the handshake would also fail later: the
  // ClientHello it hashed is not the one the server received).
  session.rewrite_client_hello = testing::strip_max_fragment_length;
  EXPECT_FALSE(session.handshake());
  EXPECT_FALSE(client.mfln_accepted());
  EXPECT_FALSE(session.server_failed());  // the client gave up first
  EXPECT_EQ(client.state(), TlsState::failed);
  EXPECT_EQ(client.error(), TlsError::fragment_too_large);
  EXPECT_NE(std::string(describe(client.error())).find("larger TLS buffer"), std::string::npos);
}

TEST_F(TlsClientTest, FullSizeBufferNeedsNoMaxFragmentLength) {
  std::vector<uint8_t> buffer(kTlsBufferFull);
  TlsClient client(anchors_config(), buffer.data(), buffer.size());
  ASSERT_TRUE(client.start(now(), kEntropy, sizeof kEntropy));
  EXPECT_FALSE(client.mfln_requested());
  ServerContext server(pki_->server, {&pki_->ca});
  LoopbackSession session(client, &server);
  ASSERT_TRUE(session.handshake()) << describe(client.error());
  EXPECT_FALSE(client.mfln_accepted());
  std::string image(40000, 'f');
  session.server_send(image);
  ASSERT_TRUE(session.run_until([&] { return session.client_received().size() == image.size(); }));
  EXPECT_GT(session.largest_server_record(), 16000u);
}

TEST_F(TlsClientTest, ServerCloseNotifyClosesCleanly) {
  std::vector<uint8_t> buffer(kTlsBuffer1024);
  TlsClient client(anchors_config(), buffer.data(), buffer.size());
  ASSERT_TRUE(client.start(now(), kEntropy, sizeof kEntropy));
  ServerContext server(pki_->server, {&pki_->ca});
  LoopbackSession session(client, &server);
  ASSERT_TRUE(session.handshake());
  session.server_send("the whole body");
  session.server_shutdown();
  ASSERT_TRUE(session.run_until([&] { return client.state() == TlsState::closed; }))
      << describe(client.error());
  EXPECT_EQ(session.client_received(), "the whole body");
  EXPECT_EQ(client.error(), TlsError::ok);
}

TEST_F(TlsClientTest, ServerClosingMidStreamIsTruncation) {
  std::vector<uint8_t> buffer(kTlsBuffer1024);
  TlsClient client(anchors_config(), buffer.data(), buffer.size());
  ASSERT_TRUE(client.start(now(), kEntropy, sizeof kEntropy));
  ServerContext server(pki_->server, {&pki_->ca});
  LoopbackSession session(client, &server);
  ASSERT_TRUE(session.handshake());
  std::string part(3000, 'p');
  session.server_send(part);
  session.server_close_tcp();
  ASSERT_TRUE(session.run_until([&] { return client.state() == TlsState::failed; }));
  EXPECT_EQ(client.error(), TlsError::connection_closed);
  EXPECT_EQ(session.client_received(), part);  // what arrived before the close is still delivered
  EXPECT_EQ(client.write(reinterpret_cast<const uint8_t*>("x"), 1), 0u);
}

TEST_F(TlsClientTest, ServerClosingDuringHandshake) {
  std::vector<uint8_t> buffer(kTlsBuffer1024);
  TlsClient client(anchors_config(), buffer.data(), buffer.size());
  ASSERT_TRUE(client.start(now(), kEntropy, sizeof kEntropy));
  LoopbackSession session(client, nullptr);
  ASSERT_TRUE(session.run_until([&] { return !session.server_received().empty(); }));  // the ClientHello
  session.server_close_tcp();
  ASSERT_TRUE(session.run_until([&] { return client.state() == TlsState::failed; }));
  EXPECT_EQ(client.error(), TlsError::connection_closed);
}

TEST_F(TlsClientTest, PlainHttpServerIsNotTls) {
  std::vector<uint8_t> buffer(kTlsBuffer1024);
  TlsClient client(anchors_config(), buffer.data(), buffer.size());
  ASSERT_TRUE(client.start(now(), kEntropy, sizeof kEntropy));
  LoopbackSession session(client, nullptr);
  session.server_send("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(session.run_until([&] { return client.state() == TlsState::failed; }));
  EXPECT_EQ(client.error(), TlsError::not_tls);
  EXPECT_NE(std::string(describe(client.error())).find("plain HTTP"), std::string::npos);
}

TEST_F(TlsClientTest, GarbageFails) {
  const std::vector<std::string> inputs = {
    std::string(64, '\0'),
    std::string(64, '\xff'),
    std::string("\x16\x03\x03\xff\xff", 5) + std::string(2000, 'A'),  // a record longer than the buffer
    std::string("\x15\x03\x03\x00\x02\x02\x28", 7),                    // a fatal handshake_failure alert
    std::string("\x16\x03\x03\x00\x04\x02\x00\x00\x00", 9),            // an empty ServerHello
  };
  for (const std::string& input : inputs) {
    std::vector<uint8_t> buffer(kTlsBuffer512);
    TlsClient client(anchors_config(), buffer.data(), buffer.size());
    ASSERT_TRUE(client.start(now(), kEntropy, sizeof kEntropy));
    const uint8_t* out;
    client.output_sent(client.pending_output(&out));
    size_t used = 0;
    for (int round = 0; round < 100 && used < input.size() && client.state() != TlsState::failed; round++) {
      used += client.input_from_network(reinterpret_cast<const uint8_t*>(input.data()) + used, input.size() - used);
      client.output_sent(client.pending_output(&out));
    }
    client.network_closed();
    EXPECT_EQ(client.state(), TlsState::failed);
    EXPECT_NE(client.error(), TlsError::ok);
    EXPECT_STRNE(describe(client.error()), "unknown");
  }
}

TEST_F(TlsClientTest, AlertNumberIsReported) {
  std::vector<uint8_t> buffer(kTlsBuffer512);
  TlsClient client(anchors_config(), buffer.data(), buffer.size());
  ASSERT_TRUE(client.start(now(), kEntropy, sizeof kEntropy));
  const uint8_t* out;
  client.output_sent(client.pending_output(&out));
  const uint8_t alert[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 40};
  client.input_from_network(alert, sizeof alert);
  EXPECT_EQ(client.error(), TlsError::alert_received);
  EXPECT_EQ(client.alert(), 40);
}

TEST_F(TlsClientTest, ConfigurationErrors) {
  auto start_error = [](TlsClientConfig config, size_t buffer_size, uint64_t time, size_t entropy) {
    std::vector<uint8_t> buffer(buffer_size);
    TlsClient client(config, buffer.data(), buffer.size());
    EXPECT_FALSE(client.start(time, kEntropy, entropy));
    EXPECT_EQ(client.state(), TlsState::failed);
    return client.error();
  };
  TlsClientConfig no_name = anchors_config();
  no_name.server_name = nullptr;
  EXPECT_EQ(start_error(no_name, kTlsBuffer512, now(), kEntropySize), TlsError::missing_server_name);
  no_name.server_name = "";
  EXPECT_EQ(start_error(no_name, kTlsBuffer512, now(), kEntropySize), TlsError::missing_server_name);
  EXPECT_EQ(start_error(anchors_config(), kTlsBuffer512 - 1, now(), kEntropySize), TlsError::buffer_too_small);
  EXPECT_EQ(start_error(anchors_config(), kTlsBuffer512, now(), 16), TlsError::not_enough_entropy);
  EXPECT_EQ(start_error(anchors_config(), kTlsBuffer512, 0, kEntropySize), TlsError::time_unknown);
  TlsClientConfig no_anchors = anchors_config();
  no_anchors.anchor_count = 0;
  EXPECT_EQ(start_error(no_anchors, kTlsBuffer512, now(), kEntropySize), TlsError::no_trust_anchors);
  // The pin modes need no time.
  std::vector<uint8_t> buffer(kTlsBuffer512);
  TlsClient pinned(pin_config(pki_->server), buffer.data(), buffer.size());
  EXPECT_TRUE(pinned.start(0, kEntropy, kEntropySize));
  EXPECT_EQ(pinned.state(), TlsState::handshaking);
}

TEST(TlsError, EveryErrorIsDescribed) {
  for (int e = int(TlsError::ok); e <= int(TlsError::bad_server_signature); e++) {
    EXPECT_STRNE(describe(TlsError(e)), "unknown") << e;
  }
  EXPECT_EQ(error_from_bearssl(BR_ERR_X509_NOT_TRUSTED, TrustMode::anchors), TlsError::unknown_issuer);
  EXPECT_EQ(error_from_bearssl(BR_ERR_X509_NOT_TRUSTED, TrustMode::public_key_pin), TlsError::public_key_mismatch);
  EXPECT_EQ(error_from_bearssl(BR_ERR_X509_NOT_TRUSTED, TrustMode::sha1_fingerprint),
            TlsError::fingerprint_mismatch);
  EXPECT_EQ(error_from_bearssl(BR_ERR_TOO_LARGE, TrustMode::anchors), TlsError::fragment_too_large);
  EXPECT_EQ(error_from_bearssl(BR_ERR_RECV_FATAL_ALERT + 42, TrustMode::anchors), TlsError::alert_received);
}

}  // namespace
}  // namespace otakit::tls
