// The pull client over https: core/tls (BearSSL) in net::PullClient against an OpenSSL 3 server
// on loopback, in each trust mode. Every refused server is the original's -1 with the reason in
// the message, and nothing reaches the Updater; the device's time is injected, so an expired
// certificate is tested at the clock, not by waiting.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/updater/update_sink.h"
#include "device/device.h"
#include "host/image_builder.h"
#include "net/manual_clock.h"
#include "net/pull_client.h"
#include "platform/posix/emulated_flash.h"
#include "platform/posix/trust_anchors.h"
#include "tests/core/tls_test_pki.h"
#include "tests/host/image_server.h"

namespace otakit {
namespace {

using tls::testing::CertSpec;
using tls::testing::Identity;
using tls::testing::make_identity;

struct SslCtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};

std::unique_ptr<SSL_CTX, SslCtxFree> server_context(const Identity& server, const Identity* chain = nullptr) {
  std::unique_ptr<SSL_CTX, SslCtxFree> ctx(SSL_CTX_new(TLS_server_method()));
  SSL_CTX_use_certificate(ctx.get(), server.cert.get());
  SSL_CTX_use_PrivateKey(ctx.get(), server.key.get());
  if (chain != nullptr) SSL_CTX_add1_chain_cert(ctx.get(), chain->cert.get());
  return ctx;
}

CertSpec ca_spec() {
  CertSpec spec;
  spec.common_name = "OTAKit test CA";
  spec.subject_alt_names = "";
  spec.ca = true;
  return spec;
}

class PullClientTlsTest : public ::testing::Test {
 protected:
  PullClientTlsTest() {
    host::ImageSpec running;
    running.total_size = 100000;
    running.version = "1.0.0";
    EXPECT_TRUE(device_.provision(host::build_esp_image(running)));
    device_.boot();
    host::ImageSpec update;
    update.total_size = 150000;
    update.version = "2.0.0";
    update.seed = 5;
    const host::Bytes image = host::build_esp_image(update);
    reply_ = "HTTP/1.0 200 OK\r\nContent-Length: " + std::to_string(image.size()) + "\r\n\r\n" +
             std::string(image.begin(), image.end());
  }

  // Serves the image with `server` (and `chain` after it) and pulls it from `host`.
  net::PullOutcome pull(const Identity& server, net::PullTrust trust, const std::string& host = "localhost",
                        const Identity* chain = nullptr, uint64_t device_time = 0) {
    auto ctx = server_context(server, chain);
    test::ImageServer https(reply_, ctx.get());
    return pull_from(https.port(), trust, host, device_time);
  }

  net::PullOutcome pull_from(uint16_t port, net::PullTrust trust, const std::string& host, uint64_t device_time = 0) {
    net::PullClientOptions options;
    options.url = "https://" + host + ":" + std::to_string(port) + "/fw.bin";
    options.trust = trust;
    if (device_time != 0) options.unix_time = [device_time] { return device_time; };
    UpdaterSink sink(device_.updater());
    net::PullClient client(io_, clock_, options, sink);
    std::vector<net::PullOutcome> got;
    EXPECT_TRUE(client.start(device_.pull_facts(), [&](const net::PullOutcome& o) { got.push_back(o); }));
    const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (got.empty() && std::chrono::steady_clock::now() < limit) io_.run_one_for(std::chrono::milliseconds(10));
    EXPECT_FALSE(device_.updater().is_running());  // finished or dropped, never left half-written
    return got.empty() ? net::PullOutcome{} : got[0];
  }

  net::PullTrust anchors_of(const Identity& ca) {
    anchors_.push_back(std::make_unique<posix::TrustAnchors>(posix::TrustAnchors::from_pem(tls::testing::pem(ca.cert.get()))));
    net::PullTrust trust;
    trust.anchors = anchors_.back()->data();
    trust.anchor_count = anchors_.back()->size();
    return trust;
  }

  static void expect_refused(const net::PullOutcome& outcome, const std::string& reason) {
    EXPECT_EQ(outcome.result, pull::PullResult::failed);
    EXPECT_EQ(outcome.error, pull::error::kConnectionFailed);
    EXPECT_EQ(outcome.error_text, "HTTP error: connection failed");
    EXPECT_NE(outcome.message.find(reason), std::string::npos) << outcome.message;
    EXPECT_EQ(outcome.written, 0u);
  }

  boost::asio::io_context io_;
  net::ManualClock clock_;
  const FlashLayout& layout_ = *find_layout("4M1M");
  posix::MemoryFlash flash_{layout_.flash_size};
  VolatileRtcMemory rtc_;
  device::Device device_{device::DeviceParts{flash_, rtc_, layout_, {}, nullptr, 77}};
  std::string reply_;
  std::vector<std::unique_ptr<posix::TrustAnchors>> anchors_;
  Identity ca_ = make_identity(ca_spec());
  Identity server_ = make_identity(CertSpec{}, &ca_);
};

TEST_F(PullClientTlsTest, ChainToTheCaFileIsTrusted) {
  const net::PullOutcome outcome = pull(server_, anchors_of(ca_));
  EXPECT_EQ(outcome.result, pull::PullResult::ok) << outcome.message;
  EXPECT_EQ(outcome.written, 150000u);
}

TEST_F(PullClientTlsTest, CertificateFromAnotherCaIsRefused) {
  Identity other_ca = make_identity(ca_spec());
  expect_refused(pull(server_, anchors_of(other_ca)), "not issued by a trusted CA");
}

TEST_F(PullClientTlsTest, ExpiredCertificateIsRefused) {
  CertSpec expired;
  expired.valid_from_s = -10 * 86400;
  expired.valid_until_s = -86400;
  expect_refused(pull(make_identity(expired, &ca_), anchors_of(ca_)), "has expired");
}

TEST_F(PullClientTlsTest, DeviceClockPastTheCertificateRefusesIt) {
  const uint64_t year_2100 = 4102444800;
  expect_refused(pull(server_, anchors_of(ca_), "localhost", nullptr, year_2100), "check the device clock");
}

TEST_F(PullClientTlsTest, CertificateForAnotherNameIsRefused) {
  CertSpec other;
  other.common_name = "updates.example";
  other.subject_alt_names = "DNS:updates.example";
  expect_refused(pull(make_identity(other, &ca_), anchors_of(ca_)), "does not match the server name");
}

TEST_F(PullClientTlsTest, PinnedPublicKeyIsTrustedWithoutACa) {
  Identity self_signed = make_identity(CertSpec{});
  net::PullTrust trust;
  trust.mode = tls::TrustMode::public_key_pin;
  const auto pin = tls::testing::public_key_pin(self_signed);
  std::copy(pin.begin(), pin.end(), trust.public_key_sha256.begin());
  const net::PullOutcome outcome = pull(self_signed, trust, "127.0.0.1");  // a pin needs no name
  EXPECT_EQ(outcome.result, pull::PullResult::ok) << outcome.message;
}

TEST_F(PullClientTlsTest, WrongPinIsRefused) {
  net::PullTrust trust;
  trust.mode = tls::TrustMode::public_key_pin;
  const auto pin = tls::testing::public_key_pin(make_identity(CertSpec{}));  // another key
  std::copy(pin.begin(), pin.end(), trust.public_key_sha256.begin());
  expect_refused(pull(server_, trust), "does not match the pin");
}

TEST_F(PullClientTlsTest, FingerprintOfTheCertificateIsTrusted) {
  net::PullTrust trust;
  trust.mode = tls::TrustMode::sha1_fingerprint;
  const auto fingerprint = tls::testing::sha1_fingerprint(server_);
  std::copy(fingerprint.begin(), fingerprint.end(), trust.certificate_sha1.begin());
  EXPECT_EQ(pull(server_, trust).result, pull::PullResult::ok);
  trust.certificate_sha1[0] ^= 1;
  expect_refused(pull(server_, trust), "fingerprint does not match");
}

TEST_F(PullClientTlsTest, PlainHttpServerOnAnHttpsUrlIsNamed) {
  test::ImageServer plain(reply_, nullptr);
  expect_refused(pull_from(plain.port(), anchors_of(ca_), "localhost"), "does not speak TLS");
}

TEST_F(PullClientTlsTest, SilentServerTimesOutTheHandshakeOnTheClock) {
  boost::asio::ip::tcp::acceptor silent(io_, {boost::asio::ip::make_address("127.0.0.1"), 0});
  boost::asio::ip::tcp::socket held(io_);
  silent.async_accept(held, [](const boost::system::error_code&) {});  // accepts, never answers
  net::PullClientOptions options;
  options.url = "https://localhost:" + std::to_string(silent.local_endpoint().port()) + "/fw.bin";
  options.trust = anchors_of(ca_);
  UpdaterSink sink(device_.updater());
  net::PullClient client(io_, clock_, options, sink);
  std::vector<net::PullOutcome> got;
  ASSERT_TRUE(client.start(device_.pull_facts(), [&](const net::PullOutcome& o) { got.push_back(o); }));
  const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!held.is_open() && std::chrono::steady_clock::now() < limit) io_.run_one_for(std::chrono::milliseconds(10));
  io_.poll();
  clock_.advance(options.connect_timeout_ms - 1);
  io_.poll();
  EXPECT_TRUE(got.empty());
  clock_.advance(1);
  while (got.empty() && std::chrono::steady_clock::now() < limit) io_.run_one_for(std::chrono::milliseconds(10));
  ASSERT_EQ(got.size(), 1u);
  expect_refused(got[0], "no connection within the connect timeout");
}

}  // namespace
}  // namespace otakit
