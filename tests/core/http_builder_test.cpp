// The bytes our HTTP code sends: the pull client's request against every recorded
// ESP8266httpUpdate request, and the web server's reply heads against the recorded
// ESP8266WebServer replies wherever ours are meant to be the same.
#include <gtest/gtest.h>

#include <string>

#include "core/http/request_builder.h"
#include "core/http/request_head.h"
#include "core/http/response_builder.h"
#include "tests/core/http_test_support.h"

namespace otakit::http {
namespace {

using testing::bytes;
using testing::RecordedDevice;
using testing::md5_hex;
using testing::read_vector;
using testing::str;

// The client URL of every recording: http://127.0.0.1:8000/file.bin.
UpdateRequest recorded_request(const RecordedDevice& device) {
  UpdateRequest request;
  request.host = "127.0.0.1";
  request.port = 8000;
  request.path = "/file.bin";
  request.device = device.facts();
  return request;
}

std::string build(const UpdateRequest& request) {
  char out[1024];
  size_t length = 0;
  BuildError error = build_update_request(request, out, sizeof(out), &length);
  EXPECT_EQ(error, BuildError::ok) << describe(error);
  return error == BuildError::ok ? std::string(out, length) : std::string();
}

BuildError build_error(const UpdateRequest& request) {
  char out[1024];
  size_t length = 0;
  return build_update_request(request, out, sizeof(out), &length);
}

// ---- the pull client's request ---------------------------------------------------------------

TEST(UpdateRequest, RecordedDeviceFactsAreTheMocks) {
  EXPECT_EQ(RecordedDevice().sketch_md5, "a43ad019932b627ab90ee35a94a764ee");
}

struct Recording {
  const char* name;
  UpdateMode mode;
  const char* version;
  const char* user;
  const char* password;
};

class RecordedUpdateRequest : public ::testing::TestWithParam<Recording> {};

TEST_P(RecordedUpdateRequest, IsByteForByteTheOriginals) {
  const Recording& recording = GetParam();
  RecordedDevice device;
  UpdateRequest request = recorded_request(device);
  request.mode = recording.mode;
  request.version = recording.version;
  request.user = recording.user;
  request.password = recording.password;
  EXPECT_EQ(build(request), read_vector(std::string("httpupdate/") + recording.name + ".request.http"));
}

INSTANTIATE_TEST_SUITE_P(Httpupdate, RecordedUpdateRequest,
                         ::testing::Values(Recording{"update-ok", UpdateMode::sketch, nullptr, nullptr, nullptr},
                                           Recording{"update-nomd5", UpdateMode::sketch, nullptr, nullptr, nullptr},
                                           Recording{"update-wrong-md5", UpdateMode::sketch, nullptr, nullptr, nullptr},
                                           Recording{"update-404", UpdateMode::sketch, nullptr, nullptr, nullptr},
                                           Recording{"update-fs-mode", UpdateMode::spiffs, nullptr, nullptr, nullptr},
                                           Recording{"update-version-304", UpdateMode::sketch, "1.2.3", nullptr, nullptr},
                                           Recording{"update-basic-auth", UpdateMode::sketch, nullptr, "admin", "secret"}),
                         [](const ::testing::TestParamInfo<Recording>& recording) {
                           std::string name = recording.param.name;
                           for (char& c : name)
                             if (c == '-') c = '_';
                           return name;
                         });

TEST(UpdateRequest, AReadyCredentialWinsOverUserAndPassword) {
  RecordedDevice device;
  UpdateRequest request = recorded_request(device);
  request.user = "other";
  request.password = "pass";
  request.authorization = "YWRtaW46c2VjcmV0";
  EXPECT_EQ(build(request), read_vector("httpupdate/update-basic-auth.request.http"));
}

TEST(UpdateRequest, BasicNeedsBothUserAndPassword) {
  RecordedDevice device;
  UpdateRequest request = recorded_request(device);
  request.user = "admin";
  request.password = "";
  EXPECT_EQ(build(request), read_vector("httpupdate/update-ok.request.http"));
}

TEST(UpdateRequest, VersionMode) {
  RecordedDevice device;
  UpdateRequest request = recorded_request(device);
  request.mode = UpdateMode::version;
  EXPECT_NE(build(request).find("\r\nx-ESP8266-mode: version\r\n"), std::string::npos);
}

TEST(UpdateRequest, DefaultPortsStayOutOfHost) {
  RecordedDevice device;
  UpdateRequest request = recorded_request(device);
  for (uint16_t port : {uint16_t(80), uint16_t(443)}) {
    request.port = port;
    EXPECT_NE(build(request).find("\r\nHost: 127.0.0.1\r\n"), std::string::npos) << port;
  }
}

TEST(UpdateRequest, EmptyPathIsTheRoot) {
  RecordedDevice device;
  UpdateRequest request = recorded_request(device);
  request.path = "";
  EXPECT_EQ(build(request).rfind("GET / HTTP/1.0\r\n", 0), 0u);
}

TEST(UpdateRequest, MacAddressesInUppercase) {
  RecordedDevice device;
  UpdateRequest request = recorded_request(device);
  const uint8_t ap[6] = {0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f};
  memcpy(request.device.ap_mac, ap, 6);
  EXPECT_NE(build(request).find("\r\nx-ESP8266-AP-MAC: 0A:1B:2C:3D:4E:5F\r\n"), std::string::npos);
}

// The resume headers come after all of the original's, which stay byte for byte the same.
TEST(UpdateRequest, ResumeHeadersFollowTheOriginalOnes) {
  RecordedDevice device;
  UpdateRequest request = recorded_request(device);
  request.has_range_start = true;
  request.range_start = 123456;
  request.if_range = "\"v2\"";
  request.if_match = "\"v2\"";
  std::string recorded = read_vector("httpupdate/update-ok.request.http");
  std::string base = recorded.substr(0, recorded.size() - 2);
  EXPECT_EQ(build(request), base + "Range: bytes=123456-\r\nIf-Range: \"v2\"\r\nIf-Match: \"v2\"\r\n\r\n");
}

TEST(UpdateRequest, OurParserReadsWhatWeBuild) {
  RecordedDevice device;
  UpdateRequest request = recorded_request(device);
  request.version = "1.2.3";
  request.has_range_start = true;
  std::string built = build(request);
  HeadStorage<2048, 24> storage;
  RequestHeadParser parser(storage);
  EXPECT_EQ(parser.feed(bytes(built), built.size()), built.size());
  ASSERT_EQ(parser.status(), HeadStatus::complete);
  EXPECT_EQ(str(parser.head().fields.find("range")->value), "bytes=0-");
  EXPECT_EQ(str(parser.head().fields.find("x-esp8266-version")->value), "1.2.3");
}

TEST(UpdateRequest, TooSmallForEveryShorterBuffer) {
  RecordedDevice device;
  UpdateRequest request = recorded_request(device);
  size_t needed = build(request).size() + 1;
  char out[1024];
  size_t length = 0;
  for (size_t capacity = 0; capacity < needed; ++capacity)
    EXPECT_EQ(build_update_request(request, out, capacity, &length), BuildError::too_small) << capacity;
  EXPECT_EQ(build_update_request(request, out, needed, &length), BuildError::ok);
}

TEST(UpdateRequest, EmptyHost) {
  RecordedDevice device;
  UpdateRequest request = recorded_request(device);
  request.host = "";
  EXPECT_EQ(build_error(request), BuildError::bad_host);
}

TEST(UpdateRequest, HostWithAPath) {
  RecordedDevice device;
  UpdateRequest request = recorded_request(device);
  request.host = "example.com/x";
  EXPECT_EQ(build_error(request), BuildError::bad_host);
}

TEST(UpdateRequest, PathWithoutSlash) {
  RecordedDevice device;
  UpdateRequest request = recorded_request(device);
  request.path = "file.bin";
  EXPECT_EQ(build_error(request), BuildError::bad_path);
}

TEST(UpdateRequest, PathWithASpace) {
  RecordedDevice device;
  UpdateRequest request = recorded_request(device);
  request.path = "/a b.bin";
  EXPECT_EQ(build_error(request), BuildError::bad_path);
}

TEST(UpdateRequest, HeaderInjectionThroughTheVersion) {
  RecordedDevice device;
  UpdateRequest request = recorded_request(device);
  request.version = "1.0\r\nX-Evil: 1";
  EXPECT_EQ(build_error(request), BuildError::bad_value);
}

TEST(UpdateRequest, MissingDeviceFact) {
  RecordedDevice device;
  UpdateRequest request = recorded_request(device);
  request.device.sdk_version = nullptr;
  EXPECT_EQ(build_error(request), BuildError::bad_value);
}

TEST(UpdateRequest, HeaderInjectionThroughTheEtag) {
  RecordedDevice device;
  UpdateRequest request = recorded_request(device);
  request.if_match = "\"v2\"\nX-Evil: 1";
  EXPECT_EQ(build_error(request), BuildError::bad_value);
}

TEST(UpdateRequest, ColonInTheUser) {
  RecordedDevice device;
  UpdateRequest request = recorded_request(device);
  request.user = "ad:min";
  request.password = "secret";
  EXPECT_EQ(build_error(request), BuildError::bad_credentials);
}

TEST(UpdateRequest, WeakEtagForIfRange) {
  RecordedDevice device;
  UpdateRequest request = recorded_request(device);
  request.if_range = "W/\"v2\"";
  EXPECT_EQ(build_error(request), BuildError::weak_etag);
}

// ---- the web server's reply heads ------------------------------------------------------------

std::string head_of(const std::string& response) { return response.substr(0, response.find("\r\n\r\n") + 4); }

std::string build(const ServerResponse& response) {
  char out[512];
  size_t n = build_response_head(response, out, sizeof(out));
  EXPECT_GT(n, 0u);
  return std::string(out, n);
}

// Against a keep-alive HTTP/1.1 client such as curl the original answers "Connection:
// keep-alive" with "Keep-Alive: timeout=2000"; ours does the same when asked to keep alive.
ServerResponse like_the_recordings() {
  ServerResponse response;
  response.keep_alive = true;
  return response;
}

TEST(ServerResponse, PreflightIsTheOriginals) {
  ServerResponse response = like_the_recordings();
  response.cors = true;
  response.content_length = 1;
  std::string recorded = read_vector("webupdate/options-update.response.http");
  EXPECT_EQ(build(response) + "y", recorded);
}

TEST(ServerResponse, UnauthorizedGetIsTheOriginals) {
  ServerResponse response = like_the_recordings();
  response.status = 401;
  response.basic_realm = "Login Required";
  EXPECT_EQ(build(response), read_vector("webupdate/get-update-noauth-401.response.http"));
}

TEST(ServerResponse, UnauthorizedPostIsTheOriginals) {
  ServerResponse response = like_the_recordings();
  response.status = 401;
  response.cors = true;
  response.basic_realm = "Login Required";
  EXPECT_EQ(build(response), read_vector("webupdate/post-update-nocreds.response.http"));
}

TEST(ServerResponse, UploadPageAndSuccessHeadsAreTheOriginals) {
  ServerResponse page = like_the_recordings();
  page.content_length = 664;
  EXPECT_EQ(build(page), head_of(read_vector("webupdate/get-update.response.http")));
  ServerResponse success = like_the_recordings();
  success.cors = true;
  success.content_length = 74;
  EXPECT_EQ(build(success), head_of(read_vector("webupdate/post-update-ok.response.http")));
}

// Where we differ on purpose: a failed update is not "200 OK" (the original's
// post-update-badmagic.response.http) but an error status.
TEST(ServerResponse, AFailedUpdateGetsAnHonestStatus) {
  ServerResponse failed = like_the_recordings();
  failed.status = 400;
  failed.cors = true;
  failed.content_length = 48;
  std::string recorded = head_of(read_vector("webupdate/post-update-badmagic.response.http"));
  std::string ours = build(failed);
  EXPECT_EQ(ours.substr(0, ours.find("\r\n")), "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(ours.substr(ours.find("\r\n")), recorded.substr(recorded.find("\r\n")));
}

TEST(ServerResponse, CloseAndHttpTen) {
  ServerResponse response;
  response.version = Version::http10;
  response.status = 404;
  response.content_type = nullptr;
  EXPECT_EQ(build(response), "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
}

TEST(ServerResponse, MethodNotAllowedSaysWhatIsAndCannotBeSplit) {
  ServerResponse response;
  response.status = 405;
  response.content_type = nullptr;
  response.allow = "GET, POST";
  EXPECT_EQ(build(response),
            "HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, POST\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  response.allow = "GET\r\nSet-Cookie: x=1";
  char out[512];
  EXPECT_EQ(build_response_head(response, out, sizeof(out)), 0u);
}

TEST(ServerResponse, TooSmallBuffer) {
  char out[16];
  EXPECT_EQ(build_response_head(ServerResponse{}, out, sizeof(out)), 0u);
}

TEST(ServerResponse, RealmThatWouldBreakTheQuotes) {
  ServerResponse response;
  response.status = 401;
  response.basic_realm = "a\"b";
  char out[512];
  EXPECT_EQ(build_response_head(response, out, sizeof(out)), 0u);
}

TEST(ServerResponse, ContentTypeThatWouldEndTheLine) {
  ServerResponse response;
  response.content_type = "text/html\r\nSet-Cookie: x=1";
  char out[512];
  EXPECT_EQ(build_response_head(response, out, sizeof(out)), 0u);
}

TEST(ServerResponse, ReasonPhrases) {
  EXPECT_STREQ(reason_phrase(431), "Request Header Fields Too Large");
  EXPECT_STREQ(reason_phrase(505), "HTTP Version Not Supported");
  EXPECT_STREQ(reason_phrase(299), "");
}

// Every status the request parser can ask for has a reason phrase.
TEST(ServerResponse, EveryParserStatusHasAReason) {
  for (int e = int(HeadError::ok); e <= int(HeadError::transfer_encoding_in_http10); ++e)
    EXPECT_STRNE(reason_phrase(status_for(HeadError(e))), "") << e;
}

}  // namespace
}  // namespace otakit::http
