// Connections and time: the two slots and eviction, a second upload, the head, idle and receive
// timeouts, an upload broken off, 100-continue, and the success reply going out before the reboot.
#include <gtest/gtest.h>

#include <string>

#include "tests/core/webupdate_support.h"

namespace otakit::webupdate {
namespace {

using namespace testing;

// An upload request split before its last `rest` bytes.
struct SplitUpload {
  std::string start, rest;
  SplitUpload(const std::string& image, size_t rest_size, const std::string& extra = "") {
    const std::string request = post(firmware_form(image), extra);
    start = request.substr(0, request.size() - rest_size);
    rest = request.substr(request.size() - rest_size);
  }
};

TEST(WebUpdateConnections, SecondUploadWhileOneRunsIs409AndTheFirstCompletes) {
  Harness h;
  const SplitUpload first(std::string(2000, 'a'), 500);
  const uint8_t a = h.accept();
  h.send(a, first.start);
  const uint8_t b = h.accept();
  ASSERT_NE(b, WebUpdateServer::kNoSlot);
  h.send(b, post(firmware_form("other image")));
  const Reply refused = h.only_reply(b);
  EXPECT_EQ(refused.status, 409);
  EXPECT_EQ(refused.body, "Update error: another upload is in progress; try again when it has finished\n");
  EXPECT_TRUE(h.closed(b));
  EXPECT_EQ(h.sink.begins, 1) << "the second upload never reaches the sink";
  EXPECT_EQ(h.sink.aborts, 0);

  h.send(a, first.rest);
  EXPECT_EQ(h.only_reply(a).status, 200);
  EXPECT_EQ(h.sink.written, std::string(2000, 'a'));
}

TEST(WebUpdateConnections, ThirdConnectionEvictsTheLongestIdle) {
  Harness h;
  const uint8_t a = h.accept(0);
  const uint8_t b = h.accept(0);
  h.send(a, get(), 5000);  // a was used since: b has been idle longest
  const uint8_t c = h.accept(6000);
  EXPECT_EQ(c, b) << "the new connection takes b's slot";
  ASSERT_EQ(h.count(ServerAction::close), 1);
  EXPECT_EQ(h.last(ServerAction::close)->connection, b);
  h.send(a, get(), 6000);
  EXPECT_EQ(h.replies(a).size(), 2u) << "the connection kept is still served";
}

TEST(WebUpdateConnections, EvictionSilentlyClosesAnIdleConnection) {
  Harness h;
  const uint8_t a = h.accept(0);
  h.accept(100);
  const size_t before = h.events.size();
  EXPECT_EQ(h.accept(200), a);
  ASSERT_EQ(h.events.size(), before + 1);
  EXPECT_EQ(h.events.back().action, ServerAction::close);
  EXPECT_EQ(h.events.back().connection, a);
}

TEST(WebUpdateConnections, NoSlotWhenBothAreBusyWithRequests) {
  Harness h;
  const uint8_t a = h.accept();
  const uint8_t b = h.accept();
  h.send(a, SplitUpload("image", 3).start);  // uploading
  h.send(b, "GET /upd");                     // a head under way
  EXPECT_EQ(h.accept(), WebUpdateServer::kNoSlot);
  EXPECT_FALSE(h.closed(a));
  EXPECT_FALSE(h.closed(b));
  ASSERT_NE(h.last(ServerAction::log), nullptr);
  EXPECT_EQ(h.last(ServerAction::log)->data,
            "web: every connection slot is busy with a request; a new connection is refused");
}

TEST(WebUpdateConnections, IdleConnectionIsClosedSilentlyAtItsTimeout) {
  Harness h;
  const uint8_t c = h.accept(1000);
  h.tick(10999);
  EXPECT_FALSE(h.closed(c));
  h.tick(11000);
  EXPECT_TRUE(h.closed(c));
  EXPECT_EQ(h.sent(c), "");
}

TEST(WebUpdateConnections, HeadThatStallsIs408AtTheHeadTimeout) {
  Harness h;
  const uint8_t c = h.accept(0);
  h.send(c, "GET /update HTTP/1.1\r\nHo", 2000);  // the head timeout runs from its first byte
  h.tick(11999);
  EXPECT_EQ(h.sent(c), "");
  h.tick(12000);
  const Reply reply = h.only_reply(c);
  EXPECT_EQ(reply.status, 408);
  EXPECT_EQ(reply.body, "the request head did not arrive in time\n");
  EXPECT_TRUE(h.closed(c));
}

TEST(WebUpdateConnections, UploadThatStallsIs408AtTheReceiveTimeoutAndAborted) {
  Harness h;
  const std::string image(3000, 'r');
  const std::string request = post(firmware_form(image));
  const uint8_t c = h.accept(0);
  h.send(c, request.substr(0, 1000), 0);
  h.send(c, request.substr(1000, 1000), 8000);  // every byte restarts the timeout
  h.tick(17999);
  EXPECT_EQ(h.sent(c), "");
  h.tick(18000);
  const Reply reply = h.only_reply(c);
  EXPECT_EQ(reply.status, 408);
  EXPECT_EQ(reply.body, "no data arrived for the receive timeout; the running image is unchanged\n");
  EXPECT_EQ(h.sink.aborts, 1);
  EXPECT_EQ(h.sink.ends_at_received, 0);
  const Seen* finished = h.last(ServerAction::finished);
  ASSERT_NE(finished, nullptr);
  EXPECT_FALSE(finished->success);
  EXPECT_FALSE(h.server.uploading());
}

// The answer to a refused upload waits for its body; when the body stalls the client still gets
// it (with a close), not a silent reset.
TEST(WebUpdateConnections, RefusedUploadWhoseBodyStallsGetsItsAnswerAtTheReceiveTimeout) {
  Harness h("admin", "secret");
  const uint8_t c = h.accept(0);
  h.send(c, SplitUpload(std::string(2000, 's'), 1000).start, 1000);
  h.tick(10999);
  EXPECT_EQ(h.sent(c), "");
  h.tick(11000);
  const Reply reply = h.only_reply(c);
  EXPECT_EQ(reply.status, 401);
  EXPECT_TRUE(reply.has("Connection: close"));
  EXPECT_TRUE(h.closed(c));
  EXPECT_EQ(h.sink.begins, 0);
}

TEST(WebUpdateConnections, UploadBrokenOffAbortsAndNeverEnds) {
  Harness h;
  const std::string image(3000, 'b');
  const uint8_t c = h.accept();
  h.send(c, SplitUpload(image, 1200).start, 0, 512);
  const uint32_t written = uint32_t(h.sink.written.size());
  EXPECT_GT(written, 0u);
  h.peer_closed(c);
  EXPECT_EQ(h.sink.aborts, 1);
  EXPECT_EQ(h.sink.ends + h.sink.ends_at_received, 0);
  EXPECT_EQ(h.sent(c), "") << "nothing is sent to a closed connection";
  const Seen* finished = h.last(ServerAction::finished);
  ASSERT_NE(finished, nullptr);
  EXPECT_FALSE(finished->success);
  EXPECT_EQ(finished->data, "the connection closed after " + std::to_string(written) +
                                " bytes of the upload; the running image is unchanged");
  EXPECT_EQ(h.count(ServerAction::reboot), 0);
  EXPECT_FALSE(h.server.uploading());
}

TEST(WebUpdateConnections, UploadBrokenOffAfterTheFileBeforeTheClosingBoundaryIsNotStaged) {
  Harness h;
  const uint8_t c = h.accept();
  h.send(c, SplitUpload("image", 4).start);  // "\r\n--boundary" seen, "--\r\n" not
  h.peer_closed(c);
  EXPECT_EQ(h.sink.ends_at_received, 0);
  EXPECT_EQ(h.sink.aborts, 1);
  EXPECT_EQ(h.count(ServerAction::reboot), 0);
}

TEST(WebUpdateConnections, ContinueIsSentBeforeTheBodyThenTheAnswer) {
  Harness h;
  const SplitUpload upload("image", 0, "Expect: 100-continue\r\n");
  const std::string head = upload.start.substr(0, upload.start.find("\r\n\r\n") + 4);
  const uint8_t c = h.accept();
  h.send(c, head);
  EXPECT_EQ(h.sent(c), "HTTP/1.1 100 Continue\r\n\r\n");
  h.send(c, upload.start.substr(head.size()));
  const auto replies = h.replies(c);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0].status, 100);
  EXPECT_EQ(replies[1].status, 200);
  EXPECT_EQ(h.sink.written, "image");
}

TEST(WebUpdateConnections, RefusalExpectingContinueIsAnsweredAtOnceWithoutContinue) {
  Harness h;
  const uint8_t c = h.accept();
  const std::string request = post(firmware_form("image"), "Expect: 100-continue\r\n", "text/plain");
  const size_t head = request.find("\r\n\r\n") + 4;
  EXPECT_EQ(h.send(c, request), head) << "the body is not read: the client sends it only after a 100";
  const Reply reply = h.only_reply(c);
  EXPECT_EQ(reply.status, 415);
  EXPECT_TRUE(reply.has("Connection: close"));
  EXPECT_TRUE(h.closed(c));
}

TEST(WebUpdateConnections, SuccessReplyGoesOutWholeBeforeTheReboot) {
  Harness h;
  const uint8_t c = h.accept();
  h.send(c, post(firmware_form("image")));
  std::string before_reboot;
  bool closed_before_reboot = false;
  int finished_at = -1, reboot_at = -1;
  for (size_t i = 0; i < h.events.size(); ++i) {
    const Seen& e = h.events[i];
    if (e.action == ServerAction::reboot) reboot_at = int(i);
    if (e.action == ServerAction::finished) finished_at = int(i);
    if (reboot_at >= 0) continue;
    if (e.action == ServerAction::send) before_reboot += e.data;
    if (e.action == ServerAction::close && e.connection == c) closed_before_reboot = true;
  }
  ASSERT_GE(reboot_at, 0);
  EXPECT_EQ(reboot_at, int(h.events.size()) - 1) << "the reboot is the last event";
  EXPECT_LT(finished_at, reboot_at);
  EXPECT_TRUE(h.last(ServerAction::finished)->success);
  EXPECT_TRUE(closed_before_reboot);
  const auto replies = parse_replies(before_reboot);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].status, 200);
  EXPECT_TRUE(replies[0].has("Connection: close"));
  EXPECT_EQ(replies[0].body, "<META http-equiv=\"refresh\" content=\"15;URL=/\">Update Success! Rebooting...");
  EXPECT_EQ(h.sink.ends_at_received, 1);
}

TEST(WebUpdateConnections, ProgressCountsTheImageAgainstTheBodyLength) {
  Harness h;
  const std::string image(4000, 'p');
  const std::string request = post(firmware_form(image));
  const uint8_t c = h.accept();
  h.send(c, SplitUpload(image, 100).start, 0, 1000);
  uint32_t last_done = 0;
  int progress = 0;
  for (const Seen& e : h.events) {
    if (e.action != ServerAction::progress) continue;
    ++progress;
    EXPECT_GT(e.done, last_done);
    EXPECT_EQ(e.total, firmware_form(image).size());
    last_done = e.done;
  }
  EXPECT_GE(progress, 3);
  EXPECT_EQ(last_done, h.sink.written.size());
}

TEST(WebUpdateConnections, AbandonAbortsTheUploadAndSaysNothing) {
  Harness h;
  const uint8_t c = h.accept();
  h.send(c, SplitUpload("image", 3).start);
  const size_t before = h.events.size();
  h.server.abandon();
  ServerEvent e;
  EXPECT_FALSE(h.server.poll(&e));
  EXPECT_EQ(h.events.size(), before);
  EXPECT_EQ(h.sink.aborts, 1);
  EXPECT_FALSE(h.server.uploading());
  uint32_t at = 0;
  EXPECT_FALSE(h.server.next_deadline(&at));
}

}  // namespace
}  // namespace otakit::webupdate
