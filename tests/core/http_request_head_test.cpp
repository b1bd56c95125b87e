// The device web server's request-head parser: the recorded browser/curl requests, any split of
// the input, and one test per malformed head with the status the server answers it with.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/http/basic_auth.h"
#include "core/http/request_head.h"
#include "tests/core/http_test_support.h"

namespace otakit::http {
namespace {

using testing::bytes;
using testing::read_vector;
using testing::str;

class RequestHeadTest : public ::testing::Test {
 protected:
  size_t feed(const std::string& input) { return parser.feed(bytes(input), input.size()); }

  // Feeds a head that must be rejected; returns the error and checks where parsing stopped.
  HeadError reject(const std::string& input) {
    used = feed(input);
    EXPECT_EQ(parser.status(), HeadStatus::failed) << input;
    EXPECT_LE(used, input.size());
    return parser.error();
  }

  const RequestHead& accept(const std::string& input) {
    used = feed(input);
    EXPECT_EQ(parser.status(), HeadStatus::complete) << describe(parser.error());
    return parser.head();
  }

  HeadStorage<kDefaultHeadLimit, kDefaultMaxHeaders> storage;
  RequestHeadParser parser{storage};
  size_t used = 0;
};

// ---- the recorded requests -------------------------------------------------------------------

TEST_F(RequestHeadTest, ParsesTheRecordedBrowserGet) {
  std::string request = read_vector("webupdate/get-update.request.http");
  const RequestHead& head = accept(request);
  EXPECT_EQ(used, request.size());
  EXPECT_EQ(head.method, Method::get);
  EXPECT_EQ(str(head.path), "/update");
  EXPECT_FALSE(head.query.present());
  EXPECT_EQ(head.version, Version::http11);
  EXPECT_EQ(str(head.host), "127.0.0.1");
  EXPECT_TRUE(head.keep_alive);
  EXPECT_FALSE(head.authorization.present());
  EXPECT_EQ(head.body_framing().kind, Framing::length);
  EXPECT_EQ(head.body_framing().length, 0u);
  EXPECT_EQ(head.fields.count, 3u);
  EXPECT_EQ(str(head.fields.find("user-agent")->value), "curl/7.88.1");
}

TEST_F(RequestHeadTest, ParsesTheRecordedPreflight) {
  const RequestHead& head = accept(read_vector("webupdate/options-update.request.http"));
  EXPECT_EQ(head.method, Method::options);
  EXPECT_EQ(str(head.target), "/update");
}

TEST_F(RequestHeadTest, ParsesTheRecordedBasicCredentials) {
  const RequestHead& head = accept(read_vector("webupdate/get-update-basic.request.http"));
  char scratch[64];
  BasicCredentials credentials;
  ASSERT_EQ(decode_basic_authorization(head.authorization, scratch, sizeof(scratch), &credentials), BasicAuthError::ok);
  EXPECT_EQ(str(credentials.user), "admin");
  EXPECT_EQ(str(credentials.password), "secret");
}

// The recorded POST heads run on into the multipart body: the parser stops after the blank line.
TEST_F(RequestHeadTest, StopsAtTheEndOfTheRecordedUploadHead) {
  std::string recorded = read_vector("webupdate/post-update-ok.request-head.http");
  const RequestHead& head = accept(recorded);
  EXPECT_EQ(used, recorded.find("\r\n\r\n") + 4);
  EXPECT_EQ(head.method, Method::post);
  EXPECT_EQ(head.body.content_length, 300210u);
  EXPECT_EQ(head.body_framing().length, 300210u);
  EXPECT_EQ(str(head.media_type), "multipart/form-data");
  EXPECT_EQ(str(head.boundary), "------------------------08325db079008b21");
}

// The pull client's recorded requests are requests too: HTTP/1.0, Connection: close, no body.
TEST_F(RequestHeadTest, ParsesEveryRecordedPullClientRequest) {
  for (const char* name : {"update-ok", "update-nomd5", "update-wrong-md5", "update-404", "update-fs-mode",
                           "update-version-304", "update-basic-auth"}) {
    parser.reset();
    std::string request = read_vector(std::string("httpupdate/") + name + ".request.http");
    const RequestHead& head = accept(request);
    EXPECT_EQ(used, request.size()) << name;
    EXPECT_EQ(head.version, Version::http10) << name;
    EXPECT_FALSE(head.keep_alive) << name;
    EXPECT_EQ(str(head.host), "127.0.0.1:8000") << name;
    EXPECT_EQ(str(head.fields.find("x-ESP8266-Chip-ID")->value), "15602487") << name;
  }
}

// ---- splits ----------------------------------------------------------------------------------

std::vector<std::string> fields_of(const RequestHead& head) {
  std::vector<std::string> out;
  for (size_t i = 0; i < head.fields.count; ++i)
    out.push_back(str(head.fields.fields[i].name) + "=" + str(head.fields.fields[i].value));
  return out;
}

TEST_F(RequestHeadTest, EverySplitGivesTheSameHead) {
  std::string recorded = read_vector("webupdate/post-update-basic.request-head.http");
  std::string request = recorded.substr(0, recorded.find("\r\n\r\n") + 4);
  const RequestHead& whole = accept(request);
  std::vector<std::string> expected = fields_of(whole);
  std::string boundary = str(whole.boundary);
  for (size_t split = 0; split <= request.size(); ++split) {
    HeadStorage<kDefaultHeadLimit, kDefaultMaxHeaders> other;
    RequestHeadParser split_parser(other);
    size_t first = split_parser.feed(bytes(request), split);
    size_t second = split_parser.feed(bytes(request) + first, request.size() - first);
    ASSERT_EQ(split_parser.status(), HeadStatus::complete) << split;
    EXPECT_EQ(first + second, request.size());
    EXPECT_EQ(fields_of(split_parser.head()), expected) << split;
    EXPECT_EQ(str(split_parser.head().boundary), boundary);
  }
}

TEST_F(RequestHeadTest, ByteByByteGivesTheSameHead) {
  std::string request = read_vector("webupdate/get-update-basic.request.http");
  for (size_t i = 0; i < request.size(); ++i) {
    ASSERT_EQ(parser.status(), HeadStatus::incomplete);
    EXPECT_EQ(parser.feed(bytes(request) + i, 1), 1u);
  }
  ASSERT_EQ(parser.status(), HeadStatus::complete);
  EXPECT_TRUE(parser.head().authorization.present());
}

TEST_F(RequestHeadTest, ResetReadsTheNextRequestOnTheConnection) {
  std::string two = "GET /a HTTP/1.1\r\nHost: d\r\n\r\nGET /b HTTP/1.1\r\nHost: d\r\n\r\n";
  size_t first = feed(two);
  ASSERT_EQ(parser.status(), HeadStatus::complete);
  EXPECT_EQ(str(parser.head().path), "/a");
  parser.reset();
  EXPECT_EQ(parser.feed(bytes(two) + first, two.size() - first), two.size() - first);
  EXPECT_EQ(str(parser.head().path), "/b");
}

// ---- what the head says ----------------------------------------------------------------------

TEST_F(RequestHeadTest, SplitsTheQueryFromThePath) {
  const RequestHead& head = accept("GET /update?x=1&y HTTP/1.1\r\nHost: d\r\n\r\n");
  EXPECT_EQ(str(head.target), "/update?x=1&y");
  EXPECT_EQ(str(head.path), "/update");
  EXPECT_EQ(str(head.query), "x=1&y");
}

TEST_F(RequestHeadTest, AcceptsTheAsteriskForOptionsOnly) {
  EXPECT_EQ(accept("OPTIONS * HTTP/1.1\r\nHost: d\r\n\r\n").target.size, 1u);
  parser.reset();
  EXPECT_EQ(reject("GET * HTTP/1.1\r\nHost: d\r\n\r\n"), HeadError::bad_target);
}

TEST_F(RequestHeadTest, IgnoresEmptyLinesBeforeTheRequestLine) {
  EXPECT_EQ(str(accept("\r\n\r\nGET / HTTP/1.1\r\nHost: d\r\n\r\n").path), "/");
}

TEST_F(RequestHeadTest, TrimsWhitespaceAroundValues) {
  EXPECT_EQ(str(accept("GET / HTTP/1.1\r\nHost: \t d \t\r\nX-Empty:\r\n\r\n").host), "d");
  EXPECT_EQ(str(parser.head().fields.find("x-empty")->value), "");
  EXPECT_TRUE(parser.head().fields.find("x-empty")->value.present());
}

TEST_F(RequestHeadTest, HttpTenNeedsNoHost) { EXPECT_FALSE(accept("GET / HTTP/1.0\r\n\r\n").host.present()); }

TEST_F(RequestHeadTest, ConnectionOverridesTheVersionDefault) {
  EXPECT_FALSE(accept("GET / HTTP/1.1\r\nHost: d\r\nConnection: Close\r\n\r\n").keep_alive);
  parser.reset();
  EXPECT_TRUE(accept("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keep_alive);
  parser.reset();
  EXPECT_FALSE(accept("GET / HTTP/1.0\r\n\r\n").keep_alive);
}

TEST_F(RequestHeadTest, ReportsExpectContinue) {
  EXPECT_TRUE(accept("PUT /f HTTP/1.1\r\nHost: d\r\nExpect: 100-continue\r\nContent-Length: 9\r\n\r\n").expects_continue);
}

TEST_F(RequestHeadTest, ChunkedRequestBodyIsFramedChunked) {
  const RequestHead& head = accept("PUT /f HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_EQ(head.body_framing().kind, Framing::chunked);
}

TEST_F(RequestHeadTest, ExtractsAQuotedBoundary) {
  const RequestHead& head = accept(
      "POST / HTTP/1.1\r\nHost: d\r\nContent-Type: multipart/form-data; charset=utf-8; BOUNDARY=\"a b:c\"\r\n\r\n");
  EXPECT_EQ(str(head.media_type), "multipart/form-data");
  EXPECT_EQ(str(head.boundary), "a b:c");
}

TEST_F(RequestHeadTest, NoBoundaryWhenTheParametersDoNotParse) {
  EXPECT_FALSE(accept("POST / HTTP/1.1\r\nHost: d\r\nContent-Type: multipart/form-data; boundary=\"open\r\n\r\n")
                   .boundary.present());
}

TEST_F(RequestHeadTest, ExposesTheCorsFields) {
  const RequestHead& head = accept(
      "OPTIONS /update HTTP/1.1\r\nHost: d\r\nOrigin: http://x\r\nAccess-Control-Request-Method: POST\r\n"
      "Access-Control-Request-Headers: content-type\r\n\r\n");
  EXPECT_EQ(str(head.origin), "http://x");
  EXPECT_EQ(str(head.access_control_request_method), "POST");
  EXPECT_EQ(str(head.access_control_request_headers), "content-type");
}

TEST_F(RequestHeadTest, TheLargestContentLengthIsAccepted) {
  EXPECT_EQ(accept("PUT / HTTP/1.1\r\nHost: d\r\nContent-Length: 4294967295\r\n\r\n").body.content_length, 4294967295u);
}

// ---- malformed heads: one test each, with the status to answer -------------------------------

TEST_F(RequestHeadTest, StartLineTooLong) {
  HeadStorage<64, 4> small;
  RequestHeadParser tight(small);
  std::string request = "GET /" + std::string(100, 'a') + " HTTP/1.1\r\n";
  tight.feed(bytes(request), request.size());
  EXPECT_EQ(tight.error(), HeadError::start_line_too_long);
  EXPECT_EQ(tight.head_size(), 65u);
  EXPECT_EQ(status_for(tight.error()), 414);
}

TEST_F(RequestHeadTest, HeadTooLarge) {
  HeadStorage<64, 4> small;
  RequestHeadParser tight(small);
  std::string request = "GET / HTTP/1.1\r\nHost: d\r\nX-Long: " + std::string(64, 'v') + "\r\n\r\n";
  tight.feed(bytes(request), request.size());
  EXPECT_EQ(tight.error(), HeadError::head_too_large);
  EXPECT_EQ(status_for(tight.error()), 431);
}

TEST_F(RequestHeadTest, AHeadExactlyAtTheLimitFits) {
  std::string request = "GET / HTTP/1.0\r\n\r\n";
  HeadStorage<18, 1> exact;
  RequestHeadParser tight(exact);
  EXPECT_EQ(tight.feed(bytes(request), request.size()), request.size());
  EXPECT_EQ(tight.status(), HeadStatus::complete);
}

TEST_F(RequestHeadTest, TooManyHeaders) {
  HeadStorage<512, 2> few;
  RequestHeadParser tight(few);
  std::string request = "GET / HTTP/1.1\r\nHost: d\r\nA: 1\r\nB: 2\r\n\r\n";
  tight.feed(bytes(request), request.size());
  EXPECT_EQ(tight.error(), HeadError::too_many_headers);
  EXPECT_EQ(status_for(tight.error()), 431);
}

TEST_F(RequestHeadTest, MethodThatIsNotAToken) {
  EXPECT_EQ(reject("G(T / HTTP/1.1\r\n"), HeadError::bad_method);
  EXPECT_EQ(status_for(HeadError::bad_method), 400);
}

TEST_F(RequestHeadTest, UnknownMethod) {
  EXPECT_EQ(reject("BREW /pot HTTP/1.1\r\n"), HeadError::unsupported_method);
  EXPECT_EQ(used, 20u);  // rejected at the end of the request line, before any field
  EXPECT_EQ(status_for(HeadError::unsupported_method), 501);
}

TEST_F(RequestHeadTest, MethodsAreCaseSensitive) { EXPECT_EQ(reject("get / HTTP/1.1\r\n"), HeadError::unsupported_method); }

TEST_F(RequestHeadTest, RequestLineWithoutVersion) { EXPECT_EQ(reject("GET /\r\n"), HeadError::bad_request_line); }

TEST_F(RequestHeadTest, RequestLineWithDoubleSpace) {
  EXPECT_EQ(reject("GET  / HTTP/1.1\r\n"), HeadError::bad_request_line);
}

TEST_F(RequestHeadTest, RequestLineWithEmptyTarget) {
  EXPECT_EQ(reject("GET  HTTP/1.1\r\n"), HeadError::bad_request_line);
}

TEST_F(RequestHeadTest, AbsoluteFormTarget) {
  EXPECT_EQ(reject("GET http://d/update HTTP/1.1\r\n"), HeadError::bad_target);
}

TEST_F(RequestHeadTest, TargetWithAFragment) { EXPECT_EQ(reject("GET /a#b HTTP/1.1\r\n"), HeadError::bad_target); }

TEST_F(RequestHeadTest, TargetWithAControlCharacter) {
  EXPECT_EQ(reject("GET /a\x01z HTTP/1.1\r\n"), HeadError::bad_target);
}

TEST_F(RequestHeadTest, MalformedVersion) {
  EXPECT_EQ(reject("GET / HTTP/1\r\n"), HeadError::bad_version);
  EXPECT_EQ(status_for(HeadError::bad_version), 400);
}

TEST_F(RequestHeadTest, LowercaseVersionName) { EXPECT_EQ(reject("GET / http/1.1\r\n"), HeadError::bad_version); }

TEST_F(RequestHeadTest, UnsupportedVersion) {
  EXPECT_EQ(reject("GET / HTTP/1.2\r\n"), HeadError::unsupported_version);
  EXPECT_EQ(status_for(HeadError::unsupported_version), 505);
}

TEST_F(RequestHeadTest, HttpTwoPrefaceIsAVersionProblem) {
  EXPECT_EQ(reject("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), HeadError::unsupported_version);
}

TEST_F(RequestHeadTest, HeaderWithoutColon) {
  EXPECT_EQ(reject("GET / HTTP/1.1\r\nHost d\r\n\r\n"), HeadError::missing_colon);
}

TEST_F(RequestHeadTest, HeaderNameEndingTheLine) {
  EXPECT_EQ(reject("GET / HTTP/1.1\r\nHost\r\n\r\n"), HeadError::missing_colon);
}

TEST_F(RequestHeadTest, WhitespaceBeforeColon) {
  EXPECT_EQ(reject("POST / HTTP/1.1\r\nHost: d\r\nContent-Length : 5\r\n\r\n"), HeadError::whitespace_before_colon);
  EXPECT_EQ(status_for(HeadError::whitespace_before_colon), 400);
}

TEST_F(RequestHeadTest, ObsoleteLineFolding) {
  EXPECT_EQ(reject("GET / HTTP/1.1\r\nHost: d\r\nX-A: 1\r\n 2\r\n\r\n"), HeadError::obs_fold);
}

TEST_F(RequestHeadTest, WhitespaceBeforeTheFirstHeader) {
  EXPECT_EQ(reject("GET / HTTP/1.1\r\n Host: d\r\n\r\n"), HeadError::obs_fold);
}

TEST_F(RequestHeadTest, EmptyHeaderName) {
  EXPECT_EQ(reject("GET / HTTP/1.1\r\n: d\r\n\r\n"), HeadError::invalid_header_name);
}

TEST_F(RequestHeadTest, HeaderNameWithASeparator) {
  EXPECT_EQ(reject("GET / HTTP/1.1\r\nX(y): d\r\n\r\n"), HeadError::invalid_header_name);
}

TEST_F(RequestHeadTest, ControlCharacterInAValue) {
  EXPECT_EQ(reject("GET / HTTP/1.1\r\nHost: a\x1b" "b\r\n\r\n"), HeadError::invalid_header_value);
}

TEST_F(RequestHeadTest, BareCrInAValue) {
  EXPECT_EQ(reject("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n"), HeadError::bare_cr);
}

TEST_F(RequestHeadTest, BareCrInTheRequestLine) { EXPECT_EQ(reject("GET /\r HTTP/1.1\r\n"), HeadError::bare_cr); }

TEST_F(RequestHeadTest, BareCrInAName) { EXPECT_EQ(reject("GET / HTTP/1.1\r\nHo\rst: d\r\n"), HeadError::bare_cr); }

TEST_F(RequestHeadTest, BareLf) {
  EXPECT_EQ(reject("GET / HTTP/1.1\nHost: d\r\n\r\n"), HeadError::bare_lf);
  EXPECT_EQ(used, 15u);
}

TEST_F(RequestHeadTest, BareLfEndingTheHead) {
  EXPECT_EQ(reject("GET / HTTP/1.1\r\nHost: d\r\n\n"), HeadError::bare_lf);
}

TEST_F(RequestHeadTest, NulByte) {
  std::string request("GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n", 30);
  EXPECT_EQ(reject(request), HeadError::nul_byte);
  EXPECT_EQ(used, 24u);  // stops at the NUL
}

TEST_F(RequestHeadTest, DuplicateContentLength) {
  EXPECT_EQ(reject("PUT / HTTP/1.1\r\nHost: d\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n"),
            HeadError::duplicate_content_length);
}

TEST_F(RequestHeadTest, ConflictingContentLength) {
  EXPECT_EQ(reject("PUT / HTTP/1.1\r\nHost: d\r\nContent-Length: 5\r\ncontent-length: 6\r\n\r\n"),
            HeadError::conflicting_content_length);
}

TEST_F(RequestHeadTest, ContentLengthList) {
  EXPECT_EQ(reject("PUT / HTTP/1.1\r\nHost: d\r\nContent-Length: 5, 5\r\n\r\n"), HeadError::bad_content_length);
}

TEST_F(RequestHeadTest, ContentLengthWithASign) {
  EXPECT_EQ(reject("PUT / HTTP/1.1\r\nHost: d\r\nContent-Length: +5\r\n\r\n"), HeadError::bad_content_length);
}

TEST_F(RequestHeadTest, ContentLengthNotANumber) {
  EXPECT_EQ(reject("PUT / HTTP/1.1\r\nHost: d\r\nContent-Length: 12a\r\n\r\n"), HeadError::bad_content_length);
}

TEST_F(RequestHeadTest, EmptyContentLength) {
  EXPECT_EQ(reject("PUT / HTTP/1.1\r\nHost: d\r\nContent-Length:\r\n\r\n"), HeadError::bad_content_length);
}

TEST_F(RequestHeadTest, ContentLengthOverflow) {
  EXPECT_EQ(reject("PUT / HTTP/1.1\r\nHost: d\r\nContent-Length: 4294967296\r\n\r\n"), HeadError::content_length_overflow);
  EXPECT_EQ(status_for(HeadError::content_length_overflow), 413);
}

TEST_F(RequestHeadTest, HugeContentLengthDoesNotWrap) {
  EXPECT_EQ(reject("PUT / HTTP/1.1\r\nHost: d\r\nContent-Length: 18446744073709551621\r\n\r\n"),
            HeadError::content_length_overflow);
}

TEST_F(RequestHeadTest, TransferEncodingAfterContentLength) {
  EXPECT_EQ(reject("PUT / HTTP/1.1\r\nHost: d\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"),
            HeadError::content_length_with_transfer_encoding);
}

TEST_F(RequestHeadTest, ContentLengthAfterTransferEncoding) {
  EXPECT_EQ(reject("PUT / HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"),
            HeadError::content_length_with_transfer_encoding);
}

TEST_F(RequestHeadTest, UnsupportedTransferEncoding) {
  EXPECT_EQ(reject("PUT / HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
            HeadError::unsupported_transfer_encoding);
  EXPECT_EQ(status_for(HeadError::unsupported_transfer_encoding), 501);
}

TEST_F(RequestHeadTest, TransferEncodingTwice) {
  EXPECT_EQ(reject("PUT / HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"),
            HeadError::duplicate_header);
}

TEST_F(RequestHeadTest, TransferEncodingInHttpTen) {
  EXPECT_EQ(reject("PUT / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), HeadError::transfer_encoding_in_http10);
}

TEST_F(RequestHeadTest, HttpElevenWithoutHost) {
  EXPECT_EQ(reject("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n"), HeadError::missing_host);
  EXPECT_EQ(status_for(HeadError::missing_host), 400);
}

TEST_F(RequestHeadTest, HostTwice) {
  EXPECT_EQ(reject("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), HeadError::duplicate_header);
}

TEST_F(RequestHeadTest, AuthorizationTwice) {
  EXPECT_EQ(reject("GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Basic a\r\nAuthorization: Basic b\r\n\r\n"),
            HeadError::duplicate_header);
}

TEST_F(RequestHeadTest, NothingIsReadAfterAFailure) {
  reject("G(T / HTTP/1.1\r\n");
  EXPECT_EQ(feed("more"), 0u);
  EXPECT_EQ(parser.error(), HeadError::bad_method);
}

TEST_F(RequestHeadTest, EveryErrorHasItsOwnDescription) {
  std::vector<std::string> seen;
  for (int e = int(HeadError::ok); e <= int(HeadError::transfer_encoding_in_http10); ++e) {
    std::string text = describe(HeadError(e));
    EXPECT_NE(text, "unknown");
    for (const std::string& other : seen) EXPECT_NE(text, other);
    seen.push_back(text);
  }
}

}  // namespace
}  // namespace otakit::http
