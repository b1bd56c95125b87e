// `otakit server` in-process on loopback with SQLite: the update endpoint's answers byte for byte
// as the original client reads them, the admin API's gate and uploads, limits, metrics.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/http/request_builder.h"
#include "host/image_report.h"
#include "server/admin/admin_api.h"
#include "server/app/fleet_server.h"
#include "server/store/fleet_store.h"
#include "server/store/migrations.h"
#include "tests/server/raw_http.h"
#include "tests/server/server_test_support.h"

using namespace otakit;
using namespace otakit::server;

namespace {

constexpr const char* kOldMd5 = "a43ad019932b627ab90ee35a94a764ee";

class EndpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.data_dir = test::temp_dir("endpoint");
    config_.listen_address = "127.0.0.1";
    config_.port = 0;
    config_.threads = 2;
    {
      auto db = open_database("sqlite:" + config_.data_dir + "/fleet.db");
      migrate(*db, fleet_migrations());
      FleetStore store(*db, "test");
      const NewToken t = generate_token();
      token_ = t.token;
      store.add_token("test", t.sha256, 0, 0);
    }
    server_ = std::make_unique<FleetServer>(config_);
    server_->start();
    port_ = server_->port();
    thread_ = std::thread([this] { server_->run(); });
  }
  void TearDown() override {
    server_->stop();
    thread_.join();
  }

  // The check exactly as ESP8266httpUpdate writes it (core/http/request_builder).
  std::string check_request(int device, const std::string& md5, const std::string& extra = "",
                            http::UpdateMode mode = http::UpdateMode::sketch, const char* version = nullptr) {
    http::UpdateRequest r;
    r.host = "127.0.0.1";
    r.port = port_;
    r.path = "/update";
    r.device.chip_id = static_cast<uint32_t>(0x100000 + device);
    const uint8_t sta[6] = {0x18, 0xFE, 0x34, 0, 0, static_cast<uint8_t>(device)};
    memcpy(r.device.sta_mac, sta, 6);
    memcpy(r.device.ap_mac, sta, 6);
    r.device.free_space = 1044480;
    r.device.sketch_size = 300000;
    r.device.sketch_md5 = md5.c_str();
    r.device.chip_size = 4194304;
    r.device.sdk_version = "2.2.2-dev(38a443e)";
    r.mode = mode;
    r.version = version;
    char head[2048];
    size_t length = 0;
    EXPECT_EQ(http::build_update_request(r, head, sizeof(head), &length), http::BuildError::ok);
    std::string text(head, length);
    if (!extra.empty()) text.insert(text.size() - 2, extra);
    return text;
  }

  test::RawResponse api(const std::string& method, const std::string& target, const std::string& body = "",
                        const std::string& token = "use-default") {
    const std::string auth = token == "use-default" ? token_ : token;
    std::string request = fmt::format("{} {} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n", method,
                                      target, body.size());
    if (!auth.empty()) request += "Authorization: Bearer " + auth + "\r\n";
    return test::exchange(port_, request + "\r\n" + body);
  }

  nlohmann::json publish(const std::vector<uint8_t>& image, const std::string& name = "app.bin") {
    const auto r = api("POST", "/api/firmware?name=" + name, std::string(image.begin(), image.end()));
    EXPECT_TRUE(r.status == 201 || r.status == 200) << r.status << " " << r.body;
    const auto fw = nlohmann::json::parse(r.body);
    const auto t = api("PUT", "/api/targets", nlohmann::json{{"scope", "*"}, {"firmware_id", fw["id"]}}.dump());
    EXPECT_EQ(t.status, 200) << t.body;
    return fw;
  }

  ServerConfig config_;
  std::unique_ptr<FleetServer> server_;
  std::thread thread_;
  uint16_t port_ = 0;
  std::string token_;
};

TEST_F(EndpointTest, ARequestWithoutTheEsp8266HeadersIsForbidden) {
  const auto r = test::exchange(port_, "GET /update HTTP/1.0\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("only for ESP8266 updater!"), std::string::npos);
}

TEST_F(EndpointTest, AGarbageMacIsForbiddenWithTheReason) {
  std::string request = check_request(1, kOldMd5);
  const size_t at = request.find("x-ESP8266-STA-MAC: ") + 19;
  request.replace(at, 17, "not-a-mac-address");
  const auto r = test::exchange(port_, request);
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("x-ESP8266-STA-MAC"), std::string::npos) << r.body;
}

TEST_F(EndpointTest, AFreshServerAnswers304AndRegistersTheDevice) {
  const auto r = test::exchange(port_, check_request(1, kOldMd5));
  EXPECT_EQ(r.status, 304);
  EXPECT_EQ(r.header("x-otakit-withheld"), "no_target") << "why nothing is offered";
  const auto list = api("GET", "/api/devices");
  ASSERT_EQ(list.status, 200);
  const auto j = nlohmann::json::parse(list.body);
  ASSERT_EQ(j["total"], 1);
  EXPECT_EQ(j["devices"][0]["mac"], "18:FE:34:00:00:01");
  EXPECT_EQ(j["devices"][0]["running_md5"], kOldMd5);
  EXPECT_EQ(j["devices"][0]["address"], "127.0.0.1");
}

TEST_F(EndpointTest, XForwardedForIsIgnoredWithoutATrustedProxy) {
  EXPECT_EQ(test::exchange(port_, check_request(1, kOldMd5, "X-Forwarded-For: 203.0.113.7\r\n")).status, 304);
  const auto j = nlohmann::json::parse(api("GET", "/api/devices").body);
  EXPECT_EQ(j["devices"][0]["address"], "127.0.0.1") << "a device cannot choose its address";
}

// nginx on this host in front of the server (docs/operations.md): --trusted-proxy 127.0.0.1.
class BehindAProxy : public EndpointTest {
 protected:
  void SetUp() override {
    config_.trusted_proxies = {"127.0.0.1"};
    EndpointTest::SetUp();
  }
};

TEST_F(BehindAProxy, TheDeviceRowShowsTheAddressTheProxySaw) {
  // What nginx's $proxy_add_x_forwarded_for makes of a device that sent its own header.
  EXPECT_EQ(test::exchange(port_, check_request(1, kOldMd5, "X-Forwarded-For: 198.51.100.1, 203.0.113.7\r\n")).status,
            304);
  // Two fields are one list.
  EXPECT_EQ(test::exchange(port_, check_request(2, kOldMd5,
                                                "X-Forwarded-For: 198.51.100.1\r\nX-Forwarded-For: 203.0.113.8\r\n"))
                .status,
            304);
  EXPECT_EQ(test::exchange(port_, check_request(3, kOldMd5)).status, 304);
  const auto j = nlohmann::json::parse(api("GET", "/api/devices").body);
  ASSERT_EQ(j["total"], 3);
  std::map<std::string, std::string> address;
  for (const auto& d : j["devices"]) address[d["mac"]] = d["address"];
  EXPECT_EQ(address["18:FE:34:00:00:01"], "203.0.113.7");
  EXPECT_EQ(address["18:FE:34:00:00:02"], "203.0.113.8");
  EXPECT_EQ(address["18:FE:34:00:00:03"], "127.0.0.1") << "nothing forwarded: the proxy's own address";
}

TEST_F(EndpointTest, TheTargetIsSentWithItsHeadersAndBytes) {
  const auto image = test::image(200000, "2.0");
  publish(image, "door.bin");
  const auto r = test::exchange(port_, check_request(1, kOldMd5));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-length"), "200000");
  EXPECT_EQ(r.header("x-md5"), host::md5_hex(image.data(), image.size()));
  EXPECT_EQ(r.header("x-version"), "2.0");
  EXPECT_EQ(r.header("content-disposition"), "attachment; filename=door.bin");
  EXPECT_EQ(r.header("etag"), "\"" + host::sha256_hex(image.data(), image.size()) + "\"");
  EXPECT_EQ(r.header("connection"), "close") << "an HTTP/1.0 client is answered and closed";
  EXPECT_EQ(r.body, std::string(image.begin(), image.end()));
  EXPECT_EQ(test::exchange(port_, check_request(1, host::md5_hex(image.data(), image.size()))).status, 304);
}

TEST_F(EndpointTest, ARangeResumesTheDownload) {
  const auto image = test::image(200000, "2.0");
  publish(image);
  const std::string etag = "\"" + host::sha256_hex(image.data(), image.size()) + "\"";
  auto r = test::exchange(port_, check_request(1, kOldMd5, "Range: bytes=150000-\r\nIf-Range: " + etag + "\r\n"));
  ASSERT_EQ(r.status, 206);
  EXPECT_EQ(r.header("content-range"), "bytes 150000-199999/200000");
  EXPECT_EQ(r.body, std::string(image.begin() + 150000, image.end()));
  r = test::exchange(port_, check_request(1, kOldMd5, "Range: bytes=150000-\r\nIf-Range: \"other\"\r\n"));
  EXPECT_EQ(r.status, 200) << "another image: the whole new one";
  EXPECT_EQ(r.body.size(), 200000u);
  r = test::exchange(port_, check_request(1, kOldMd5, "Range: bytes=200000-\r\n"));
  EXPECT_EQ(r.status, 416);
  EXPECT_EQ(r.header("content-range"), "bytes */200000");
}

TEST_F(EndpointTest, AVersionQueryGetsXVersionWithoutABody) {
  publish(test::image(100000, "3.1"));
  const auto r = test::exchange(port_, check_request(1, kOldMd5, "", http::UpdateMode::version));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("x-version"), "3.1");
  EXPECT_EQ(r.header("content-length"), "0");
}

TEST_F(EndpointTest, KeepAliveServesSeveralChecksOnOneConnection) {
  test::RawConnection c(port_);
  for (int i = 0; i < 3; ++i) {
    std::string request = check_request(i, kOldMd5);
    request.replace(request.find("HTTP/1.0"), 8, "HTTP/1.1");
    request.replace(request.find("Connection: close"), 17, "Connection: keep-alive");
    c.send(request);
    EXPECT_EQ(c.read().status, 304) << i;
  }
}

TEST_F(EndpointTest, HeadsOverTheLimitGet431) {
  const auto r = test::exchange(port_, check_request(1, kOldMd5, "X-Padding: " + std::string(9000, 'a') + "\r\n"));
  EXPECT_EQ(r.status, 431);
}

TEST_F(EndpointTest, TheAdminApiIsNeverReachableWithoutAValidToken) {
  for (const std::string& token : {std::string(""), std::string("otk_wrong")}) {
    for (const auto& [method, path] : {std::pair{"GET", "/api/devices"}, std::pair{"POST", "/api/firmware"},
                                       std::pair{"PUT", "/api/targets"}, std::pair{"GET", "/api/nothing"}}) {
      const auto r = api(method, path, "", token);
      EXPECT_EQ(r.status, 401) << method << " " << path << " token '" << token << "'";
      EXPECT_FALSE(r.header("www-authenticate").empty());
    }
  }
  const auto basic = test::exchange(port_, "GET /api/devices HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YTpi\r\n"
                                           "Connection: close\r\n\r\n");
  EXPECT_EQ(basic.status, 401);
}

TEST_F(EndpointTest, UploadsThatAreNotImagesAreRefusedWithTheReason) {
  const auto r = api("POST", "/api/firmware?name=notes.txt", "hello, this is not firmware");
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(nlohmann::json::parse(r.body)["error"].get<std::string>().find("not an ESP8266 firmware image"),
            std::string::npos);
  EXPECT_EQ(api("POST", "/api/firmware", "").status, 422) << "an empty upload";
}

TEST_F(EndpointTest, OversizeUploadsGet413) {
  // Answered from the declared length, before the body is sent.
  test::RawConnection c(port_);
  c.send(fmt::format("POST /api/firmware HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n"
                     "Content-Length: {}\r\n\r\n",
                     token_, 17 * 1024 * 1024));
  const auto r = c.read();
  EXPECT_EQ(r.status, 413);
  EXPECT_TRUE(c.closed_by_server());
}

TEST_F(EndpointTest, UploadsLargerThanTheBodyLimitOfOtherRequestsAreTaken) {
  const auto image = test::image(2 * 1024 * 1024, "big");
  const auto r = api("POST", "/api/firmware?name=big.bin", std::string(image.begin(), image.end()));
  EXPECT_EQ(r.status, 201) << r.body;
}

TEST_F(EndpointTest, WrongTypedFieldsGet400AndAFailedRollbackChangesNothing) {
  EXPECT_EQ(api("PUT", "/api/targets", R"({"firmware_id":"x"})").status, 400);
  const auto fw = publish(test::image(100000, "2.0"));
  test::exchange(port_, check_request(1, kOldMd5));  // a device, so the rollout has a stage to run
  const auto created = api("POST", "/api/rollouts", nlohmann::json{{"firmware_id", fw["id"]}}.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  const auto id = nlohmann::json::parse(created.body)["id"].get<int64_t>();
  EXPECT_EQ(api("POST", fmt::format("/api/rollouts/{}/rollback", id), R"({"firmware_id":999})").status, 422);
  EXPECT_EQ(nlohmann::json::parse(api("GET", fmt::format("/api/rollouts/{}", id)).body)["state"], "running");
}

TEST_F(EndpointTest, TheBearerSchemeIsCaseInsensitive) {
  const auto r = test::exchange(port_, "GET /api/devices HTTP/1.1\r\nHost: x\r\nAuthorization: bearer " + token_ +
                                           "\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(r.status, 200);
}

TEST_F(EndpointTest, PathTraversalInANameIsReducedToABaseName) {
  const auto image = test::image(100000, "1.1");
  const auto r = api("POST", "/api/firmware?name=..%2F..%2Fetc%2Fpasswd", std::string(image.begin(), image.end()));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(nlohmann::json::parse(r.body)["name"], "passwd");
}

TEST_F(EndpointTest, BadAdminInputGets400WithTheReason) {
  EXPECT_EQ(api("GET", "/api/devices/not-a-mac").status, 400);
  EXPECT_EQ(api("PUT", "/api/targets", "{not json").status, 400);
  EXPECT_EQ(api("PUT", "/api/targets", R"({"scope":"group:../x","firmware_id":1})").status, 400);
  EXPECT_EQ(api("POST", "/api/rollouts", R"({"firmware_id":1,"stages":"50%,20%"})").status, 400);
  EXPECT_EQ(api("POST", "/api/rollouts", R"({"firmware_id":99})").status, 422);
  EXPECT_EQ(api("GET", "/api/devices?limit=lots").status, 400);
}

TEST_F(EndpointTest, MetricsCountTheAnswers) {
  test::exchange(port_, check_request(1, kOldMd5));
  test::exchange(port_, "GET /update HTTP/1.0\r\nHost: x\r\n\r\n");
  const auto m = test::exchange(port_, "GET /metrics HTTP/1.0\r\n\r\n");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("otakit_checks_total{status=\"304\"} 1"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("otakit_checks_total{status=\"403\"} 1"), std::string::npos);
  EXPECT_NE(m.body.find("otakit_not_modified_total{reason=\"no_target\"} 1"), std::string::npos);
  EXPECT_NE(m.body.find("otakit_check_duration_seconds_count 1"), std::string::npos);
}

class PrivateMetrics : public EndpointTest {
 protected:
  void SetUp() override {
    config_.private_metrics = true;
    EndpointTest::SetUp();
  }
};

TEST_F(PrivateMetrics, MetricsNeedAValidTokenAndUpdateChecksDoNot) {
  EXPECT_EQ(test::exchange(port_, check_request(1, kOldMd5)).status, 304);
  EXPECT_EQ(test::exchange(port_, "GET /metrics HTTP/1.0\r\n\r\n").status, 401);
  EXPECT_EQ(test::exchange(port_, "GET /metrics HTTP/1.0\r\nAuthorization: Bearer otk_wrong\r\n\r\n").status, 401);
  const auto m = api("GET", "/metrics");
  ASSERT_EQ(m.status, 200) << m.body;
  EXPECT_NE(m.body.find("otakit_checks_total{status=\"304\"} 1"), std::string::npos) << m.body;
  EXPECT_EQ(test::exchange(port_, "GET /healthz HTTP/1.0\r\n\r\n").status, 200) << "the balancer's check stays open";
}

TEST(PrivateMetricsConfig, TheSimpleModeHasNoTokensToCheck) {
  ServerConfig config;
  config.data_dir = test::temp_dir("private-metrics");
  config.listen_address = "127.0.0.1";
  config.port = 0;
  config.serve_dir = config.data_dir;
  config.map_file = config.data_dir + "/none.map";
  config.private_metrics = true;
  FleetServer server(config);
  try {
    server.start();
    ADD_FAILURE() << "started";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("--private-metrics"), std::string::npos) << e.what();
  }
}

}  // namespace

namespace {

// wrk ends a run with connections mid-body; sendfile to them raised SIGPIPE and ended the server.
TEST_F(EndpointTest, AClientThatLeavesMidDownloadDoesNotEndTheServer) {
  publish(test::image(1000000, "2.0"));
  for (int i = 0; i < 5; ++i) {
    test::RawConnection c(port_);
    c.send(check_request(1, kOldMd5));
  }  // each closes without reading the megabyte
  const auto r = test::exchange(port_, check_request(2, kOldMd5));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body.size(), 1000000u);
}

}  // namespace
