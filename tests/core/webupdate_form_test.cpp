// Malformed uploads: the media type, the boundary and the multipart form. Each is answered after
// its body (so the client sees the answer, not a reset) and stages nothing.
#include <gtest/gtest.h>

#include <string>

#include "tests/core/webupdate_support.h"

namespace otakit::webupdate {
namespace {

using namespace testing;

const std::string kMediaTypeText =
    "unsupported media type: send the image as multipart/form-data in a field named firmware or filesystem "
    "(curl -F firmware=@fw.bin)\n";

// The body is read to its end, then the answer goes out with a close; the sink is never ended.
Reply refused_upload(Harness& h, const std::string& request) {
  const uint8_t c = h.accept();
  EXPECT_EQ(h.send(c, request), request.size());
  EXPECT_TRUE(h.closed(c)) << "an upload refused for what it sent is closed";
  EXPECT_EQ(h.sink.ends_at_received + h.sink.ends, 0);
  EXPECT_EQ(h.count(ServerAction::reboot), 0);
  return h.only_reply(c);
}

// A form that breaks is a 400 naming the multipart error.
void expect_bad_form(const std::string& body, const std::string& reason) {
  Harness h;
  const Reply reply = refused_upload(h, post(body));
  EXPECT_EQ(reply.status, 400) << body;
  EXPECT_EQ(reply.body, "bad multipart/form-data: " + reason + "\n") << body;
}

TEST(WebUpdateForm, ContentTypeThatIsNotMultipartIs415) {
  for (const char* type : {"text/plain", "application/x-www-form-urlencoded", "application/octet-stream",
                           "multipart/mixed; boundary=x"}) {
    Harness h;
    const Reply reply = refused_upload(h, post(firmware_form("image"), "", type));
    EXPECT_EQ(reply.status, 415) << type;
    EXPECT_EQ(reply.body, kMediaTypeText);
    EXPECT_EQ(h.sink.begins, 0);
  }
}

TEST(WebUpdateForm, MissingContentTypeIs415) {
  Harness h;
  const Reply reply = refused_upload(h, post(firmware_form("image"), "", ""));
  EXPECT_EQ(reply.status, 415);
  EXPECT_EQ(reply.body, kMediaTypeText);
}

TEST(WebUpdateForm, MediaTypeIsCaseInsensitive) {
  Harness h;
  const uint8_t c = h.accept();
  h.send(c, post(firmware_form("image"), "", std::string("Multipart/Form-Data; boundary=") + kBoundary));
  EXPECT_EQ(h.only_reply(c).status, 200);
}

TEST(WebUpdateForm, MissingBoundaryIs400) {
  for (const char* type : {"multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; charset=x"}) {
    Harness h;
    const Reply reply = refused_upload(h, post(firmware_form("image"), "", type));
    EXPECT_EQ(reply.status, 400) << type;
    EXPECT_EQ(reply.body, "bad multipart/form-data: the Content-Type has no boundary\n") << type;
  }
}

TEST(WebUpdateForm, BoundaryLongerThan70Is400) {
  Harness h;
  const std::string boundary(71, 'b');
  const Reply reply = refused_upload(h, post(form({{"firmware", "x", "f"}}, boundary), "",
                                             "multipart/form-data; boundary=" + boundary));
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.body, "bad multipart/form-data: the boundary is longer than 70 characters\n");
}

TEST(WebUpdateForm, BoundaryWithAForbiddenCharacterIs400) {
  Harness h;
  const Reply reply = refused_upload(h, post(firmware_form("x"), "", "multipart/form-data; boundary=a*b"));
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.body, "bad multipart/form-data: the boundary has a character RFC 2046 does not allow\n");
}

TEST(WebUpdateForm, BodyNotBeginningWithTheBoundaryIs400) {
  expect_bad_form("preamble\r\n" + firmware_form("image"), "the body does not begin with the boundary");
}

TEST(WebUpdateForm, PartHeaderWithoutColonIs400) {
  expect_bad_form(std::string("--") + kBoundary + "\r\nContent-Disposition form-data\r\n\r\nx\r\n--" + kBoundary + "--\r\n",
                  "a malformed part header line");
}

TEST(WebUpdateForm, PartHeaderWithBareLineFeedIs400) {
  expect_bad_form(std::string("--") + kBoundary + "\r\nContent-Disposition: form-data; name=\"a\"\n\r\nx\r\n--" +
                      kBoundary + "--\r\n",
                  "a malformed part header line");
}

TEST(WebUpdateForm, PartWithoutContentDispositionIs400) {
  expect_bad_form(std::string("--") + kBoundary + "\r\nContent-Type: text/plain\r\n\r\nx\r\n--" + kBoundary + "--\r\n",
                  "a part without Content-Disposition");
}

TEST(WebUpdateForm, ContentDispositionWithoutNameIs400) {
  expect_bad_form(std::string("--") + kBoundary + "\r\nContent-Disposition: form-data; filename=\"f\"\r\n\r\nx\r\n--" +
                      kBoundary + "--\r\n",
                  "a part's Content-Disposition is not form-data with a name");
}

TEST(WebUpdateForm, PartHeadersLargerThanTheLimitAre400) {
  expect_bad_form(std::string("--") + kBoundary + "\r\nContent-Disposition: form-data; name=\"" + std::string(600, 'n') +
                      "\"\r\n\r\nx\r\n--" + kBoundary + "--\r\n",
                  "a part's headers are larger than the limit");
}

TEST(WebUpdateForm, BadDelimiterLineAfterTheFileIs400AndTheUpdateAborted) {
  Harness h;
  const std::string body = std::string("--") + kBoundary +
                           "\r\nContent-Disposition: form-data; name=\"firmware\"; filename=\"fw.bin\"\r\n\r\nimage\r\n--" +
                           kBoundary + "junk\r\n";
  const Reply reply = refused_upload(h, post(body));
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.body, "bad multipart/form-data: a boundary line not ending in CRLF or '--'\n");
  EXPECT_EQ(h.sink.aborts, 1);
}

TEST(WebUpdateForm, FormWithoutAFileIs400) {
  Harness h;
  const Reply reply = refused_upload(h, post(form({{"md5", "0123456789abcdef0123456789abcdef"}, {"note", "hi"}})));
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.body, "the form holds no file: attach the image as a firmware or filesystem file\n");
  EXPECT_EQ(h.sink.begins, 0);
  EXPECT_EQ(h.count(ServerAction::finished), 0) << "no upload began, so none finished";
}

TEST(WebUpdateForm, TwoFilesAre400AndTheFirstIsAborted) {
  Harness h;
  const Reply reply = refused_upload(h, post(form({{"firmware", "one", "a.bin"}, {"filesystem", "two", "b.bin"}})));
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.body, "one image per upload: the form holds a second file\n");
  EXPECT_EQ(h.sink.begins, 1);
  EXPECT_EQ(h.sink.aborts, 1);
  ASSERT_NE(h.last(ServerAction::finished), nullptr);
  EXPECT_FALSE(h.last(ServerAction::finished)->success);
}

// The file's part ends at the delimiter, but only "--" after it closes the form: a body that
// stops before them is cut off, and the image must not be staged.
TEST(WebUpdateForm, TruncatedClosingBoundaryIs400AndNothingIsStaged) {
  const std::string whole = firmware_form("image bytes");
  for (size_t cut : {size_t(3), size_t(4), size_t(10)}) {  // one dash, no dash, inside the boundary
    Harness h;
    const Reply reply = refused_upload(h, post(whole.substr(0, whole.size() - cut)));
    EXPECT_EQ(reply.status, 400) << cut;
    EXPECT_EQ(reply.body, "bad multipart/form-data: the body ended before the closing boundary\n") << cut;
    EXPECT_EQ(h.sink.ends_at_received, 0) << cut;
    EXPECT_EQ(h.sink.aborts, 1) << cut;
    ASSERT_NE(h.last(ServerAction::finished), nullptr);
    EXPECT_FALSE(h.last(ServerAction::finished)->success);
  }
}

// RFC 2046: what follows the closing "--" is epilogue, so the CRLF after it is optional.
TEST(WebUpdateForm, ClosingBoundaryNeedsNoLineEnd) {
  const std::string whole = firmware_form("image bytes");
  for (size_t cut : {size_t(1), size_t(2)}) {
    Harness h;
    const uint8_t c = h.accept();
    h.send(c, post(whole.substr(0, whole.size() - cut)));
    EXPECT_EQ(h.only_reply(c).status, 200) << cut;
    EXPECT_EQ(h.sink.written, "image bytes");
  }
}

TEST(WebUpdateForm, FieldsAfterTheFileAreAllowed) {
  Harness h;
  const uint8_t c = h.accept();
  h.send(c, post(form({{"firmware", "image", "fw.bin"}, {"submit", "Update Firmware"}})));
  EXPECT_EQ(h.only_reply(c).status, 200);
  EXPECT_EQ(h.sink.written, "image");
  EXPECT_EQ(h.sink.ends_at_received, 1);
}

TEST(WebUpdateForm, Md5FieldLongerThan32DigitsIs400) {
  Harness h;
  const Reply reply = refused_upload(h, post(form({{"md5", std::string(33, 'a')}, {"firmware", "image", "fw.bin"}})));
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.body, "the md5 field is longer than 32 hex digits\n");
  EXPECT_EQ(h.sink.begins, 0);
}

TEST(WebUpdateForm, Md5FieldGoesToTheUpdater) {
  Harness h;
  const uint8_t c = h.accept();
  h.send(c, post(form({{"md5", "0123456789abcdef0123456789abcdef"}, {"firmware", "image", "fw.bin"}})));
  EXPECT_EQ(h.only_reply(c).status, 200);
  EXPECT_EQ(h.sink.begun_md5, "0123456789abcdef0123456789abcdef");
}

// Another plain field between the md5 field and the file must not drop the md5.
TEST(WebUpdateForm, Md5FieldSurvivesAnotherFieldBeforeTheFile) {
  Harness h;
  const uint8_t c = h.accept();
  h.send(c, post(form({{"md5", "0123456789abcdef0123456789abcdef"}, {"note", "x"}, {"firmware", "image", "fw.bin"}})));
  EXPECT_EQ(h.only_reply(c).status, 200);
  EXPECT_EQ(h.sink.begun_md5, "0123456789abcdef0123456789abcdef");
}

TEST(WebUpdateForm, Md5FieldDoesNotCarryOverToTheNextUpload) {
  Harness h;
  h.sink.end_error = "ERROR[7]: MD5 verification failed";
  uint8_t c = h.accept();
  h.send(c, post(form({{"md5", "0123456789abcdef0123456789abcdef"}, {"firmware", "image", "fw.bin"}})));
  EXPECT_EQ(h.only_reply(c).status, 422);
  h.sink.end_error.clear();
  c = h.accept();
  h.send(c, post(firmware_form("image")));
  EXPECT_EQ(h.only_reply(c).status, 200);
  EXPECT_EQ(h.sink.begun_md5, "") << "the second upload sent no md5";
}

TEST(WebUpdateForm, FieldNamedFilesystemIsAFilesystemImageBoundByItsRoom) {
  Harness h;
  const uint8_t c = h.accept();
  const std::string image(65500, 'f');  // fits the 64 KiB filesystem, but the body does not: the room bounds it
  h.send(c, post(form({{"filesystem", image, "fs.bin"}})), 0, 1460);
  EXPECT_EQ(h.only_reply(c).status, 200);
  EXPECT_EQ(h.sink.begun_command, UpdateCommand::filesystem);
  EXPECT_EQ(h.sink.begun_size, 65536u);
  ASSERT_NE(h.last(ServerAction::started), nullptr);
  EXPECT_EQ(h.last(ServerAction::started)->command, UpdateCommand::filesystem);
}

TEST(WebUpdateForm, AnyOtherFileFieldIsFirmwareBoundByTheBodyLength) {
  Harness h;
  const uint8_t c = h.accept();
  const std::string request = post(form({{"image", "abc", "x.bin"}}));
  h.send(c, request);
  EXPECT_EQ(h.only_reply(c).status, 200);
  EXPECT_EQ(h.sink.begun_command, UpdateCommand::flash);
  EXPECT_EQ(h.sink.begun_size, form({{"image", "abc", "x.bin"}}).size());
}

}  // namespace
}  // namespace otakit::webupdate
