// The pull client's response side: the recorded response heads and downloads, every body framing
// (Content-Length, chunked, until close) in any split, and one test per malformed case.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/http/body_framing.h"
#include "core/http/response_head.h"
#include "tests/core/http_test_support.h"

namespace otakit::http {
namespace {

using testing::bytes;
using testing::read_vector;
using testing::recorded_stream_md5;
using testing::str;

class ResponseHeadTest : public ::testing::Test {
 protected:
  const ResponseHead& accept(const std::string& input) {
    used = parser.feed(bytes(input), input.size());
    EXPECT_EQ(parser.status(), HeadStatus::complete) << describe(parser.error());
    return parser.head();
  }
  HeadError reject(const std::string& input) {
    used = parser.feed(bytes(input), input.size());
    EXPECT_EQ(parser.status(), HeadStatus::failed) << input;
    return parser.error();
  }

  HeadStorage<2048, 24> storage;
  ResponseHeadParser parser{storage};
  size_t used = 0;
};

// What a body decoder hands out for an input fed in pieces of `piece` bytes, and how it ended.
struct Decoded {
  std::string body;
  size_t used = 0;
  bool done = false;
  BodyError error = BodyError::ok;
};

Decoded decode(BodyFraming framing, const std::string& input, size_t piece, bool close_at_end) {
  BodyDecoder decoder(framing);
  Decoded out;
  for (size_t offset = 0; offset < input.size() && !decoder.done() && !decoder.failed();) {
    size_t n = std::min(piece, input.size() - offset);
    size_t used_here = 0;
    while (used_here < n) {
      Slice data;
      size_t used = decoder.decode(bytes(input) + offset + used_here, n - used_here, &data);
      out.body += str(data);
      if (used == 0) break;
      used_here += used;
    }
    out.used += used_here;
    if (used_here < n) break;
    offset += n;
  }
  if (close_at_end) decoder.finish();
  out.done = decoder.done();
  out.error = decoder.error();
  return out;
}

BodyFraming chunked() { return BodyFraming{Framing::chunked, 0}; }

// ---- recorded heads and downloads ------------------------------------------------------------

TEST_F(ResponseHeadTest, ParsesTheRecordedUpdateResponse) {
  std::string head_bytes = read_vector("httpupdate/update-ok.response-head.http");
  const ResponseHead& head = accept(head_bytes);
  EXPECT_EQ(used, head_bytes.size());
  EXPECT_EQ(head.version, Version::http10);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(str(head.reason), "OK");
  EXPECT_EQ(str(head.content_type), "application/octet-stream");
  EXPECT_EQ(str(head.x_md5), "5ebd9fca3c2b10da7bf53f71972df133");
  EXPECT_FALSE(head.keep_alive);
  EXPECT_EQ(head.body_framing().kind, Framing::length);
  EXPECT_EQ(head.body_framing().length, 300001u);
}

TEST_F(ResponseHeadTest, ParsesEveryRecordedResponseHead) {
  struct Case {
    const char* name;
    uint16_t status;
    uint32_t body;
    bool has_md5;
  };
  for (const Case& c : {Case{"update-nomd5", 200, 300001, false}, Case{"update-wrong-md5", 200, 300001, true},
                        Case{"update-404", 404, 0, false}, Case{"update-version-304", 304, 0, false},
                        Case{"update-basic-auth", 200, 300001, true}, Case{"update-fs-mode", 200, 300001, true}}) {
    parser.reset();
    const ResponseHead& head = accept(read_vector(std::string("httpupdate/") + c.name + ".response-head.http"));
    EXPECT_EQ(head.status, c.status) << c.name;
    EXPECT_EQ(head.body_framing().kind, Framing::length) << c.name;
    EXPECT_EQ(head.body_framing().length, c.body) << c.name;
    EXPECT_EQ(head.x_md5.present(), c.has_md5) << c.name;
  }
}

// The whole recorded download (head + fw_300001.bin, checked against the transcript's stream
// MD5) decodes to the image whatever the read size.
TEST_F(ResponseHeadTest, DecodesTheRecordedDownload) {
  std::string image = read_vector("signing/fw_300001.bin");
  std::string stream = read_vector("httpupdate/update-ok.response-head.http") + image;
  ASSERT_EQ(testing::md5_hex(stream), recorded_stream_md5("httpupdate/update-ok.txt", "server"));
  for (size_t piece : {size_t(536), size_t(1460), size_t(32768)}) {
    parser.reset();
    size_t head_size = 0;
    while (parser.status() == HeadStatus::incomplete) {
      head_size += parser.feed(bytes(stream) + head_size, std::min(piece, stream.size() - head_size));
    }
    ASSERT_EQ(parser.status(), HeadStatus::complete);
    Decoded body = decode(parser.head().body_framing(), stream.substr(head_size), piece, true);
    EXPECT_TRUE(body.done);
    EXPECT_EQ(body.error, BodyError::ok);
    EXPECT_TRUE(body.body == image) << piece;
  }
}

// ESP8266WebServer's replies as a client reads them (the recorded webupdate responses).
TEST_F(ResponseHeadTest, ParsesTheRecordedWebServerReplies) {
  std::string reply = read_vector("webupdate/options-update.response.http");
  const ResponseHead& head = accept(reply);
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.keep_alive);
  EXPECT_EQ(str(head.fields.find("Access-Control-Allow-Origin")->value), "*");
  EXPECT_EQ(decode(head.body_framing(), reply.substr(used), 1, false).body, "y");
  parser.reset();
  EXPECT_EQ(accept(read_vector("webupdate/get-update-noauth-401.response.http")).status, 401);
  EXPECT_EQ(str(parser.head().fields.find("WWW-Authenticate")->value), "Basic realm=\"Login Required\"");
}

// ---- status lines and framing ----------------------------------------------------------------

TEST_F(ResponseHeadTest, StatusLineWithoutReason) {
  EXPECT_EQ(accept("HTTP/1.1 200\r\n\r\n").status, 200);
  EXPECT_EQ(str(parser.head().reason), "");
  parser.reset();
  EXPECT_EQ(accept("HTTP/1.1 204 \r\n\r\n").status, 204);
}

TEST_F(ResponseHeadTest, ReasonMayHoldSpaces) {
  EXPECT_EQ(str(accept("HTTP/1.1 404 Not  Found here\r\n\r\n").reason), "Not  Found here");
}

TEST_F(ResponseHeadTest, NoBodyForInformationalNoContentAndNotModified) {
  for (const char* status_line : {"HTTP/1.1 100 Continue", "HTTP/1.1 204 No Content", "HTTP/1.1 304 Not Modified"}) {
    parser.reset();
    BodyFraming framing = accept(std::string(status_line) + "\r\nContent-Length: 10\r\n\r\n").body_framing();
    EXPECT_EQ(framing.kind, Framing::length) << status_line;
    EXPECT_EQ(framing.length, 0u) << status_line;
  }
}

TEST_F(ResponseHeadTest, ChunkedFraming) {
  EXPECT_EQ(accept("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n").body_framing().kind, Framing::chunked);
}

TEST_F(ResponseHeadTest, UntilCloseWithoutLength) {
  EXPECT_EQ(accept("HTTP/1.0 200 OK\r\n\r\n").body_framing().kind, Framing::until_close);
  parser.reset();
  EXPECT_EQ(accept("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n").body_framing().kind, Framing::until_close);
}

TEST_F(ResponseHeadTest, PicksOutTheResumeAndRedirectFields) {
  const ResponseHead& head = accept(
      "HTTP/1.1 206 Partial Content\r\nETag: \"v2\"\r\nAccept-Ranges: bytes\r\nContent-Range: bytes 100-199/300\r\n"
      "Content-Length: 100\r\nLocation: /elsewhere\r\nx-version: 1.2.4\r\n\r\n");
  EXPECT_EQ(str(head.etag), "\"v2\"");
  EXPECT_EQ(str(head.accept_ranges), "bytes");
  EXPECT_EQ(str(head.location), "/elsewhere");
  EXPECT_EQ(str(head.x_version), "1.2.4");
  ContentRange range;
  ASSERT_TRUE(parse_content_range(head.content_range, &range));
  EXPECT_TRUE(range.satisfied);
  EXPECT_EQ(range.first, 100u);
  EXPECT_EQ(range.last, 199u);
  EXPECT_TRUE(range.length_known);
  EXPECT_EQ(range.complete_length, 300u);
}

TEST_F(ResponseHeadTest, KeepAliveFollowsVersionAndConnection) {
  EXPECT_TRUE(accept("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").keep_alive);
  parser.reset();
  EXPECT_FALSE(accept("HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\n\r\n").keep_alive);
}

TEST(ContentRange, UnsatisfiedAndUnknownLength) {
  ContentRange range;
  ASSERT_TRUE(parse_content_range(Text{"bytes */1000", 12}, &range));
  EXPECT_FALSE(range.satisfied);
  EXPECT_EQ(range.complete_length, 1000u);
  ASSERT_TRUE(parse_content_range(Text{"Bytes 0-9/*", 11}, &range));
  EXPECT_TRUE(range.satisfied);
  EXPECT_FALSE(range.length_known);
  EXPECT_EQ(range.last, 9u);
}

TEST(ContentRange, RejectsMalformedRanges) {
  ContentRange range;
  for (const char* bad : {"bytes 5-4/10", "bytes 0-10/10", "bytes 0-9", "items 0-9/10", "bytes */*", "bytes -9/10",
                          "bytes 0-/10", "bytes 0 - 9/10", "bytes0-9/10", "", "bytes 0-9/1x"}) {
    EXPECT_FALSE(parse_content_range(Text{bad, strlen(bad)}, &range)) << bad;
  }
  EXPECT_FALSE(parse_content_range(Text{}, &range));
}

// ---- malformed response heads ----------------------------------------------------------------

TEST_F(ResponseHeadTest, StatusLineWithoutCode) { EXPECT_EQ(reject("HTTP/1.1\r\n\r\n"), HeadError::bad_status_line); }

TEST_F(ResponseHeadTest, StatusCodeTooShort) { EXPECT_EQ(reject("HTTP/1.1 20 OK\r\n\r\n"), HeadError::bad_status_code); }

TEST_F(ResponseHeadTest, StatusCodeTooLong) { EXPECT_EQ(reject("HTTP/1.1 2000 OK\r\n\r\n"), HeadError::bad_status_code); }

TEST_F(ResponseHeadTest, StatusCodeNotDigits) { EXPECT_EQ(reject("HTTP/1.1 2x0 OK\r\n\r\n"), HeadError::bad_status_code); }

TEST_F(ResponseHeadTest, StatusCodeOutOfRange) {
  EXPECT_EQ(reject("HTTP/1.1 099 Low\r\n\r\n"), HeadError::bad_status_code);
  parser.reset();
  EXPECT_EQ(reject("HTTP/1.1 600 High\r\n\r\n"), HeadError::bad_status_code);
}

TEST_F(ResponseHeadTest, ControlCharacterInTheReason) {
  EXPECT_EQ(reject("HTTP/1.1 200 O\x01K\r\n\r\n"), HeadError::bad_status_line);
}

TEST_F(ResponseHeadTest, MalformedVersion) { EXPECT_EQ(reject("HTTP/2 200 OK\r\n\r\n"), HeadError::bad_version); }

TEST_F(ResponseHeadTest, UnsupportedVersion) {
  EXPECT_EQ(reject("HTTP/2.0 200 OK\r\n\r\n"), HeadError::unsupported_version);
}

TEST_F(ResponseHeadTest, ConflictingContentLength) {
  EXPECT_EQ(reject("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
            HeadError::conflicting_content_length);
}

TEST_F(ResponseHeadTest, ContentLengthOverflow) {
  EXPECT_EQ(reject("HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n"), HeadError::content_length_overflow);
}

TEST_F(ResponseHeadTest, ContentLengthWithTransferEncoding) {
  EXPECT_EQ(reject("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n"),
            HeadError::content_length_with_transfer_encoding);
}

TEST_F(ResponseHeadTest, UnsupportedTransferEncoding) {
  EXPECT_EQ(reject("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n"), HeadError::unsupported_transfer_encoding);
}

TEST_F(ResponseHeadTest, TransferEncodingInHttpTen) {
  EXPECT_EQ(reject("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), HeadError::transfer_encoding_in_http10);
}

TEST_F(ResponseHeadTest, TwoMd5Headers) {
  EXPECT_EQ(reject("HTTP/1.0 200 OK\r\nx-MD5: a\r\nX-md5: b\r\n\r\n"), HeadError::duplicate_header);
}

TEST_F(ResponseHeadTest, TwoLocations) {
  EXPECT_EQ(reject("HTTP/1.1 302 Found\r\nLocation: /a\r\nLocation: /b\r\n\r\n"), HeadError::duplicate_header);
}

TEST_F(ResponseHeadTest, BareLfLines) { EXPECT_EQ(reject("HTTP/1.0 200 OK\nContent-Length: 1\n\n"), HeadError::bare_lf); }

TEST_F(ResponseHeadTest, HeaderInjectedByABareCr) {
  EXPECT_EQ(reject("HTTP/1.0 200 OK\r\nX-A: 1\rContent-Length: 5\r\n\r\n"), HeadError::bare_cr);
}

// ---- body: Content-Length and until close ----------------------------------------------------

TEST(BodyDecoder, ContentLengthStopsAtTheLength) {
  Decoded out = decode(BodyFraming{Framing::length, 5}, "helloHTTP/1.1 200 OK", 64, false);
  EXPECT_EQ(out.body, "hello");
  EXPECT_EQ(out.used, 5u);  // the rest is not this body's
  EXPECT_TRUE(out.done);
}

TEST(BodyDecoder, ZeroLengthIsDoneAtOnce) {
  BodyDecoder decoder(BodyFraming{Framing::length, 0});
  EXPECT_TRUE(decoder.done());
  Slice data;
  EXPECT_EQ(decoder.decode(bytes("x"), 1, &data), 0u);
  EXPECT_EQ(decoder.finish(), BodyError::ok);
}

TEST(BodyDecoder, ShortBody) {
  Decoded out = decode(BodyFraming{Framing::length, 10}, "hello", 2, true);
  EXPECT_EQ(out.body, "hello");
  EXPECT_FALSE(out.done);
  EXPECT_EQ(out.error, BodyError::short_body);
}

TEST(BodyDecoder, UntilCloseTakesEverything) {
  Decoded out = decode(BodyFraming{Framing::until_close, 0}, "all of it", 3, true);
  EXPECT_EQ(out.body, "all of it");
  EXPECT_TRUE(out.done);
  EXPECT_EQ(out.error, BodyError::ok);
}

TEST(BodyDecoder, SlicesPointIntoTheInput) {
  std::string input = "3\r\nabc\r\n0\r\n\r\n";
  BodyDecoder decoder(chunked());
  Slice data;
  size_t used = decoder.decode(bytes(input), input.size(), &data);
  EXPECT_EQ(used, 6u);
  EXPECT_EQ(data.data, bytes(input) + 3);
  EXPECT_EQ(data.size, 3u);
  EXPECT_EQ(decoder.received(), 3u);
}

// ---- body: chunked ---------------------------------------------------------------------------

const char kChunked[] = "5\r\nhello\r\n6;name=\"v;x\"\r\n world\r\nB \t;x\r\n 0123456789\r\n000\r\nX-Trailer: 1\r\n\r\n";

TEST(BodyDecoder, ChunkedWithExtensionsAndTrailers) {
  Decoded out = decode(chunked(), std::string(kChunked) + "next", 1000, false);
  EXPECT_EQ(out.body, "hello world 0123456789");
  EXPECT_TRUE(out.done);
  EXPECT_EQ(out.used, sizeof(kChunked) - 1);
}

TEST(BodyDecoder, ChunkedInEverySplit) {
  std::string input = kChunked;
  for (size_t split = 0; split <= input.size(); ++split) {
    BodyDecoder decoder(chunked());
    std::string body;
    for (const std::string& piece : {input.substr(0, split), input.substr(split)}) {
      size_t offset = 0;
      while (offset < piece.size()) {
        Slice data;
        size_t used = decoder.decode(bytes(piece) + offset, piece.size() - offset, &data);
        ASSERT_GT(used, 0u) << split;
        body += str(data);
        offset += used;
      }
    }
    EXPECT_TRUE(decoder.done()) << split;
    EXPECT_EQ(body, "hello world 0123456789") << split;
  }
}

TEST(BodyDecoder, ChunkedByteByByte) {
  Decoded out = decode(chunked(), kChunked, 1, true);
  EXPECT_EQ(out.body, "hello world 0123456789");
  EXPECT_EQ(out.error, BodyError::ok);
}

TEST(BodyDecoder, LargestChunkSizeIsAccepted) {
  Decoded out = decode(chunked(), "FFFFFFFF\r\nabc", 64, false);
  EXPECT_EQ(out.error, BodyError::ok);
  EXPECT_EQ(out.body, "abc");
}

TEST(BodyDecoder, ChunkSizeThatIsNotHex) {
  EXPECT_EQ(decode(chunked(), "5x\r\nhello\r\n0\r\n\r\n", 64, false).error, BodyError::bad_chunk_size);
}

TEST(BodyDecoder, EmptyChunkSize) { EXPECT_EQ(decode(chunked(), "\r\n", 64, false).error, BodyError::bad_chunk_size); }

TEST(BodyDecoder, ExtensionWithoutChunkSize) {
  EXPECT_EQ(decode(chunked(), ";x\r\n", 64, false).error, BodyError::bad_chunk_size);
}

TEST(BodyDecoder, SignedChunkSize) { EXPECT_EQ(decode(chunked(), "-5\r\n", 64, false).error, BodyError::bad_chunk_size); }

TEST(BodyDecoder, WhitespaceNotFollowedByAnExtension) {
  EXPECT_EQ(decode(chunked(), "5 5\r\n", 64, false).error, BodyError::bad_chunk_size);
}

TEST(BodyDecoder, ChunkSizeOverflow) {
  Decoded out = decode(chunked(), "100000000\r\n", 64, false);
  EXPECT_EQ(out.error, BodyError::chunk_size_overflow);
  EXPECT_EQ(out.used, 9u);
}

TEST(BodyDecoder, ChunkLineTooLong) {
  std::string line = "5;" + std::string(BodyDecoder::kMaxChunkLine, 'x') + "\r\n";
  EXPECT_EQ(decode(chunked(), line, 64, false).error, BodyError::chunk_line_too_long);
}

TEST(BodyDecoder, ChunkDataWithoutCrlf) {
  EXPECT_EQ(decode(chunked(), "5\r\nhelloX\r\n0\r\n\r\n", 64, false).error, BodyError::missing_chunk_crlf);
}

TEST(BodyDecoder, ChunkDataWithCrOnly) {
  EXPECT_EQ(decode(chunked(), "5\r\nhello\rX", 64, false).error, BodyError::missing_chunk_crlf);
}

TEST(BodyDecoder, ChunkSizeLineEndingInLf) {
  EXPECT_EQ(decode(chunked(), "5\nhello\r\n", 64, false).error, BodyError::bad_line_end);
}

TEST(BodyDecoder, ChunkSizeLineWithBareCr) {
  EXPECT_EQ(decode(chunked(), "5\rhello\r\n", 64, false).error, BodyError::bad_line_end);
}

TEST(BodyDecoder, TrailerLineEndingInLf) {
  EXPECT_EQ(decode(chunked(), "0\r\nX: 1\n\r\n", 64, false).error, BodyError::bad_line_end);
}

TEST(BodyDecoder, LastLineEndingInBareCr) {
  EXPECT_EQ(decode(chunked(), "0\r\n\rX", 64, false).error, BodyError::bad_line_end);
}

TEST(BodyDecoder, TrailersTooLarge) {
  std::string trailers = "0\r\n";
  while (trailers.size() < BodyDecoder::kMaxTrailerBytes + 16) trailers += "X-Padding: 0123456789\r\n";
  EXPECT_EQ(decode(chunked(), trailers, 64, false).error, BodyError::trailer_too_large);
}

TEST(BodyDecoder, ConnectionClosedInsideAChunk) {
  Decoded out = decode(chunked(), "5\r\nhel", 64, true);
  EXPECT_EQ(out.body, "hel");
  EXPECT_EQ(out.error, BodyError::truncated_chunked_body);
}

TEST(BodyDecoder, ConnectionClosedBeforeTheFinalCrlf) {
  EXPECT_EQ(decode(chunked(), "5\r\nhello\r\n0\r\n", 64, true).error, BodyError::truncated_chunked_body);
}

TEST(BodyDecoder, NothingIsUsedAfterAnError) {
  BodyDecoder decoder(chunked());
  Slice data;
  decoder.decode(bytes("x"), 1, &data);
  ASSERT_TRUE(decoder.failed());
  EXPECT_EQ(decoder.decode(bytes("5\r\n"), 3, &data), 0u);
  EXPECT_EQ(decoder.finish(), BodyError::bad_chunk_size);
}

TEST(BodyDecoder, EveryErrorHasItsOwnDescription) {
  std::vector<std::string> seen;
  for (int e = int(BodyError::ok); e <= int(BodyError::trailer_too_large); ++e) {
    std::string text = describe(BodyError(e));
    EXPECT_NE(text, "unknown");
    for (const std::string& other : seen) EXPECT_NE(text, other);
    seen.push_back(text);
  }
}

}  // namespace
}  // namespace otakit::http
