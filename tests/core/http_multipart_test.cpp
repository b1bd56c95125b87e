// The streaming multipart/form-data parser: the recorded browser-style uploads rebuilt byte for
// byte, every split point of small bodies, the held-back bytes, and one test per malformed body.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/http/multipart.h"
#include "core/http/request_head.h"
#include "tests/core/http_test_support.h"

namespace otakit::http {
namespace {

using testing::bytes;
using testing::read_vector;
using testing::str;

struct Part {
  std::string name;
  std::string filename;
  bool has_filename = false;
  std::string content_type;
  std::string data;
  bool ended = false;
};

struct Outcome {
  std::vector<Part> parts;
  bool body_end = false;
  MultipartError error = MultipartError::ok;
  size_t data_events = 0;
  size_t largest_hold_back = 0;  // the open part's bytes taken but not yet handed out
};

Text text_of(const std::string& s) { return Text{s.data(), s.size()}; }

// Feeds the pieces one after the other, checking the events come in a sensible order and
// measuring how many of the open part's bytes the parser has taken but not handed out yet.
Outcome run(const std::string& boundary, const std::vector<std::string>& pieces) {
  HeadStorage<512, 4> storage;
  MultipartParser parser(text_of(boundary), storage);
  Outcome out;
  size_t taken = 0;
  size_t part_start = 0;  // input offset of the open part's first data byte
  for (const std::string& piece : pieces) {
    size_t offset = 0;
    MultipartEvent event = MultipartEvent::need_input;
    do {
      size_t used = parser.feed(bytes(piece) + offset, piece.size() - offset, &event);
      EXPECT_LE(used, piece.size() - offset);
      offset += used;
      taken += used;
      switch (event) {
        case MultipartEvent::part_begin:
          EXPECT_TRUE(out.parts.empty() || out.parts.back().ended);
          out.parts.push_back(Part{str(parser.part().name), str(parser.part().filename),
                                   parser.part().filename.present(), str(parser.part().content_type), "", false});
          part_start = taken;
          break;
        case MultipartEvent::part_data:
          EXPECT_FALSE(out.parts.empty() || out.parts.back().ended);
          EXPECT_GT(parser.data().size, 0u);
          out.parts.back().data += str(parser.data());
          ++out.data_events;
          break;
        case MultipartEvent::part_end:
          EXPECT_FALSE(out.parts.empty() || out.parts.back().ended);
          out.parts.back().ended = true;
          break;
        case MultipartEvent::body_end:
          EXPECT_FALSE(out.body_end);
          EXPECT_TRUE(out.parts.empty() || out.parts.back().ended);
          out.body_end = true;
          break;
        case MultipartEvent::need_input:
          EXPECT_EQ(offset, piece.size());
          if (!out.parts.empty() && !out.parts.back().ended) {
            size_t held = taken - part_start - out.parts.back().data.size();
            out.largest_hold_back = std::max(out.largest_hold_back, held);
          }
          break;
        case MultipartEvent::failed:
          break;
      }
    } while (event != MultipartEvent::need_input && event != MultipartEvent::failed);
    if (event == MultipartEvent::failed) break;
  }
  out.error = parser.finish();
  return out;
}

Outcome run_whole(const std::string& boundary, const std::string& body) { return run(boundary, {body}); }

// ---- the recorded uploads --------------------------------------------------------------------

struct Upload {
  const char* name;
  const char* image;     // the file curl sent (vectors/signing), "" when it is not recorded
  size_t image_size;
  const char* filename;  // as the part header names it
};

// The recorded request head runs on into the part header; the tail is the closing delimiter.
std::string rebuild_body(const Upload& upload, std::string* request_head) {
  std::string recorded = read_vector(std::string("webupdate/") + upload.name + ".request-head.http");
  size_t head_end = recorded.find("\r\n\r\n") + 4;
  *request_head = recorded.substr(0, head_end);
  std::string image = upload.image[0] ? read_vector(std::string("signing/") + upload.image)
                                      : std::string(upload.image_size, '\x5A');
  return recorded.substr(head_end) + image + read_vector(std::string("webupdate/") + upload.name + ".request-tail.bin");
}

class RecordedUpload : public ::testing::TestWithParam<Upload> {};

TEST_P(RecordedUpload, YieldsTheImageAsTheFirmwarePart) {
  const Upload& upload = GetParam();
  std::string head_bytes;
  std::string body = rebuild_body(upload, &head_bytes);
  if (upload.image[0]) {
    EXPECT_EQ(testing::md5_hex(head_bytes + body),
              testing::recorded_stream_md5(std::string("webupdate/") + upload.name + ".txt", "client"));
  }
  HeadStorage<2048, 24> storage;
  RequestHeadParser head_parser(storage);
  ASSERT_EQ(head_parser.feed(bytes(head_bytes), head_bytes.size()), head_bytes.size());
  const RequestHead& head = head_parser.head();
  ASSERT_EQ(head.body.content_length, body.size());
  std::string boundary = str(head.boundary);
  std::string image = body.substr(body.find("\r\n\r\n") + 4, upload.image_size);
  for (size_t piece : {size_t(1), size_t(1460), size_t(2048), size_t(32768)}) {
    if (piece == 1 && body.size() > 10000) continue;
    std::vector<std::string> pieces;
    for (size_t offset = 0; offset < body.size(); offset += piece) pieces.push_back(body.substr(offset, piece));
    Outcome out = run(boundary, pieces);
    EXPECT_EQ(out.error, MultipartError::ok) << describe(out.error);
    ASSERT_EQ(out.parts.size(), 1u);
    EXPECT_EQ(out.parts[0].name, "firmware");
    EXPECT_EQ(out.parts[0].filename, upload.filename);
    EXPECT_EQ(out.parts[0].content_type, "application/octet-stream");
    EXPECT_TRUE(out.parts[0].data == image) << piece;
    EXPECT_TRUE(out.parts[0].ended);
    EXPECT_TRUE(out.body_end);
    EXPECT_LE(out.largest_hold_back, boundary.size() + 3);
  }
}

// badmagic's image (nomagic_300001.bin) is not among the vectors: its head and tail are real,
// the bytes in between stand in for it.
INSTANTIATE_TEST_SUITE_P(Webupdate, RecordedUpload,
                         ::testing::Values(Upload{"post-update-ok", "fw_300001.bin", 300001, "fw_300001.bin"},
                                           Upload{"post-update-basic", "fw_300001.bin", 300001, "fw_300001.bin"},
                                           Upload{"post-update-4096-nodata", "fw_4096.bin", 4096, "fw_4096.bin"},
                                           Upload{"post-update-nocreds", "fw_4096.bin", 4096, "fw_4096.bin"},
                                           Upload{"post-update-badmagic", "", 300001, "nomagic_300001.bin"}),
                         [](const ::testing::TestParamInfo<Upload>& upload) {
                           std::string name = upload.param.name;
                           for (char& c : name)
                             if (c == '-') c = '_';
                           return name;
                         });

// ---- splits and held-back bytes --------------------------------------------------------------

const char kBoundary[] = "xYz'()+_,-./:=? q";
// A field, a file whose data holds delimiter look-alikes, an empty part, then an epilogue.
const std::string kBody =
    "--xYz'()+_,-./:=? q\r\n"
    "Content-Disposition: form-data; name=\"note\"\r\n\r\n"
    "hi\r\n"
    "--xYz'()+_,-./:=? q  \t\r\n"
    "content-disposition: FORM-DATA; filename=\"a\\\"b.bin\"; name=firmware\r\n"
    "Content-Type: application/octet-stream\r\n\r\n"
    "\r\r\n-\r\n--xYz\r\n--xYz'()+_,-./:=? \r\n\r\n--\r"
    "\r\n--xYz'()+_,-./:=? q\r\n"
    "Content-Disposition: form-data; name=\"\"\r\n\r\n"
    "\r\n--xYz'()+_,-./:=? q--\r\nepilogue\r\n--xYz'()+_,-./:=? q\r\n";

void expect_the_three_parts(const Outcome& out) {
  EXPECT_EQ(out.error, MultipartError::ok) << describe(out.error);
  ASSERT_EQ(out.parts.size(), 3u);
  EXPECT_EQ(out.parts[0].name, "note");
  EXPECT_FALSE(out.parts[0].has_filename);
  EXPECT_EQ(out.parts[0].data, "hi");
  EXPECT_EQ(out.parts[1].name, "firmware");
  EXPECT_EQ(out.parts[1].filename, "a\\\"b.bin");
  EXPECT_EQ(out.parts[1].content_type, "application/octet-stream");
  EXPECT_EQ(out.parts[1].data, "\r\r\n-\r\n--xYz\r\n--xYz'()+_,-./:=? \r\n\r\n--\r");
  EXPECT_EQ(out.parts[2].name, "");
  EXPECT_EQ(out.parts[2].data, "");
  EXPECT_TRUE(out.body_end);
}

TEST(Multipart, ParsesFieldsFilesAndLookAlikes) { expect_the_three_parts(run_whole(kBoundary, kBody)); }

TEST(Multipart, EverySplitPointGivesTheSameParts) {
  for (size_t split = 0; split <= kBody.size(); ++split) {
    SCOPED_TRACE(split);
    expect_the_three_parts(run(kBoundary, {kBody.substr(0, split), kBody.substr(split)}));
  }
}

TEST(Multipart, EveryPairOfSplitPointsGivesTheSameParts) {
  std::string boundary = "b";
  std::string body = "--b\r\nContent-Disposition: form-data; name=f\r\n\r\n\r\n-\r\n--c\r\n--b\r\n"
                     "Content-Disposition: form-data; name=g\r\n\r\nz\r\n--b--";
  for (size_t first = 0; first <= body.size(); ++first) {
    for (size_t second = first; second <= body.size(); ++second) {
      Outcome out = run(boundary, {body.substr(0, first), body.substr(first, second - first), body.substr(second)});
      ASSERT_EQ(out.error, MultipartError::ok) << first << " " << second;
      ASSERT_EQ(out.parts.size(), 2u);
      ASSERT_EQ(out.parts[0].data, "\r\n-\r\n--c") << first << " " << second;
      ASSERT_EQ(out.parts[1].data, "z");
    }
  }
}

TEST(Multipart, ByteByByte) {
  std::vector<std::string> pieces;
  for (char c : kBody) pieces.push_back(std::string(1, c));
  Outcome out = run(kBoundary, pieces);
  expect_the_three_parts(out);
  // kBody's look-alikes make the parser hold back the longest possible delimiter start.
  EXPECT_EQ(out.largest_hold_back, sizeof(kBoundary) - 1 + 3);
}

TEST(Multipart, HoldsBackOnlyWhatMayStartADelimiter) {
  HeadStorage<256, 4> storage;
  MultipartParser parser(Text{"bnd", 3}, storage);
  std::string start = "--bnd\r\nContent-Disposition: form-data; name=f\r\n\r\nabc\r\n--bn";
  MultipartEvent event;
  size_t used = parser.feed(bytes(start), start.size(), &event);
  ASSERT_EQ(event, MultipartEvent::part_begin);
  used += parser.feed(bytes(start) + used, start.size() - used, &event);
  ASSERT_EQ(event, MultipartEvent::part_data);
  EXPECT_EQ(str(parser.data()), "abc");
  EXPECT_EQ(parser.data().data, bytes(start) + used - 3);  // a slice of the caller's input
  EXPECT_EQ(parser.feed(bytes(start) + used, start.size() - used, &event), start.size() - used);
  EXPECT_EQ(event, MultipartEvent::need_input);  // "\r\n--bn" is held back
  // "x" breaks the match: the held-back bytes come out first, then the x.
  EXPECT_EQ(parser.feed(bytes("x"), 1, &event), 0u);
  ASSERT_EQ(event, MultipartEvent::part_data);
  EXPECT_EQ(str(parser.data()), "\r\n--bn");
  EXPECT_EQ(parser.feed(bytes("x"), 1, &event), 1u);
  EXPECT_EQ(str(parser.data()), "x");
}

TEST(Multipart, TheEpilogueIsIgnored) {
  Outcome out = run_whole("b", "--b\r\nContent-Disposition: form-data; name=f\r\n\r\nd\r\n--b--garbage\r\n--b\r\n");
  EXPECT_EQ(out.error, MultipartError::ok);
  EXPECT_TRUE(out.body_end);
  EXPECT_EQ(out.parts.size(), 1u);
}

TEST(Multipart, SeventyCharacterBoundaryIsAccepted) {
  std::string boundary(70, '-');
  Outcome out = run_whole(boundary, "--" + boundary + "\r\nContent-Disposition: form-data; name=f\r\n\r\n1\r\n--" +
                                        boundary + "--");
  EXPECT_EQ(out.error, MultipartError::ok);
  EXPECT_EQ(out.parts.at(0).data, "1");
}

// ---- malformed bodies ------------------------------------------------------------------------

const char kPartHead[] = "Content-Disposition: form-data; name=f\r\n\r\n";

TEST(Multipart, MissingBoundary) {
  EXPECT_EQ(MultipartParser::check_boundary(Text{}), MultipartError::missing_boundary);
  EXPECT_EQ(run_whole("", "--\r\n").error, MultipartError::missing_boundary);
}

TEST(Multipart, BoundaryTooLong) {
  EXPECT_EQ(MultipartParser::check_boundary(text_of(std::string(71, 'a'))), MultipartError::boundary_too_long);
}

TEST(Multipart, BoundaryWithACharacterOutsideBchars) {
  EXPECT_EQ(MultipartParser::check_boundary(text_of("ab@c")), MultipartError::bad_boundary);
}

TEST(Multipart, BoundaryEndingInASpace) {
  EXPECT_EQ(MultipartParser::check_boundary(text_of("ab ")), MultipartError::bad_boundary);
}

TEST(Multipart, BoundaryWithAnEscapeFromAQuotedString) {
  EXPECT_EQ(MultipartParser::check_boundary(text_of("a\\\"b")), MultipartError::bad_boundary);
}

TEST(Multipart, BodyNotStartingWithTheBoundary) {
  EXPECT_EQ(run_whole("b", "preamble\r\n--b\r\n").error, MultipartError::missing_first_boundary);
}

TEST(Multipart, BodyStartingWithAnotherBoundary) {
  EXPECT_EQ(run_whole("bnd", "--bnx\r\n").error, MultipartError::missing_first_boundary);
}

TEST(Multipart, EmptyBody) { EXPECT_EQ(run("b", {}).error, MultipartError::missing_first_boundary); }

TEST(Multipart, BoundaryFollowedByText) {
  EXPECT_EQ(run_whole("b", "--bc\r\n").error, MultipartError::bad_delimiter_line);
}

TEST(Multipart, DelimiterInsideDataFollowedByText) {
  EXPECT_EQ(run_whole("b", std::string("--b\r\n") + kPartHead + "data\r\n--bX").error, MultipartError::bad_delimiter_line);
}

TEST(Multipart, BoundaryLineWithABareCr) {
  EXPECT_EQ(run_whole("b", "--b\rX").error, MultipartError::bad_delimiter_line);
}

TEST(Multipart, PaddingFollowedByText) {
  EXPECT_EQ(run_whole("b", "--b  x\r\n").error, MultipartError::bad_delimiter_line);
}

TEST(Multipart, CloseDelimiterWithOneDash) {
  EXPECT_EQ(run_whole("b", std::string("--b\r\n") + kPartHead + "\r\n--b-x").error, MultipartError::bad_delimiter_line);
}

TEST(Multipart, PartHeadersTooLarge) {
  Outcome out = run_whole("b", "--b\r\nContent-Disposition: form-data; name=\"" + std::string(600, 'n') + "\"\r\n\r\n");
  EXPECT_EQ(out.error, MultipartError::part_header_too_large);
}

TEST(Multipart, TooManyPartHeaders) {
  EXPECT_EQ(run_whole("b", "--b\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n\r\n").error,
            MultipartError::part_header_too_large);
}

TEST(Multipart, PartHeaderWithoutColon) {
  HeadStorage<256, 4> storage;
  MultipartParser parser(Text{"b", 1}, storage);
  std::string body = "--b\r\nContent-Disposition form-data\r\n\r\n";
  MultipartEvent event;
  parser.feed(bytes(body), body.size(), &event);
  EXPECT_EQ(event, MultipartEvent::failed);
  EXPECT_EQ(parser.error(), MultipartError::bad_part_header);
  EXPECT_EQ(parser.part_header_error(), HeadError::missing_colon);
}

TEST(Multipart, PartHeaderFolded) {
  EXPECT_EQ(run_whole("b", "--b\r\nContent-Disposition: form-data;\r\n name=f\r\n\r\n").error,
            MultipartError::bad_part_header);
}

TEST(Multipart, PartWithoutHeaders) {
  EXPECT_EQ(run_whole("b", "--b\r\n\r\ndata\r\n--b--").error, MultipartError::missing_content_disposition);
}

TEST(Multipart, PartWithoutContentDisposition) {
  EXPECT_EQ(run_whole("b", "--b\r\nContent-Type: text/plain\r\n\r\n").error, MultipartError::missing_content_disposition);
}

TEST(Multipart, DispositionThatIsNotFormData) {
  EXPECT_EQ(run_whole("b", "--b\r\nContent-Disposition: attachment; name=f\r\n\r\n").error,
            MultipartError::bad_content_disposition);
}

TEST(Multipart, DispositionWithoutName) {
  EXPECT_EQ(run_whole("b", "--b\r\nContent-Disposition: form-data; filename=x\r\n\r\n").error,
            MultipartError::bad_content_disposition);
}

TEST(Multipart, DispositionWithAnUnterminatedQuote) {
  EXPECT_EQ(run_whole("b", "--b\r\nContent-Disposition: form-data; name=\"f\r\n\r\n").error,
            MultipartError::bad_content_disposition);
}

TEST(Multipart, DispositionTwice) {
  EXPECT_EQ(run_whole("b", std::string("--b\r\nContent-Disposition: form-data; name=g\r\n") + kPartHead).error,
            MultipartError::bad_content_disposition);
}

TEST(Multipart, BodyEndingInsideData) {
  Outcome out = run_whole("b", std::string("--b\r\n") + kPartHead + "partial");
  EXPECT_EQ(out.error, MultipartError::truncated_body);
  EXPECT_EQ(out.parts.at(0).data, "partial");
  EXPECT_FALSE(out.parts.at(0).ended);
}

TEST(Multipart, BodyEndingInsideADelimiter) {
  Outcome out = run_whole("bnd", std::string("--bnd\r\n") + kPartHead + "data\r\n--bn");
  EXPECT_EQ(out.error, MultipartError::truncated_body);
  EXPECT_EQ(out.parts.at(0).data, "data");
}

TEST(Multipart, BodyEndingAfterAPartWithoutTheCloseDelimiter) {
  EXPECT_EQ(run_whole("b", std::string("--b\r\n") + kPartHead + "data\r\n--b\r\n").error, MultipartError::truncated_body);
}

TEST(Multipart, BodyEndingInsidePartHeaders) {
  EXPECT_EQ(run_whole("b", "--b\r\nContent-Dispo").error, MultipartError::truncated_body);
}

TEST(Multipart, NothingIsReadAfterAFailure) {
  HeadStorage<256, 4> storage;
  MultipartParser parser(Text{"b", 1}, storage);
  MultipartEvent event;
  parser.feed(bytes("x"), 1, &event);
  ASSERT_EQ(event, MultipartEvent::failed);
  EXPECT_EQ(parser.feed(bytes("--b\r\n"), 5, &event), 0u);
  EXPECT_EQ(event, MultipartEvent::failed);
  EXPECT_EQ(parser.finish(), MultipartError::missing_first_boundary);
}

TEST(Multipart, EveryErrorHasItsOwnDescription) {
  std::vector<std::string> seen;
  for (int e = int(MultipartError::ok); e <= int(MultipartError::truncated_body); ++e) {
    std::string text = describe(MultipartError(e));
    EXPECT_NE(text, "unknown");
    for (const std::string& other : seen) EXPECT_NE(text, other);
    seen.push_back(text);
  }
}

}  // namespace
}  // namespace otakit::http
