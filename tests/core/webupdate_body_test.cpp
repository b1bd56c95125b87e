// How an upload's body is framed: Content-Length missing, zero, too large, shorter or longer than
// the body; chunked bodies, empty and broken.
#include <gtest/gtest.h>

#include <string>

#include "tests/core/webupdate_support.h"

namespace otakit::webupdate {
namespace {

using namespace testing;

const std::string kMultipart = std::string("Content-Type: multipart/form-data; boundary=") + kBoundary + "\r\n";

std::string post_head(const std::string& framing) {
  return "POST /update HTTP/1.1\r\nHost: esp8266\r\n" + kMultipart + framing + "\r\n";
}

std::string chunk(const std::string& piece) {
  char line[16];
  snprintf(line, sizeof(line), "%zx\r\n", piece.size());
  return line + piece + "\r\n";
}

// The chunked coding of body, in chunks of `size` bytes.
std::string chunked(const std::string& body, size_t size) {
  std::string out;
  for (size_t at = 0; at < body.size(); at += size) out += chunk(body.substr(at, size));
  return out + "0\r\n\r\n";
}

TEST(WebUpdateBody, PostWithoutContentLengthIs411) {
  Harness h;
  const uint8_t c = h.accept();
  h.send(c, post_head(""));
  const Reply reply = h.only_reply(c);
  EXPECT_EQ(reply.status, 411);
  EXPECT_EQ(reply.body, "length required: send the body with a Content-Length or chunked\n");
  EXPECT_EQ(h.sink.begins, 0);
}

TEST(WebUpdateBody, ContentLengthZeroIs400) {
  Harness h;
  const uint8_t c = h.accept();
  h.send(c, post_head("Content-Length: 0\r\n"));
  const Reply reply = h.only_reply(c);
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.body, "the request has no body: attach the image as a firmware or filesystem file\n");
}

TEST(WebUpdateBody, ContentLengthOver4GiBIs413) {
  Harness h;
  const uint8_t c = h.accept();
  h.send(c, post_head("Content-Length: 4294967296\r\n"));
  const Reply reply = h.only_reply(c);
  EXPECT_EQ(reply.status, 413);
  EXPECT_EQ(reply.body, "bad request: Content-Length is larger than 4 GiB - 1\n");
  EXPECT_TRUE(h.closed(c));
}

TEST(WebUpdateBody, ContentLengthThatIsNotANumberIs400) {
  Harness h;
  const uint8_t c = h.accept();
  h.send(c, post_head("Content-Length: 12, 12\r\n"));
  const Reply reply = h.only_reply(c);
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.body, "bad request: Content-Length is not a decimal number\n");
}

// The image is bounded by the room, not by a Content-Length larger than it.
TEST(WebUpdateBody, ContentLengthLargerThanTheRoomBeginsWithTheRoom) {
  Harness h;
  h.status.status.free_space = 1000;
  const uint8_t c = h.accept();
  h.send(c, post(firmware_form(std::string(1500, 'x'))).substr(0, 400));
  EXPECT_EQ(h.sink.begins, 1);
  EXPECT_EQ(h.sink.begun_size, 1000u);
}

TEST(WebUpdateBody, BodyLongerThanContentLengthIsCutThereAndTheRestNotRead) {
  Harness h;
  const uint8_t c = h.accept();
  const std::string body = firmware_form("image bytes");
  const std::string request = post_head("Content-Length: " + std::to_string(body.size() - 6) + "\r\n") + body;
  EXPECT_EQ(h.send(c, request), request.size() - 6) << "bytes past the Content-Length are not the body";
  const Reply reply = h.only_reply(c);
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.body, "bad multipart/form-data: the body ended before the closing boundary\n");
  EXPECT_EQ(h.sink.ends_at_received, 0);
}

TEST(WebUpdateBody, BytesAfterAWholeUploadAreNotRead) {
  Harness h;
  const uint8_t c = h.accept();
  const std::string request = post(firmware_form("image bytes"));
  EXPECT_EQ(h.send(c, request + "GARBAGE\r\n\r\n"), request.size());
  EXPECT_EQ(h.only_reply(c).status, 200);
  EXPECT_TRUE(h.closed(c));
}

// The form is whole but the Content-Length promised more: the upload waits for the rest, and
// the image is not staged while it waits.
TEST(WebUpdateBody, BodyShorterThanContentLengthIsNotStagedWhileItWaits) {
  Harness h;
  const uint8_t c = h.accept();
  const std::string body = firmware_form("image bytes");
  h.send(c, post_head("Content-Length: " + std::to_string(body.size() + 10) + "\r\n") + body, 0);
  EXPECT_EQ(h.sent(c), "");
  EXPECT_EQ(h.sink.ends_at_received, 0);
  h.tick(10000);
  const Reply reply = h.only_reply(c);
  EXPECT_EQ(reply.status, 408);
  EXPECT_EQ(reply.body, "no data arrived for the receive timeout; the running image is unchanged\n");
  EXPECT_EQ(h.sink.ends_at_received, 0);
  EXPECT_EQ(h.sink.aborts, 1);
}

TEST(WebUpdateBody, ChunkedUploadIsStagedAndBoundByTheRoom) {
  for (size_t size : {size_t(1), size_t(7), size_t(500)}) {
    Harness h;
    const uint8_t c = h.accept();
    const std::string image(1200, 'c');
    h.send(c, post_head("Transfer-Encoding: chunked\r\n") + chunked(firmware_form(image), size), 0, 333);
    EXPECT_EQ(h.only_reply(c).status, 200) << size;
    EXPECT_EQ(h.sink.written, image);
    EXPECT_EQ(h.sink.begun_size, 1u << 20) << "no length: the room is the bound";
    EXPECT_EQ(h.sink.ends_at_received, 1);
    EXPECT_EQ(h.count(ServerAction::reboot), 1);
  }
}

TEST(WebUpdateBody, EmptyChunkedBodyIs400LikeAnEmptyBody) {
  Harness h;
  const uint8_t c = h.accept();
  h.send(c, post_head("Transfer-Encoding: chunked\r\n") + "0\r\n\r\n");
  const Reply reply = h.only_reply(c);
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.body, "the request has no body: attach the image as a firmware or filesystem file\n");
  EXPECT_EQ(h.sink.begins, 0);
}

TEST(WebUpdateBody, BrokenChunkFramingIs400WithItsReasonAndAbortsTheUpload) {
  Harness h;
  const uint8_t c = h.accept();
  const std::string body = firmware_form("image bytes");
  const std::string started = body.substr(0, body.find("image bytes") + 5);  // the file has begun
  h.send(c, post_head("Transfer-Encoding: chunked\r\n") + chunk(started) + "zz\r\n");
  const Reply reply = h.only_reply(c);
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.body, "bad request body: a chunk size that is not a hex number\n");
  EXPECT_EQ(h.sink.aborts, 1);
  EXPECT_EQ(h.sink.ends_at_received, 0);
  ASSERT_NE(h.last(ServerAction::finished), nullptr);
  EXPECT_EQ(h.last(ServerAction::finished)->data, "bad request body: a chunk size that is not a hex number");
  EXPECT_TRUE(h.closed(c));
}

TEST(WebUpdateBody, TransferCodingOtherThanChunkedIs501) {
  Harness h;
  const uint8_t c = h.accept();
  h.send(c, post_head("Transfer-Encoding: gzip\r\n"));
  const Reply reply = h.only_reply(c);
  EXPECT_EQ(reply.status, 501);
  EXPECT_EQ(reply.body, "bad request: a transfer coding other than chunked\n");
}

TEST(WebUpdateBody, ContentLengthWithChunkedIs400) {
  Harness h;
  const uint8_t c = h.accept();
  h.send(c, post_head("Content-Length: 10\r\nTransfer-Encoding: chunked\r\n"));
  const Reply reply = h.only_reply(c);
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.body, "bad request: both Content-Length and Transfer-Encoding\n");
}

}  // namespace
}  // namespace otakit::webupdate
