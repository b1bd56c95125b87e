// Basic auth: checked on every request once both a user and a password are set (the original
// checks only the upload), never when only one of them is; a preflight carries no credentials.
#include <gtest/gtest.h>

#include <string>

#include "tests/core/http_test_support.h"
#include "tests/core/webupdate_support.h"

namespace otakit::webupdate {
namespace {

using namespace testing;

// Missing, wrong and malformed Authorization fields (admin:secret is right).
const char* const kBadCredentials[] = {
    "",                                              // none
    "Authorization: Basic YWRtaW46d3Jvbmc=\r\n",     // admin:wrong
    "Authorization: Basic cm9vdDpzZWNyZXQ=\r\n",     // root:secret
    "Authorization: Basic YWRtaW46c2VjcmV0eA==\r\n", // admin:secretx
    "Authorization: Basic YWRtaW4=\r\n",             // admin, no colon
    "Authorization: Basic !!!!\r\n",                 // not base64
    "Authorization: Basic\r\n",                      // no credentials at all
    "Authorization: Bearer YWRtaW46c2VjcmV0\r\n",    // another scheme
    "Authorization: Digest username=\"admin\"\r\n",  // the original's other scheme
};

void expect_challenge(const Reply& reply, const std::string& what) {
  EXPECT_EQ(reply.status, 401) << what;
  EXPECT_TRUE(reply.has("WWW-Authenticate: Basic realm=\"Login Required\"")) << what;
  EXPECT_EQ(reply.body, "") << what;
}

TEST(WebUpdateAuth, GetWithBadCredentialsIs401) {
  for (const char* credentials : kBadCredentials) {
    for (const char* method : {"GET", "HEAD"}) {
      for (const char* target : {"/update", "/update?status"}) {
        Harness h("admin", "secret");
        const uint8_t c = h.accept();
        h.send(c, get(target, credentials, method));
        expect_challenge(h.only_reply(c), std::string(method) + " " + target + " " + credentials);
        EXPECT_FALSE(h.closed(c)) << "a 401 keeps the connection for the retry with credentials";
      }
    }
  }
}

// Two Authorization fields could be read differently by two parsers: the head is refused.
TEST(WebUpdateAuth, RightCredentialsTwiceAre400) {
  Harness h("admin", "secret");
  const uint8_t c = h.accept();
  h.send(c, get("/update", std::string(kAuth) + kAuth));
  const Reply reply = h.only_reply(c);
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.body, "bad request: a field that may appear once appears twice\n");
}

TEST(WebUpdateAuth, GetWithoutCredentialsIsTheOriginals401ByteForByte) {
  Harness h("admin", "secret");
  const uint8_t c = h.accept();
  h.send(c, http::testing::read_vector("webupdate/get-update-noauth-401.request.http"));
  const std::string challenge = http::testing::read_vector("webupdate/get-update-noauth-401.response.http");
  EXPECT_EQ(h.sent(c), challenge);
  // The browser retries on the same connection once the user gave credentials.
  h.send(c, http::testing::read_vector("webupdate/get-update-basic.request.http"));
  const auto retry = parse_replies(h.sent(c).substr(challenge.size()));
  ASSERT_EQ(retry.size(), 1u);
  EXPECT_EQ(retry[0].status, 200);
}

TEST(WebUpdateAuth, GetWithTheRightCredentialsServesThePageAndStatus) {
  Harness h("admin", "secret");
  const uint8_t c = h.accept();
  h.send(c, http::testing::read_vector("webupdate/get-update-basic.request.http"));
  h.send(c, get("/update?status", "Authorization: basic YWRtaW46c2VjcmV0\r\n"));  // the scheme is case-insensitive
  const auto replies = h.replies(c);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0].status, 200);
  EXPECT_EQ(replies[0].body, std::string(kUpdatePage, kUpdatePageSize));
  EXPECT_EQ(replies[1].status, 200);
  EXPECT_EQ(replies[1].body.rfind("{\"hostname\":", 0), 0u);
}

TEST(WebUpdateAuth, PostWithBadCredentialsIs401AfterItsBodyAndNothingIsBegun) {
  for (const char* credentials : kBadCredentials) {
    Harness h("admin", "secret");
    const uint8_t c = h.accept();
    const std::string request = post(firmware_form(std::string(3000, 'x')), credentials);
    EXPECT_EQ(h.send(c, request.substr(0, request.size() - 1)), request.size() - 1);
    EXPECT_EQ(h.sent(c), "") << "the 401 waits for the end of the body";
    h.send(c, request.substr(request.size() - 1));
    const Reply reply = h.only_reply(c);
    expect_challenge(reply, credentials);
    EXPECT_TRUE(reply.has("Access-Control-Allow-Origin: *")) << "the original sends CORS headers on the POST's 401";
    EXPECT_EQ(h.sink.begins, 0);
    EXPECT_EQ(h.count(ServerAction::started), 0);
  }
}

TEST(WebUpdateAuth, PostWithoutCredentialsIsTheOriginals401ByteForByte) {
  Harness h("admin", "secret");
  const uint8_t c = h.accept();
  const std::string head = http::testing::read_vector("webupdate/post-update-nocreds.request-head.http");
  const std::string tail = http::testing::read_vector("webupdate/post-update-nocreds.request-tail.bin");
  h.send(c, head + std::string(4096, '\xE9') + tail, 0, 1460);
  EXPECT_EQ(h.sent(c), http::testing::read_vector("webupdate/post-update-nocreds.response.http"));
  EXPECT_EQ(h.sink.begins, 0);
}

TEST(WebUpdateAuth, PostExpectingContinueWithoutCredentialsIs401AtOnceAndClosed) {
  Harness h("admin", "secret");
  const uint8_t c = h.accept();
  const std::string request = post(firmware_form("image"), "Expect: 100-continue\r\n");
  const std::string head = request.substr(0, request.find("\r\n\r\n") + 4);
  h.send(c, head);
  const Reply reply = h.only_reply(c);
  expect_challenge(reply, "Expect: 100-continue");
  EXPECT_EQ(h.sent(c).find("100 Continue"), std::string::npos) << "no 100 Continue for a refused request";
  EXPECT_TRUE(reply.has("Connection: close")) << "the body was never read: the connection cannot be reused";
  EXPECT_TRUE(h.closed(c));
}

TEST(WebUpdateAuth, PostWithTheRightCredentialsUploads) {
  Harness h("admin", "secret");
  const uint8_t c = h.accept();
  h.send(c, post(firmware_form("image bytes"), kAuth));
  EXPECT_EQ(h.only_reply(c).status, 200);
  EXPECT_EQ(h.sink.written, "image bytes");
  EXPECT_EQ(h.count(ServerAction::reboot), 1);
}

// Browsers send a CORS preflight without credentials (Fetch: "credentials mode omit"); asking for
// them would break the page's cross-origin use, and the answer ("y") reveals nothing.
TEST(WebUpdateAuth, OptionsNeedsNoCredentialsWhateverItCarries) {
  for (const char* credentials : kBadCredentials) {
    Harness h("admin", "secret");
    const uint8_t c = h.accept();
    h.send(c, get("/update", credentials, "OPTIONS"));
    const Reply reply = h.only_reply(c);
    EXPECT_EQ(reply.status, 200) << credentials;
    EXPECT_EQ(reply.body, "y");
    EXPECT_FALSE(reply.has("WWW-Authenticate: Basic realm=\"Login Required\""));
  }
}

TEST(WebUpdateAuth, OtherMethodsAskForCredentialsBeforeSayingTheyAreNotAllowed) {
  Harness h("admin", "secret");
  const uint8_t c = h.accept();
  h.send(c, get("/update", "", "PUT"));
  expect_challenge(h.only_reply(c), "PUT");
}

// As the original: a user without a password, or a password without a user, means no auth.
TEST(WebUpdateAuth, OnlyOneOfUserAndPasswordMeansNoAuth) {
  const char* const configs[][2] = {{"admin", nullptr}, {"admin", ""}, {nullptr, "secret"}, {"", "secret"}, {"", ""}};
  for (const auto& config : configs) {
    Harness h(config[0], config[1]);
    const uint8_t c = h.accept();
    h.send(c, get());
    EXPECT_EQ(h.replies(c).at(0).status, 200);
    const uint8_t up = h.accept();
    h.send(up, post(firmware_form("image")));
    EXPECT_EQ(h.only_reply(up).status, 200) << (config[0] ? config[0] : "null") << "/" << (config[1] ? config[1] : "null");
    EXPECT_EQ(h.sink.written, "image");
  }
}

}  // namespace
}  // namespace otakit::webupdate
