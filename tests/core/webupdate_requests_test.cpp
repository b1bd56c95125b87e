// Requests other than uploads: malformed heads, methods, routes, HEAD, keep-alive and ?status.
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "tests/core/http_test_support.h"
#include "tests/core/webupdate_support.h"

namespace otakit::webupdate {
namespace {

using namespace testing;

const std::string kPage(kUpdatePage, kUpdatePageSize);

// A rejected head is answered with its status and reason, then closed; the sink is never touched.
void expect_rejected_head(const std::string& request, int status, const std::string& reason) {
  Harness h;
  const uint8_t c = h.accept();
  h.send(c, request);
  const Reply reply = h.only_reply(c);
  EXPECT_EQ(reply.status, status) << request;
  EXPECT_EQ(reply.body, "bad request: " + reason + "\n");
  EXPECT_TRUE(reply.has("Connection: close"));
  EXPECT_TRUE(h.closed(c));
  EXPECT_EQ(h.sink.begins, 0);
}

TEST(WebUpdateRequests, RequestLineWithoutVersionIs400) {
  expect_rejected_head("GET /update\r\nHost: esp8266\r\n\r\n", 400, "the request line is not 'method target version'");
}

TEST(WebUpdateRequests, UnknownMethodIs501) {
  expect_rejected_head("BREW /update HTTP/1.1\r\nHost: esp8266\r\n\r\n", 501,
                       "a method this server does not implement");
}

TEST(WebUpdateRequests, Http2PrefaceIs505) {
  expect_rejected_head("PRI * HTTP/2.0\r\n\r\n", 505, "an HTTP version other than 1.0 and 1.1");
}

TEST(WebUpdateRequests, Http11WithoutHostIs400) {
  expect_rejected_head("GET /update HTTP/1.1\r\n\r\n", 400, "an HTTP/1.1 request without Host");
}

TEST(WebUpdateRequests, BareLineFeedIs400) {
  expect_rejected_head("GET /update HTTP/1.1\nHost: esp8266\n\n", 400, "a line ending in LF without CR");
}

TEST(WebUpdateRequests, HeadLargerThanTheLimitIs431) {
  expect_rejected_head(get("/update", "X-Pad: " + std::string(3000, 'a') + "\r\n"), 431,
                       "the head is larger than the head limit");
}

TEST(WebUpdateRequests, KnownMethodThatIsNotServedIs405AfterItsBody) {
  Harness h;
  const uint8_t c = h.accept();
  const std::string request = "PUT /update HTTP/1.1\r\nHost: esp8266\r\nContent-Length: 4\r\n\r\n";
  EXPECT_EQ(h.send(c, request), request.size());
  EXPECT_EQ(h.sent(c), "") << "the answer waits for the body";
  h.send(c, "abcd");
  const Reply reply = h.only_reply(c);
  EXPECT_EQ(reply.status, 405);
  EXPECT_TRUE(reply.has("Allow: GET, HEAD, POST, OPTIONS")) << "a 405 must say what is allowed";
  EXPECT_EQ(reply.body, "method not allowed: GET the page, POST the image as multipart/form-data\n");
}

TEST(WebUpdateRequests, OtherPathIs404AndTheConnectionStaysUsable) {
  Harness h;
  const uint8_t c = h.accept();
  h.send(c, get("/nope") + get("/update"));
  const auto replies = h.replies(c);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0].status, 404);
  EXPECT_EQ(replies[0].body, "not found: the update page is at /update\n");
  EXPECT_EQ(replies[1].status, 200);
  EXPECT_FALSE(h.closed(c));
}

TEST(WebUpdateRequests, RootRedirectsToThePage) {
  ServerConfig config;
  config.path = "/firmware";
  Harness h(config);
  const uint8_t c = h.accept();
  h.send(c, get("/"));
  const Reply reply = h.only_reply(c);
  EXPECT_EQ(reply.status, 303);
  EXPECT_TRUE(reply.has("Location: /firmware"));
  EXPECT_EQ(reply.body, "");
}

TEST(WebUpdateRequests, GetServesThePage) {
  Harness h;
  const uint8_t c = h.accept();
  h.send(c, get());
  const Reply reply = h.only_reply(c);
  EXPECT_EQ(reply.status, 200);
  EXPECT_TRUE(reply.has("Content-Type: text/html"));
  EXPECT_EQ(reply.body, kPage);
}

TEST(WebUpdateRequests, HeadSendsThePagesHeadWithoutItsBody) {
  Harness h;
  const uint8_t c = h.accept();
  h.send(c, get("/update", "", "HEAD"));
  const std::string head = h.sent(c);
  EXPECT_EQ(head.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  EXPECT_NE(head.find("\r\nContent-Length: " + std::to_string(kUpdatePageSize) + "\r\n"), std::string::npos);
  EXPECT_EQ(head.find("\r\n\r\n"), head.size() - 4) << "nothing after the head";
  // The connection stays usable: a GET after it gets the page.
  h.send(c, get());
  const auto after = parse_replies(h.sent(c).substr(head.size()));
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].body, kPage);
}

TEST(WebUpdateRequests, HeadOfEveryAnswerHasNoBody) {
  const std::pair<const char*, int> answers[] = {{"/nope", 404}, {"/update?status", 200}, {"/", 303}};
  for (const auto& [target, status] : answers) {
    Harness h;
    const uint8_t c = h.accept();
    h.send(c, get(target, "", "HEAD"));
    const Reply reply = h.only_reply(c);
    EXPECT_EQ(reply.status, status) << target;
    EXPECT_EQ(h.sent(c), reply.head) << target << ": a HEAD answer is its head alone";
  }
}

TEST(WebUpdateRequests, KeepAliveServesGetAfterGet) {
  Harness h;
  const uint8_t c = h.accept();
  h.send(c, get(), 0);
  h.send(c, get("/update?status"), 1000);
  h.send(c, get(), 2000);
  const auto replies = h.replies(c);
  ASSERT_EQ(replies.size(), 3u);
  for (const Reply& reply : replies) {
    EXPECT_EQ(reply.status, 200);
    EXPECT_TRUE(reply.has("Connection: keep-alive"));
  }
  EXPECT_FALSE(h.closed(c));
}

TEST(WebUpdateRequests, PipelinedGetsInOneReadAreEachAnswered) {
  Harness h;
  const uint8_t c = h.accept();
  h.send(c, get() + get() + get("/update?status"));
  const auto replies = h.replies(c);
  ASSERT_EQ(replies.size(), 3u);
  EXPECT_TRUE(replies[2].has("Content-Type: application/json"));
}

TEST(WebUpdateRequests, Http10GetIsAnsweredAndClosed) {
  Harness h;
  const uint8_t c = h.accept();
  h.send(c, "GET /update HTTP/1.0\r\n\r\n");
  const Reply reply = h.only_reply(c);
  EXPECT_EQ(reply.head.rfind("HTTP/1.0 200 OK\r\n", 0), 0u);
  EXPECT_TRUE(reply.has("Connection: close"));
  EXPECT_TRUE(h.closed(c));
}

TEST(WebUpdateRequests, ClientConnectionCloseIsHonoured) {
  Harness h;
  const uint8_t c = h.accept();
  const std::string first = get("/update", "Connection: close\r\n");
  EXPECT_EQ(h.send(c, first + get()), first.size()) << "nothing is read after the close";
  EXPECT_EQ(h.replies(c).size(), 1u);
  EXPECT_TRUE(h.closed(c));
}

// A body on a GET is not a request: reading it as the next head would answer the client a 400 it
// never caused. The server says it closes instead.
TEST(WebUpdateRequests, GetWithABodyIsAnsweredAndClosed) {
  Harness h;
  const uint8_t c = h.accept();
  h.send(c, get("/update", "Content-Length: 5\r\n") + "hello" + get());
  const Reply reply = h.only_reply(c);
  EXPECT_EQ(reply.status, 200);
  EXPECT_TRUE(reply.has("Connection: close"));
  EXPECT_TRUE(h.closed(c));
}

TEST(WebUpdateRequests, StatusIsTheRunningImageAsJson) {
  Harness h;
  h.status.status.on_trial = true;
  h.status.status.hostname = "esp \"quoted\"";
  const uint8_t c = h.accept();
  h.send(c, get("/update?status"));
  const Reply reply = h.only_reply(c);
  EXPECT_EQ(reply.status, 200);
  EXPECT_TRUE(reply.has("Content-Type: application/json"));
  EXPECT_TRUE(reply.has("Cache-Control: no-store"));
  EXPECT_EQ(reply.body,
            "{\"hostname\":\"esp \\\"quoted\\\"\",\"version\":\"1.2.3\",\"md5\":\"0123456789abcdef0123456789abcdef\","
            "\"sketch_size\":300000,\"free_space\":1048576,\"filesystem_size\":65536,\"chip_id\":15602487,"
            "\"boots\":7,\"on_trial\":true,\"uploading\":false}");
}

TEST(WebUpdateRequests, StatusSaysWhileAnUploadRuns) {
  Harness h;
  const uint8_t up = h.accept();
  const std::string request = post(firmware_form(std::string(100, 'x')));
  h.send(up, request.substr(0, request.size() - 10));
  const uint8_t c = h.accept();
  h.send(c, get("/update?status"));
  EXPECT_NE(h.only_reply(c).body.find("\"uploading\":true}"), std::string::npos);
}

TEST(WebUpdateRequests, OptionsIsTheOriginalsPreflightByteForByte) {
  Harness h;
  const uint8_t c = h.accept();
  h.send(c, http::testing::read_vector("webupdate/options-update.request.http"));
  EXPECT_EQ(h.sent(c), http::testing::read_vector("webupdate/options-update.response.http"));
  EXPECT_FALSE(h.closed(c));
}

}  // namespace
}  // namespace otakit::webupdate
