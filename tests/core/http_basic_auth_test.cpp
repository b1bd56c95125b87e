// HTTP Basic credentials: the recorded header decodes to the recorded user and password, the
// comparison, the encoder the pull client uses, and one test per malformed Authorization.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "core/http/basic_auth.h"
#include "tests/core/http_test_support.h"

namespace otakit::http {
namespace {

using testing::str;

Text text_of(const char* s) { return Text{s, strlen(s)}; }

// The credentials point into the scratch, so it outlives the call.
char g_scratch[64];

BasicAuthError decode(const char* value, BasicCredentials* out = nullptr) {
  BasicCredentials ignored;
  return decode_basic_authorization(text_of(value), g_scratch, sizeof(g_scratch), out ? out : &ignored);
}

TEST(BasicAuth, DecodesTheRecordedCredentials) {
  char scratch[64];
  BasicCredentials credentials;
  ASSERT_EQ(decode_basic_authorization(text_of("Basic YWRtaW46c2VjcmV0"), scratch, sizeof(scratch), &credentials),
            BasicAuthError::ok);
  EXPECT_EQ(str(credentials.user), "admin");
  EXPECT_EQ(str(credentials.password), "secret");
  EXPECT_TRUE(credentials_match(credentials, "admin", "secret"));
}

TEST(BasicAuth, SchemeIsCaseInsensitiveAndSpacesMayRepeat) {
  EXPECT_EQ(decode("bAsIc   YWRtaW46c2VjcmV0"), BasicAuthError::ok);
}

TEST(BasicAuth, ThePasswordMayHoldColons) {
  BasicCredentials credentials;
  ASSERT_EQ(decode("Basic YTpiOmM=", &credentials), BasicAuthError::ok);  // "a:b:c"
  EXPECT_EQ(str(credentials.user), "a");
  EXPECT_EQ(str(credentials.password), "b:c");
}

TEST(BasicAuth, EmptyUserAndPassword) {
  BasicCredentials credentials;
  ASSERT_EQ(decode("Basic Og==", &credentials), BasicAuthError::ok);  // ":"
  EXPECT_TRUE(credentials_match(credentials, "", ""));
  EXPECT_FALSE(credentials_match(credentials, "admin", ""));
}

TEST(BasicAuth, MatchNeedsBothExactly) {
  BasicCredentials credentials;
  ASSERT_EQ(decode("Basic YWRtaW46c2VjcmV0", &credentials), BasicAuthError::ok);
  EXPECT_FALSE(credentials_match(credentials, "admin", "secreT"));
  EXPECT_FALSE(credentials_match(credentials, "admin", "secre"));
  EXPECT_FALSE(credentials_match(credentials, "admin", "secret2"));
  EXPECT_FALSE(credentials_match(credentials, "Admin", "secret"));
  EXPECT_FALSE(credentials_match(credentials, "adminsecret", ""));
}

TEST(BasicAuth, MissingHeader) {
  char scratch[8];
  BasicCredentials credentials;
  EXPECT_EQ(decode_basic_authorization(Text{}, scratch, sizeof(scratch), &credentials), BasicAuthError::missing);
  EXPECT_EQ(decode(""), BasicAuthError::missing);
}

TEST(BasicAuth, AnotherScheme) { EXPECT_EQ(decode("Digest username=\"admin\""), BasicAuthError::not_basic); }

TEST(BasicAuth, SchemeRunningIntoTheCredentials) { EXPECT_EQ(decode("BasicYWRtaW46c2VjcmV0"), BasicAuthError::not_basic); }

TEST(BasicAuth, SchemeWithoutCredentials) { EXPECT_EQ(decode("Basic"), BasicAuthError::bad_base64); }

TEST(BasicAuth, NotBase64) { EXPECT_EQ(decode("Basic YWRtaW46c2Vj*mV0"), BasicAuthError::bad_base64); }

TEST(BasicAuth, Base64WithoutPadding) { EXPECT_EQ(decode("Basic YTpiOmM"), BasicAuthError::bad_base64); }

TEST(BasicAuth, CredentialsLongerThanTheScratch) {
  char scratch[4];
  BasicCredentials credentials;
  EXPECT_EQ(decode_basic_authorization(text_of("Basic YWRtaW46c2VjcmV0"), scratch, sizeof(scratch), &credentials),
            BasicAuthError::too_long);
}

TEST(BasicAuth, NoColon) { EXPECT_EQ(decode("Basic YWRtaW4="), BasicAuthError::missing_colon); }  // "admin"

TEST(BasicAuth, ControlCharacter) { EXPECT_EQ(decode("Basic YQk6Yg=="), BasicAuthError::control_character); }  // "a\t:b"

TEST(BasicAuth, FormatsWhatTheRecordingSent) {
  char out[64];
  size_t n = format_basic_authorization("admin", "secret", out, sizeof(out));
  EXPECT_EQ(std::string(out, n), "Basic YWRtaW46c2VjcmV0");
  EXPECT_EQ(out[n], '\0');
}

TEST(BasicAuth, FormatRoundTrips) {
  char out[64];
  size_t n = format_basic_authorization("u", "p:w\xc3\xa9", out, sizeof(out));
  char scratch[64];
  BasicCredentials credentials;
  ASSERT_EQ(decode_basic_authorization(Text{out, n}, scratch, sizeof(scratch), &credentials), BasicAuthError::ok);
  EXPECT_TRUE(credentials_match(credentials, "u", "p:w\xc3\xa9"));
}

TEST(BasicAuth, FormatRefusesAColonInTheUser) {
  char out[64];
  EXPECT_EQ(format_basic_authorization("a:b", "c", out, sizeof(out)), 0u);
}

TEST(BasicAuth, FormatRefusesASmallBuffer) {
  char out[22];  // "Basic YWRtaW46c2VjcmV0" needs 23 with the NUL
  EXPECT_EQ(format_basic_authorization("admin", "secret", out, sizeof(out)), 0u);
}

TEST(BasicAuth, FormatRefusesOverlongCredentials) {
  char out[512];
  std::string password(kMaxBasicCredentials, 'p');
  EXPECT_EQ(format_basic_authorization("u", password.c_str(), out, sizeof(out)), 0u);
  EXPECT_GT(format_basic_authorization("u", password.c_str() + 2, out, sizeof(out)), 0u);
}

TEST(BasicAuth, EveryErrorHasItsOwnDescription) {
  std::vector<std::string> seen;
  for (int e = int(BasicAuthError::ok); e <= int(BasicAuthError::control_character); ++e) {
    std::string text = describe(BasicAuthError(e));
    EXPECT_NE(text, "unknown");
    for (const std::string& other : seen) EXPECT_NE(text, other);
    seen.push_back(text);
  }
}

}  // namespace
}  // namespace otakit::http
