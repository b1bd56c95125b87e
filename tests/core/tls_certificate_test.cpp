// The pieces of core/tls on their own: the SubjectPublicKeyInfo found in a streamed certificate
// equals OpenSSL's encoding of the key, in any split; the ServerHello scan; and the trust anchors
// the host builds from a PEM file.
#include <gtest/gtest.h>

#include <random>
#include <stdexcept>

#include "core/tls/server_hello_scanner.h"
#include "core/tls/spki_locator.h"
#include "platform/posix/trust_anchors.h"
#include "tests/core/tls_test_pki.h"
#include "tests/host/host_test_support.h"

namespace otakit::tls {
namespace {

using testing::Bytes;
using testing::CertSpec;
using testing::Identity;
using testing::KeyType;

// Feeds `der` in pieces of the sizes `next_piece` gives; the SPKI bytes it handed out.
template <typename NextPiece>
Bytes locate(const Bytes& der, NextPiece next_piece, SpkiLocator* locator) {
  locator->reset();
  Bytes spki;
  for (size_t at = 0; at < der.size();) {
    size_t n = std::min(next_piece(), der.size() - at);
    const uint8_t* run;
    size_t run_len;
    locator->feed(der.data() + at, n, &run, &run_len);
    if (run_len > 0) {
      EXPECT_GE(run, der.data() + at);
      EXPECT_LE(run + run_len, der.data() + at + n);
    }
    spki.insert(spki.end(), run, run + run_len);
    at += n;
  }
  return spki;
}

TEST(SpkiLocator, FindsTheKeyOfEcAndRsaCertificatesInAnySplit) {
  Identity ca = testing::make_identity(CertSpec{"CA", "", -1, 86400, true});
  for (KeyType key : {KeyType::ec_p256, KeyType::rsa_2048}) {
    Identity id = testing::make_identity(CertSpec{"localhost", "DNS:localhost", -1, 86400, false, key}, &ca);
    Bytes der = testing::der(id.cert.get());
    Bytes expected = testing::spki_der(id.key.get());
    SpkiLocator locator;
    EXPECT_EQ(locate(der, [&] { return der.size(); }, &locator), expected);
    EXPECT_TRUE(locator.found());
    EXPECT_EQ(locate(der, [] { return size_t(1); }, &locator), expected);
    EXPECT_TRUE(locator.found());
    std::mt19937 random(7);
    for (int round = 0; round < 50; round++) {
      EXPECT_EQ(locate(der, [&] { return size_t(random() % 40 + 1); }, &locator), expected);
    }
  }
}

TEST(SpkiLocator, RejectsWhatIsNotACertificate) {
  SpkiLocator locator;
  Bytes not_der = {0x04, 0x03, 1, 2, 3};
  EXPECT_TRUE(locate(not_der, [] { return size_t(2); }, &locator).empty());
  EXPECT_TRUE(locator.failed());
  Bytes indefinite = {0x30, 0x80, 0x30, 0x80};
  EXPECT_TRUE(locate(indefinite, [] { return size_t(4); }, &locator).empty());
  EXPECT_TRUE(locator.failed());
  Bytes truncated = {0x30, 0x82, 0x01, 0x00, 0x30, 0x10, 0x02, 0x01, 0x01};
  EXPECT_TRUE(locate(truncated, [] { return size_t(3); }, &locator).empty());
  EXPECT_FALSE(locator.found());
}

// A ServerHello record with the given extensions (type, body) after session id, suite and
// compression.
Bytes server_hello(const std::vector<std::pair<uint16_t, Bytes>>& extensions, bool with_block = true) {
  Bytes body = {0x03, 0x03};
  body.resize(2 + 32, 0x5A);
  body.push_back(4);
  body.insert(body.end(), {1, 2, 3, 4, 0xCC, 0xA8, 0x00});
  Bytes block;
  for (const auto& [type, data] : extensions) {
    block.insert(block.end(), {uint8_t(type >> 8), uint8_t(type), uint8_t(data.size() >> 8), uint8_t(data.size())});
    block.insert(block.end(), data.begin(), data.end());
  }
  if (with_block) {
    body.insert(body.end(), {uint8_t(block.size() >> 8), uint8_t(block.size())});
    body.insert(body.end(), block.begin(), block.end());
  }
  Bytes record = {22, 3, 3, uint8_t((body.size() + 4) >> 8), uint8_t(body.size() + 4), 2, 0,
                  uint8_t(body.size() >> 8), uint8_t(body.size())};
  record.insert(record.end(), body.begin(), body.end());
  return record;
}

bool echoed(const Bytes& bytes, size_t piece) {
  ServerHelloScanner scanner;
  scanner.reset();
  for (size_t at = 0; at < bytes.size(); at += piece) scanner.feed(bytes.data() + at, std::min(piece, bytes.size() - at));
  EXPECT_TRUE(scanner.done());
  EXPECT_TRUE(scanner.read_server_hello());
  EXPECT_FALSE(scanner.not_tls());
  return scanner.max_fragment_length_echoed();
}

TEST(ServerHelloScanner, SeesTheMaxFragmentLengthEcho) {
  Bytes with = server_hello({{0xFF01, {0}}, {1, {2}}, {23, {}}});
  Bytes without = server_hello({{0xFF01, {0}}, {11, {1, 0}}});
  for (size_t piece : {size_t(1), size_t(3), size_t(1000)}) {
    EXPECT_TRUE(echoed(with, piece));
    EXPECT_FALSE(echoed(without, piece));
    EXPECT_FALSE(echoed(server_hello({}, false), piece));
  }
}

TEST(ServerHelloScanner, TellsOtherProtocolsFromTls) {
  for (const std::string& start : {std::string("HTTP/1.1 200 OK\r\n"), std::string("SSH-2.0-OpenSSH\r\n"),
                                   std::string("\x16\x48TTP", 5)}) {
    ServerHelloScanner scanner;
    scanner.reset();
    scanner.feed(reinterpret_cast<const uint8_t*>(start.data()), start.size());
    EXPECT_TRUE(scanner.not_tls()) << start;
  }
  ServerHelloScanner alert;
  alert.reset();
  const uint8_t fatal[] = {21, 3, 3, 0, 2, 2, 40};
  alert.feed(fatal, sizeof fatal);
  EXPECT_FALSE(alert.not_tls());
}

TEST(TrustAnchors, LoadsEveryCertificateOfAPemFile) {
  test::TempDir dir;
  Identity ca = testing::make_identity(CertSpec{"CA one", "", -1, 86400, true});
  Identity rsa_ca = testing::make_identity(CertSpec{"CA two", "", -1, 86400, true, KeyType::rsa_2048});
  Identity server = testing::make_identity(CertSpec{}, &ca);
  std::string bundle = "# a comment line\n" + testing::pem(ca.cert.get()) + testing::pem(rsa_ca.cert.get()) +
                       testing::pem(server.cert.get());
  test::spit(dir / "bundle.pem", test::Bytes(bundle.begin(), bundle.end()));
  posix::TrustAnchors anchors = posix::TrustAnchors::load_pem_file(dir / "bundle.pem");
  ASSERT_EQ(anchors.size(), 3u);
  EXPECT_EQ(anchors.data()[0].flags, unsigned(BR_X509_TA_CA));
  EXPECT_EQ(anchors.data()[0].pkey.key_type, BR_KEYTYPE_EC);
  EXPECT_EQ(anchors.data()[1].pkey.key_type, BR_KEYTYPE_RSA);
  EXPECT_EQ(anchors.data()[1].pkey.key.rsa.nlen, 256u);
  EXPECT_EQ(anchors.data()[2].flags, 0u);  // not a CA: trusted directly as the server's own key
  posix::TrustAnchors moved = std::move(anchors);
  EXPECT_EQ(moved.data()[1].pkey.key.rsa.nlen, 256u);
}

TEST(TrustAnchors, RejectsFilesWithoutCertificates) {
  EXPECT_THROW(posix::TrustAnchors::from_pem("no PEM here\n"), std::runtime_error);
  EXPECT_THROW(posix::TrustAnchors::from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
               std::runtime_error);
  EXPECT_THROW(posix::TrustAnchors::load_pem_file("/nonexistent/ca.pem"), std::runtime_error);
}

}  // namespace
}  // namespace otakit::tls
