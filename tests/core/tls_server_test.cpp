// core/tls's TlsServer against a real OpenSSL 3 client on loopback (as curl and browsers speak
// TLS 1.2 to it): EC and RSA keys, every suite of the profile, 16 KB records in, the server's
// record size out, MFLN, session resumption, the chain it sends, clients that cannot or will not
// agree, bytes that are not TLS, and both ways of closing. Then the PEM loader of
// platform/posix/server_identity.h, which gives the tests their BearSSL keys.
#include <bearssl_ssl.h>
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "core/tls/tls_server.h"
#include "platform/posix/server_identity.h"
#include "tests/core/tls_test_peer.h"
#include "tests/core/tls_test_pki.h"

namespace otakit::tls {
namespace {

using posix::ServerIdentity;
using testing::CertSpec;
using testing::ClientContext;
using testing::ClientSpec;
using testing::Identity;
using testing::KeyPem;
using testing::KeyType;
using testing::ServerSession;

constexpr uint8_t kEntropy[kEntropySize] = {9,  8,  7,  6,  5,  4,  3,  2,  1,  10, 11, 12, 13, 14, 15, 16,
                                            17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

// Key generation is the slow part: every certificate is made once.
struct Pki {
  Identity ca = testing::make_identity(CertSpec{"OTAKit test CA", "", -86400, 3650 * 86400, true});
  Identity other_ca = testing::make_identity(CertSpec{"Another CA", "", -86400, 3650 * 86400, true});
  Identity ec = testing::make_identity(CertSpec{}, &ca);
  Identity rsa = testing::make_identity(
      CertSpec{"localhost", "DNS:localhost", -86400, 30 * 86400, false, KeyType::rsa_2048}, &ca);
  Identity p384 = testing::make_identity(
      CertSpec{"localhost", "DNS:localhost", -86400, 30 * 86400, false, KeyType::ec_p384}, &ca);
  Identity intermediate = testing::make_identity(CertSpec{"OTAKit intermediate", "", -86400, 3650 * 86400, true}, &ca);
  Identity behind_intermediate = testing::make_identity(CertSpec{}, &intermediate);
};

std::string pattern(size_t n, char first = 'a') {
  std::string out(n, '\0');
  for (size_t i = 0; i < n; i++) out[i] = char(first + i % 26);
  return out;
}

// The identity as the device loads it: PEM through BearSSL's decoders.
ServerIdentity load(const Identity& id, const std::vector<const Identity*>& chain = {}) {
  std::string certs = testing::pem(id.cert.get());
  for (const Identity* extra : chain) certs += testing::pem(extra->cert.get());
  return ServerIdentity::from_pem(certs, testing::pem(id.key.get()));
}

// A started TlsServer on its own buffer.
struct Server {
  explicit Server(const ServerIdentity& id, size_t size = kTlsServerBufferFull, bool half_duplex = false,
                  const br_ssl_session_cache_class** cache = nullptr)
      : buffer(size), tls(config(id, half_duplex, cache), buffer.data(), buffer.size()) {
    started = tls.start(kEntropy, sizeof kEntropy);
  }
  static TlsServerConfig config(const ServerIdentity& id, bool half_duplex, const br_ssl_session_cache_class** cache) {
    TlsServerConfig c;
    c.identity = id.identity();
    c.half_duplex = half_duplex;
    c.session_cache = cache;
    return c;
  }
  std::vector<uint8_t> buffer;
  TlsServer tls;
  bool started = false;
};

class TlsServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki_ = new Pki;
    ec_ = new ServerIdentity(load(pki_->ec));
    rsa_ = new ServerIdentity(load(pki_->rsa));
  }
  static void TearDownTestSuite() {
    delete ec_;
    delete rsa_;
    delete pki_;
    ec_ = rsa_ = nullptr;
    pki_ = nullptr;
  }
  static ClientSpec trusting_ca() {
    ClientSpec spec;
    spec.trusted = &pki_->ca;
    return spec;
  }

  // Handshake, a request from the client, an answer from the server, the client's close_notify.
  void expect_exchange(const ServerIdentity& id, const ClientSpec& spec, const char* expected_cipher,
                       uint16_t expected_suite) {
    Server server(id);
    ASSERT_TRUE(server.started) << describe_from_server(server.tls.error());
    ClientContext client(spec);
    ServerSession session(server.tls, &client);
    ASSERT_TRUE(session.handshake()) << describe_from_server(server.tls.error()) << " (BearSSL "
                                     << server.tls.bearssl_error() << ")";
    EXPECT_EQ(session.client_cipher(), expected_cipher);
    EXPECT_EQ(server.tls.cipher_suite(), expected_suite);
    EXPECT_EQ(server.tls.version(), BR_TLS12);
    EXPECT_EQ(SSL_version(session.client_ssl()), TLS1_2_VERSION);
    const std::string request = "GET /update HTTP/1.1\r\nHost: localhost\r\n\r\n";
    session.client_send(request);
    ASSERT_TRUE(session.run_until([&] { return session.server_received().size() == request.size(); }));
    EXPECT_EQ(session.server_received(), request);
    const std::string answer = pattern(3000);
    session.server_send(answer);
    ASSERT_TRUE(session.run_until([&] { return session.client_received().size() == answer.size(); }));
    EXPECT_EQ(session.client_received(), answer);
    session.client_shutdown();
    EXPECT_TRUE(session.run_until([&] { return server.tls.state() == TlsState::closed; }));
  }

  // A handshake that must fail on the server: its error.
  TlsError handshake_error(const ServerIdentity& id, const ClientSpec& spec, int* alert = nullptr) {
    Server server(id);
    EXPECT_TRUE(server.started);
    ClientContext client(spec);
    ServerSession session(server.tls, &client);
    EXPECT_FALSE(session.handshake());
    // The client may give up before the server hears why: wait for the server's verdict.
    session.run_until([&] { return server.tls.state() == TlsState::failed; }, 2000);
    EXPECT_EQ(server.tls.state(), TlsState::failed);
    if (alert) *alert = server.tls.alert();
    return server.tls.error();
  }

  // Raw bytes from a client that is not TLS (or not well-formed TLS): the server's error, once
  // it failed; the bytes it sent back go to `reply`.
  TlsError raw_client_error(const std::string& bytes, bool close_after = false, std::string* reply = nullptr,
                            bool* plain_http = nullptr) {
    Server server(*ec_);
    EXPECT_TRUE(server.started);
    ServerSession session(server.tls, nullptr);
    session.client_send(bytes);
    if (close_after) session.client_close_tcp();
    EXPECT_TRUE(session.run_until([&] { return server.tls.state() == TlsState::failed; }, 2000))
        << "the server did not fail; state " << int(server.tls.state());
    if (reply) *reply = session.client_received();
    if (plain_http) *plain_http = server.tls.plain_http();
    EXPECT_STRNE(describe_from_server(server.tls.error()), "unknown");
    return server.tls.error();
  }

  static Pki* pki_;
  static ServerIdentity* ec_;
  static ServerIdentity* rsa_;
};

Pki* TlsServerTest::pki_ = nullptr;
ServerIdentity* TlsServerTest::ec_ = nullptr;
ServerIdentity* TlsServerTest::rsa_ = nullptr;

TEST(TlsServerBuffer, SizesAndFragments) {
  EXPECT_EQ(kServerInputSize, size_t(BR_SSL_BUFSIZE_INPUT));
  EXPECT_EQ(kTlsServerBufferFull, size_t(BR_SSL_BUFSIZE_BIDI));
  EXPECT_EQ(kTlsServerBufferSmall, 16709u + 597);
  EXPECT_EQ(kTlsServerBufferHalfDuplex, size_t(BR_SSL_BUFSIZE_MONO));
  EXPECT_EQ(server_fragment_for(kTlsServerBufferFull, false), kFullFragment);
  EXPECT_EQ(server_fragment_for(kTlsServerBufferSmall, false), 512u);
  EXPECT_EQ(server_fragment_for(kTlsServerBufferSmall - 1, false), 0u);
  EXPECT_EQ(server_fragment_for(tls_server_buffer_size(2048) + 100, false), 2048u);
  EXPECT_EQ(server_fragment_for(tls_server_buffer_size(8192), false), 4096u);  // no 8192 in BearSSL
  EXPECT_EQ(server_fragment_for(kTlsServerBufferHalfDuplex, true), kFullFragment);
  EXPECT_EQ(server_fragment_for(kTlsServerBufferHalfDuplex - 1, true), 0u);
}

// What a bench prints; docs/tls.md quotes these figures.
TEST(TlsServerBuffer, RamPerConnection) {
  TlsServerConfig config;
  for (auto [size, half] : {std::pair{kTlsServerBufferFull, false}, {kTlsServerBufferSmall, false},
                            {kTlsServerBufferHalfDuplex, true}}) {
    std::vector<uint8_t> buffer(size);
    config.half_duplex = half;
    TlsServer server(config, buffer.data(), buffer.size());
    EXPECT_EQ(server.ram_used(), sizeof(TlsServer) + size);
    std::cout << "TLS server buffer " << size << (half ? " bytes (half duplex)" : " bytes") << " + TlsServer "
              << sizeof(TlsServer) << " bytes = " << server.ram_used() << " bytes\n";
  }
}

TEST_F(TlsServerTest, EcKeyHandshakeAndDataBothWays) {
  expect_exchange(*ec_, trusting_ca(), "ECDHE-ECDSA-CHACHA20-POLY1305", BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256);
}

TEST_F(TlsServerTest, RsaKeyHandshakeAndDataBothWays) {
  expect_exchange(*rsa_, trusting_ca(), "ECDHE-RSA-CHACHA20-POLY1305", BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256);
}

TEST_F(TlsServerTest, P384Key) {
  ServerIdentity id = load(pki_->p384);
  EXPECT_EQ(id.summary(), "EC P-384 key, 1 certificate");
  expect_exchange(id, trusting_ca(), "ECDHE-ECDSA-CHACHA20-POLY1305", BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256);
}

// Each suite alone, as a client that offers only it: the profile serves all six.
TEST_F(TlsServerTest, EverySuiteOfTheProfile) {
  struct Case {
    bool rsa;
    const char* openssl;
    uint16_t bearssl;
  };
  for (const Case& c : {Case{false, "ECDHE-ECDSA-CHACHA20-POLY1305", BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256},
                        Case{false, "ECDHE-ECDSA-AES128-GCM-SHA256", BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
                        Case{false, "ECDHE-ECDSA-AES256-GCM-SHA384", BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384},
                        Case{true, "ECDHE-RSA-CHACHA20-POLY1305", BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256},
                        Case{true, "ECDHE-RSA-AES128-GCM-SHA256", BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256},
                        Case{true, "ECDHE-RSA-AES256-GCM-SHA384", BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384}}) {
    SCOPED_TRACE(c.openssl);
    ClientSpec spec = trusting_ca();
    spec.ciphers = c.openssl;
    spec.max_version = TLS1_2_VERSION;
    expect_exchange(c.rsa ? *rsa_ : *ec_, spec, c.openssl, c.bearssl);
  }
}

// The server's order wins: ChaCha20 is cheaper than constant-time AES on the ESP8266.
TEST_F(TlsServerTest, ServerPrefersChaCha20OverTheClientsAes) {
  ClientSpec spec = trusting_ca();
  spec.ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305";
  expect_exchange(*ec_, spec, "ECDHE-ECDSA-CHACHA20-POLY1305", BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256);
}

// An upload: 1 MiB from the client in full 16 KB records, in each buffer layout; the server's own
// records are as large as its output buffer allows.
TEST_F(TlsServerTest, LargeUploadInFullRecordsForEachBufferLayout) {
  for (auto [size, half] : {std::pair{kTlsServerBufferFull, false}, {kTlsServerBufferSmall, false},
                            {tls_server_buffer_size(2048), false}, {kTlsServerBufferHalfDuplex, true}}) {
    SCOPED_TRACE(::testing::Message() << size << (half ? " half duplex" : ""));
    Server server(*ec_, size, half);
    ASSERT_TRUE(server.started) << describe_from_server(server.tls.error());
    ClientContext client(trusting_ca());
    ServerSession session(server.tls, &client);
    ASSERT_TRUE(session.handshake()) << describe_from_server(server.tls.error());
    const std::string upload = pattern(1 << 20);
    session.client_send(upload);
    ASSERT_TRUE(session.run_until([&] { return session.server_received().size() >= upload.size(); }, 20000));
    EXPECT_TRUE(session.server_received() == upload);
    EXPECT_GT(session.largest_client_record(), kFullFragment);  // plaintext 16384 + the AEAD's tag
    const std::string reply = pattern(40000, 'A');
    session.server_send(reply);
    ASSERT_TRUE(session.run_until([&] { return session.client_received().size() >= reply.size(); }));
    EXPECT_TRUE(session.client_received() == reply);
    const size_t fragment = server_fragment_for(size, half);
    EXPECT_EQ(server.tls.max_fragment_length(), fragment);
    EXPECT_LE(session.largest_server_record(), fragment + 64);
    EXPECT_GT(session.largest_server_record(), fragment);
  }
}

// A client that asks for short records gets them.
TEST_F(TlsServerTest, ClientMaxFragmentLengthIsHonoured) {
  Server server(*ec_);
  ClientSpec spec = trusting_ca();
  spec.max_version = TLS1_2_VERSION;
  spec.max_fragment_length = TLSEXT_max_fragment_length_1024;
  ClientContext client(spec);
  ServerSession session(server.tls, &client);
  ASSERT_TRUE(session.handshake()) << describe_from_server(server.tls.error());
  EXPECT_EQ(server.tls.max_fragment_length(), 1024u);
  session.server_send(pattern(10000));
  ASSERT_TRUE(session.run_until([&] { return session.client_received().size() == 10000; }));
  EXPECT_LE(session.largest_server_record(), 1024u + 64);
}

// The chain goes out as given: a client that knows only the root needs the intermediate.
TEST_F(TlsServerTest, SendsTheIntermediateOfTheChain) {
  ServerIdentity with_intermediate = load(pki_->behind_intermediate, {&pki_->intermediate});
  EXPECT_EQ(with_intermediate.chain_length(), 2u);
  expect_exchange(with_intermediate, trusting_ca(), "ECDHE-ECDSA-CHACHA20-POLY1305",
                  BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256);
  int alert = 0;
  ServerIdentity leaf_only = load(pki_->behind_intermediate);
  EXPECT_EQ(handshake_error(leaf_only, trusting_ca(), &alert), TlsError::alert_received);
  EXPECT_EQ(alert, 48);  // unknown_ca: the client cannot build the path
}

TEST_F(TlsServerTest, ClientThatDoesNotTrustTheCertificateSendsUnknownCa) {
  ClientSpec spec;
  spec.trusted = &pki_->other_ca;
  int alert = 0;
  EXPECT_EQ(handshake_error(*ec_, spec, &alert), TlsError::alert_received);
  EXPECT_EQ(alert, 48);
  EXPECT_STREQ(alert_name(alert), "unknown_ca");
  EXPECT_NE(std::string(describe_client_alert(alert)).find("does not trust the device's certificate"), std::string::npos);
  EXPECT_NE(std::string(describe_client_alert(alert)).find("--cacert"), std::string::npos);
}

TEST_F(TlsServerTest, ClientForAnotherHostNameRefusesTheCertificate) {
  ClientSpec spec = trusting_ca();
  spec.host = "update.example";
  int alert = 0;
  EXPECT_EQ(handshake_error(*ec_, spec, &alert), TlsError::alert_received);
  EXPECT_NE(std::string(describe_client_alert(alert)).find("does not trust"), std::string::npos) << alert;
}

TEST_F(TlsServerTest, Tls13OnlyClientIsRefused) {
  ClientSpec spec = trusting_ca();
  spec.min_version = TLS1_3_VERSION;
  int alert = 0;
  // Such a client offers TLS 1.3's suites only: the server finds none and says handshake_failure.
  EXPECT_EQ(handshake_error(*ec_, spec, &alert), TlsError::no_common_cipher);
  EXPECT_EQ(alert, 0);
}

TEST_F(TlsServerTest, CbcOnlyClientHasNoCommonSuite) {
  ClientSpec spec = trusting_ca();
  spec.max_version = TLS1_2_VERSION;
  spec.ciphers = "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA";
  EXPECT_EQ(handshake_error(*ec_, spec), TlsError::no_common_cipher);
  EXPECT_NE(std::string(describe_from_server(TlsError::no_common_cipher)).find("ChaCha20-Poly1305"), std::string::npos);
}

// An RSA certificate serves only ECDHE-RSA: a client with ECDSA suites alone finds nothing.
TEST_F(TlsServerTest, KeyTypeDecidesTheSuites) {
  ClientSpec spec = trusting_ca();
  spec.max_version = TLS1_2_VERSION;
  spec.ciphers = "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256";
  EXPECT_EQ(handshake_error(*rsa_, spec), TlsError::no_common_cipher);
}

// curl http://host:8443/update: plain text on the HTTPS port fails at the first byte, and the
// server knows it was HTTP (the driver answers it in plain text).
TEST_F(TlsServerTest, PlainHttpRequestFailsAtOnceAsNotTls) {
  bool plain_http = false;
  std::string reply;
  EXPECT_EQ(raw_client_error("GET /update HTTP/1.1\r\nHost: localhost:8443\r\n\r\n", false, &reply, &plain_http),
            TlsError::not_tls);
  EXPECT_TRUE(plain_http);
  EXPECT_TRUE(reply.empty());  // no TLS alert for a client that does not speak TLS
  EXPECT_NE(std::string(describe_from_server(TlsError::not_tls)).find("https://"), std::string::npos);

  Server server(*ec_);
  const std::string post = "POST /update HTTP/1.1\r\n";
  EXPECT_EQ(server.tls.input_from_network(reinterpret_cast<const uint8_t*>(post.data()), post.size()), post.size());
  EXPECT_EQ(server.tls.state(), TlsState::failed);
  EXPECT_TRUE(server.tls.plain_http());
  const uint8_t* out = nullptr;
  EXPECT_EQ(server.tls.pending_output(&out), 0u);
  EXPECT_EQ(server.tls.input_from_network(reinterpret_cast<const uint8_t*>(post.data()), post.size()), 0u);
}

TEST_F(TlsServerTest, MalformedInputFailsCleanly) {
  bool plain_http = true;
  // Application data before any handshake, an alert first, binary noise.
  EXPECT_EQ(raw_client_error(std::string("\x17\x03\x03\x00\x10", 5) + std::string(16, 'x'), false, nullptr, &plain_http),
            TlsError::not_tls);
  EXPECT_FALSE(plain_http);
  EXPECT_EQ(raw_client_error(std::string("\x15\x03\x03\x00\x02\x02\x28", 7)), TlsError::not_tls);
  EXPECT_EQ(raw_client_error(std::string("\x00\x01\x02\x03", 4)), TlsError::not_tls);
  // A handshake record of the wrong version, one longer than any record, a ClientHello of junk.
  EXPECT_NE(raw_client_error(std::string("\x16\x09\x09\x00\x05", 5) + std::string(5, 'x')), TlsError::ok);
  EXPECT_NE(raw_client_error(std::string("\x16\x03\x01\xff\xff", 5) + std::string(64, 'x')), TlsError::ok);
  EXPECT_NE(raw_client_error(std::string("\x16\x03\x01\x00\x20\x01\x00\x00\x1c", 9) + std::string(28, '\xee')),
            TlsError::ok);
  // A ClientHello cut short, then the TCP connection closed.
  EXPECT_EQ(raw_client_error(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11), true),
            TlsError::connection_closed);
}

TEST_F(TlsServerTest, ClientCloseNotifyIsAnswered) {
  Server server(*ec_);
  ClientContext client(trusting_ca());
  ServerSession session(server.tls, &client);
  ASSERT_TRUE(session.handshake());
  session.client_send("last request");
  session.client_shutdown();
  ASSERT_TRUE(session.run_until([&] { return server.tls.state() == TlsState::closed; }));
  EXPECT_EQ(session.server_received(), "last request");  // what came before the close_notify stays
  EXPECT_EQ(server.tls.error(), TlsError::ok);
  ASSERT_TRUE(session.run_until([&] { return session.client_saw_close_notify(); }));
  EXPECT_EQ(server.tls.write(reinterpret_cast<const uint8_t*>("late"), 4), 0u);
}

TEST_F(TlsServerTest, ServerCloseSendsItsReplyThenCloseNotify) {
  Server server(*ec_);
  ClientContext client(trusting_ca());
  ServerSession session(server.tls, &client);
  ASSERT_TRUE(session.handshake());
  const std::string reply = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 30\r\n\r\nUpdate Success! Rebooting...\r\n";
  ASSERT_EQ(server.tls.write(reinterpret_cast<const uint8_t*>(reply.data()), reply.size()), reply.size());
  server.tls.close();  // no flush(): close() sends what was written first
  ASSERT_TRUE(session.run_until([&] { return session.client_saw_close_notify(); }));
  EXPECT_EQ(session.client_received(), reply);
  EXPECT_NE(server.tls.state(), TlsState::closed);  // the client has not answered yet
  session.client_shutdown();
  ASSERT_TRUE(session.run_until([&] { return server.tls.state() == TlsState::closed; }));
}

TEST_F(TlsServerTest, TcpCloseWithoutCloseNotifyKeepsTheDataButFails) {
  Server server(*ec_);
  ClientContext client(trusting_ca());
  ServerSession session(server.tls, &client);
  ASSERT_TRUE(session.handshake());
  session.client_send("POST /update HTTP/1.1\r\n");
  session.client_close_tcp();
  ASSERT_TRUE(session.run_until([&] { return server.tls.state() == TlsState::failed; }));
  EXPECT_EQ(server.tls.error(), TlsError::connection_closed);
  EXPECT_EQ(session.server_received(), "POST /update HTTP/1.1\r\n");
}

// A browser's second connection: with a cache it resumes, no new key exchange and signature.
TEST_F(TlsServerTest, SessionCacheResumes) {
  for (bool with_cache : {true, false}) {
    SCOPED_TRACE(with_cache ? "with a cache" : "without");
    std::vector<unsigned char> store(4 * 100);
    br_ssl_session_cache_lru lru;
    br_ssl_session_cache_lru_init(&lru, store.data(), store.size());
    const br_ssl_session_cache_class** cache = with_cache ? &lru.vtable : nullptr;
    ClientSpec spec = trusting_ca();
    spec.max_version = TLS1_2_VERSION;
    ClientContext client(spec);
    SSL_SESSION* saved = nullptr;
    {
      Server first(*ec_, kTlsServerBufferFull, false, cache);
      ServerSession session(first.tls, &client);
      ASSERT_TRUE(session.handshake());
      EXPECT_FALSE(SSL_session_reused(session.client_ssl()));
      saved = SSL_get1_session(session.client_ssl());
      ASSERT_NE(saved, nullptr);
      // OpenSSL resumes only a session that was closed cleanly.
      session.client_shutdown();
      ASSERT_TRUE(session.run_until([&] { return first.tls.state() == TlsState::closed; }));
    }
    Server second(*ec_, kTlsServerBufferFull, false, cache);
    ServerSession session(second.tls, &client);
    SSL_set_session(session.client_ssl(), saved);
    SSL_SESSION_free(saved);
    ASSERT_TRUE(session.handshake());
    EXPECT_EQ(SSL_session_reused(session.client_ssl()) == 1, with_cache);
    session.client_send("resumed");
    ASSERT_TRUE(session.run_until([&] { return session.server_received() == "resumed"; }));
  }
}

TEST_F(TlsServerTest, SetupErrors) {
  std::vector<uint8_t> buffer(kTlsServerBufferFull);
  auto start_error = [&](const TlsServerConfig& config, size_t size, size_t entropy = kEntropySize) {
    TlsServer server(config, buffer.data(), size);
    EXPECT_FALSE(server.start(kEntropy, entropy));
    EXPECT_EQ(server.state(), TlsState::failed);
    EXPECT_EQ(server.write(kEntropy, 1), 0u);
    return server.error();
  };
  TlsServerConfig good;
  good.identity = ec_->identity();
  TlsServerConfig no_chain = good;
  no_chain.identity.chain = nullptr;
  EXPECT_EQ(start_error(no_chain, buffer.size()), TlsError::missing_identity);
  TlsServerConfig no_key = good;
  no_key.identity.ec_key = nullptr;
  EXPECT_EQ(start_error(no_key, buffer.size()), TlsError::missing_identity);
  TlsServerConfig two_keys = good;
  two_keys.identity.rsa_key = rsa_->identity().rsa_key;
  EXPECT_EQ(start_error(two_keys, buffer.size()), TlsError::missing_identity);
  EXPECT_EQ(start_error(good, kTlsServerBufferSmall - 1), TlsError::buffer_too_small);
  EXPECT_NE(std::string(describe_from_server(TlsError::buffer_too_small)).find("17,306"), std::string::npos);
  TlsServerConfig half = good;
  half.half_duplex = true;
  EXPECT_EQ(start_error(half, kTlsServerBufferHalfDuplex - 1), TlsError::buffer_too_small);
  EXPECT_EQ(start_error(good, buffer.size(), kEntropySize - 1), TlsError::not_enough_entropy);
  EXPECT_NE(std::string(describe(TlsError::missing_identity)), "unknown");

  TlsServer idle(good, buffer.data(), buffer.size());
  EXPECT_EQ(idle.state(), TlsState::idle);
  EXPECT_EQ(idle.input_from_network(kEntropy, 4), 0u);
  ASSERT_TRUE(idle.start(kEntropy, sizeof kEntropy));
  EXPECT_EQ(idle.state(), TlsState::handshaking);
  EXPECT_FALSE(idle.start(kEntropy, sizeof kEntropy));  // once per connection
}

// --- platform/posix/server_identity.h ---

class ServerIdentityTest : public TlsServerTest {};

TEST_F(ServerIdentityTest, LoadsEveryKeyForm) {
  for (KeyPem form : {KeyPem::pkcs8, KeyPem::traditional}) {
    ServerIdentity ec = ServerIdentity::from_pem(testing::pem(pki_->ec.cert.get()), testing::pem(pki_->ec.key.get(), form));
    EXPECT_EQ(ec.summary(), "EC P-256 key, 1 certificate");
    ASSERT_NE(ec.identity().ec_key, nullptr);
    EXPECT_EQ(ec.identity().rsa_key, nullptr);
    EXPECT_EQ(ec.identity().ec_key->curve, BR_EC_secp256r1);
    EXPECT_EQ(ec.identity().chain[0].data_len, testing::der(pki_->ec.cert.get()).size());
    ServerIdentity rsa =
        ServerIdentity::from_pem(testing::pem(pki_->rsa.cert.get()), testing::pem(pki_->rsa.key.get(), form));
    EXPECT_EQ(rsa.summary(), "RSA 2048-bit key, 1 certificate");
    ASSERT_NE(rsa.identity().rsa_key, nullptr);
    EXPECT_EQ(rsa.identity().ec_key, nullptr);
  }
}

TEST_F(ServerIdentityTest, ChainInFileOrderAndMovable) {
  std::string certs = testing::pem(pki_->behind_intermediate.cert.get()) + testing::pem(pki_->intermediate.cert.get());
  ServerIdentity loaded = ServerIdentity::from_pem(certs, testing::pem(pki_->behind_intermediate.key.get()));
  ServerIdentity moved = std::move(loaded);
  ASSERT_EQ(moved.identity().chain_length, 2u);
  testing::Bytes second = testing::der(pki_->intermediate.cert.get());
  ASSERT_EQ(moved.identity().chain[1].data_len, second.size());
  EXPECT_EQ(0, memcmp(moved.identity().chain[1].data, second.data(), second.size()));
  EXPECT_EQ(moved.summary(), "EC P-256 key, 2 certificates");
  expect_exchange(moved, trusting_ca(), "ECDHE-ECDSA-CHACHA20-POLY1305", BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256);
}

std::string load_error(const std::string& cert, const std::string& key) {
  try {
    ServerIdentity::from_pem(cert, key, "cert.pem", "key.pem");
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST_F(ServerIdentityTest, RefusesWhatCannotServe) {
  const std::string cert = testing::pem(pki_->ec.cert.get());
  const std::string key = testing::pem(pki_->ec.key.get());
  EXPECT_NE(load_error(cert, testing::pem(pki_->rsa.key.get())).find("key.pem does not belong to the first certificate in cert.pem"),
            std::string::npos);
  EXPECT_NE(load_error(cert, testing::pem(pki_->p384.key.get())).find("does not belong"), std::string::npos);
  // The intermediate first: the key is the leaf's.
  EXPECT_NE(load_error(testing::pem(pki_->intermediate.cert.get()) + cert, key).find("must come first"), std::string::npos);
  EXPECT_NE(load_error(key, cert).find("cert.pem: no PEM CERTIFICATE in it (it holds a private key: are the certificate and the key swapped?)"),
            std::string::npos);
  EXPECT_NE(load_error(cert, cert).find("key.pem: no PEM PRIVATE KEY"), std::string::npos);
  EXPECT_NE(load_error(cert, testing::pem(pki_->ec.key.get(), KeyPem::pkcs8_encrypted)).find("encrypted"),
            std::string::npos);
  EXPECT_NE(load_error(cert, testing::pem(pki_->ec.key.get(), KeyPem::traditional_encrypted)).find("openssl pkey"),
            std::string::npos);
  EXPECT_NE(load_error(cert, key + key).find("more than one private key"), std::string::npos);
  EXPECT_NE(load_error("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", key).find("cannot be decoded"),
            std::string::npos);
  EXPECT_NE(load_error(cert, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").find("cannot be decoded"),
            std::string::npos);
  EXPECT_NE(load_error("just text", key).find("no PEM CERTIFICATE"), std::string::npos);
}

TEST_F(ServerIdentityTest, LoadsFilesAndNamesAMissingOne) {
  const auto dir = std::filesystem::temp_directory_path() / ("otakit-tls-server-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string cert_path = (dir / "cert.pem").string();
  const std::string key_path = (dir / "key.pem").string();
  std::ofstream(cert_path) << testing::pem(pki_->rsa.cert.get());
  std::ofstream(key_path) << testing::pem(pki_->rsa.key.get(), KeyPem::traditional);
  EXPECT_EQ(ServerIdentity::load_pem_files(cert_path, key_path).summary(), "RSA 2048-bit key, 1 certificate");
  try {
    ServerIdentity::load_pem_files(cert_path, (dir / "missing.pem").string());
    ADD_FAILURE() << "a missing key file loaded";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("missing.pem"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace otakit::tls
