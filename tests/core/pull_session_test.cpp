// The pull client against the recorded ESP8266httpUpdate exchanges (vectors/httpupdate: the same
// request bytes, the same result and getLastErrorString()), and against synthetic servers for
// every other answer: statuses, framing, image checks, timeouts, redirects, versions, resumes.
// Where an image is at stake a real device (Updater over emulated flash) takes it, and after
// every failure the image it boots is still the running one.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/boot/placement.h"
#include "core/pull/pull_session.h"
#include "core/updater/update_sink.h"
#include "tests/core/device_fixture.h"
#include "tests/core/fake_update_sink.h"
#include "tests/core/http_test_support.h"
#include "tests/core/pull_test_support.h"

namespace otakit::pull {
namespace {

using http::testing::md5_hex;
using http::testing::read_vector;
using http::testing::RecordedDevice;
using testing::as_string;
using testing::chunked;
using testing::Driver;
using testing::head_200;
using testing::Seen;

// ---------------------------------------------------------------------------------------------
// The recordings: the host mock's facts, http://127.0.0.1:8000/file.bin, fw_300001.bin served.

struct Recorded : ::testing::Test {
  RecordedDevice device;
  otakit::testing::FakeUpdateSink sink;
  std::string firmware = read_vector("signing/fw_300001.bin");
  PullConfig config() const {
    PullConfig c;
    c.url = "http://127.0.0.1:8000/file.bin";
    c.device = device.facts();
    return c;
  }
  std::string recorded(const std::string& name, const std::string& part) {
    return read_vector("httpupdate/" + name + "." + part + ".http");
  }
};

TEST_F(Recorded, UpdateOkSendsTheRecordedRequestAndStreamsTheImageInAnySplit) {
  for (size_t piece : {size_t(1), size_t(7), size_t(1460), size_t(SIZE_MAX)}) {
    otakit::testing::FakeUpdateSink fresh;
    Driver driver(config(), fresh);
    std::string request = driver.exchange(recorded("update-ok", "response-head") + firmware, piece);
    EXPECT_EQ(request, recorded("update-ok", "request"));
    Seen f = driver.finished();
    EXPECT_EQ(f.result, PullResult::ok) << f.message;
    EXPECT_EQ(f.error, 0);
    EXPECT_EQ(f.error_text, "");
    EXPECT_EQ(f.http_status, 200);
    EXPECT_EQ(fresh.begun_size, 300001u);
    EXPECT_EQ(fresh.begun_md5, "5ebd9fca3c2b10da7bf53f71972df133");
    EXPECT_EQ(fresh.written, firmware) << "piece " << piece;
    EXPECT_EQ(fresh.ends, 1);
    EXPECT_EQ(driver.count(PullAction::started), 1);
    EXPECT_EQ(driver.last(PullAction::progress)->done, 300001u);
    driver.expect_connections_balanced();
  }
}

TEST_F(Recorded, UpdateNoMd5GivesTheSinkNoMd5) {
  Driver driver(config(), sink);
  driver.exchange(recorded("update-nomd5", "response-head") + firmware);
  EXPECT_EQ(driver.finished().result, PullResult::ok);
  EXPECT_EQ(sink.begun_md5, "");
}

TEST_F(Recorded, VersionAnd304IsNoUpdates) {
  PullConfig c = config();
  c.current_version = "1.2.3";
  Driver driver(c, sink);
  EXPECT_EQ(driver.exchange(recorded("update-version-304", "response-head")), recorded("update-version-304", "request"));
  Seen f = driver.finished();
  EXPECT_EQ(f.result, PullResult::no_updates);
  EXPECT_EQ(f.error, 0);
  EXPECT_EQ(f.error_text, "");
  EXPECT_EQ(f.http_status, 304);
  EXPECT_EQ(sink.begins, 0);
  EXPECT_EQ(driver.count(PullAction::started), 0);
}

TEST_F(Recorded, NotFoundIsMinus102) {
  Driver driver(config(), sink);
  EXPECT_EQ(driver.exchange(recorded("update-404", "response-head")), recorded("update-404", "request"));
  Seen f = driver.finished();
  EXPECT_EQ(f.result, PullResult::failed);
  EXPECT_EQ(f.error, -102);
  EXPECT_EQ(f.error_text, "File Not Found (404)");
}

TEST_F(Recorded, FsModeWithoutAFilesystemIsMinus100) {
  PullConfig c = config();
  c.mode = http::UpdateMode::spiffs;
  Driver driver(c, sink);
  EXPECT_EQ(driver.exchange(recorded("update-fs-mode", "response-head") + firmware), recorded("update-fs-mode", "request"));
  Seen f = driver.finished();
  EXPECT_EQ(f.error, -100);
  EXPECT_EQ(f.error_text, "Not Enough space");
  EXPECT_EQ(sink.begins, 0);
  EXPECT_EQ(driver.count(PullAction::started), 0) << "the space check comes before onStart";
}

TEST_F(Recorded, FsModeWithAFilesystemWritesIt) {
  PullConfig c = config();
  c.mode = http::UpdateMode::spiffs;
  c.fs_size = 1 << 20;
  Driver driver(c, sink);
  driver.exchange(recorded("update-fs-mode", "response-head") + firmware);
  EXPECT_EQ(driver.finished().result, PullResult::ok);
  EXPECT_EQ(sink.begun_command, UpdateCommand::filesystem);
  EXPECT_EQ(sink.written, firmware);
}

TEST_F(Recorded, BasicAuthFromSetAuthorizationOrFromTheUrl) {
  PullConfig c = config();
  c.user = "admin";
  c.password = "secret";
  Driver by_setter(c, sink);
  EXPECT_EQ(by_setter.exchange(recorded("update-basic-auth", "response-head") + firmware),
            recorded("update-basic-auth", "request"));
  EXPECT_EQ(by_setter.finished().result, PullResult::ok);

  otakit::testing::FakeUpdateSink other;
  PullConfig in_url = config();
  in_url.url = "http://admin:secret@127.0.0.1:8000/file.bin";
  Driver by_url(in_url, other);
  EXPECT_EQ(by_url.exchange(recorded("update-basic-auth", "response-head") + firmware),
            recorded("update-basic-auth", "request"));

  otakit::testing::FakeUpdateSink third;
  PullConfig ready = config();
  ready.url = "http://someone:else@127.0.0.1:8000/file.bin";
  ready.authorization = "YWRtaW46c2VjcmV0";
  Driver by_base64(ready, third);
  EXPECT_EQ(by_base64.exchange(recorded("update-basic-auth", "response-head") + firmware),
            recorded("update-basic-auth", "request"))
      << "setAuthorization(base64) wins over the URL's userinfo";
}

// The wrong-MD5 recording through the real Updater: the same code and the same text.
TEST_F(Recorded, WrongMd5IsTheUpdatersError7WithTheOriginalsText) {
  otakit::testing::Device dev;
  std::vector<uint8_t> running = otakit::testing::make_image(150000, 1);
  ASSERT_TRUE(dev.provision(running));
  dev.reboot();
  UpdaterSink updater(*dev.updater);
  Driver driver(config(), updater);
  driver.exchange(recorded("update-wrong-md5", "response-head") + firmware, 1460);
  Seen f = driver.finished();
  EXPECT_EQ(f.result, PullResult::failed);
  EXPECT_EQ(f.error, 7);
  EXPECT_EQ(f.error_text,
            "Update error: ERROR[7]: MD5 verification failed: expected: 8aba69b75c3420dbf2f83dcce50eafed, "
            "calculated: 5ebd9fca3c2b10da7bf53f71972df133");
  std::string transcript = read_vector("httpupdate/update-wrong-md5.txt");
  EXPECT_NE(transcript.find("Error (7): " + f.error_text + ";"), std::string::npos) << "the recorded text";
  EXPECT_FALSE(dev.updater->is_running());
  dev.reboot();
  EXPECT_TRUE(dev.runs(running));
}

// ---------------------------------------------------------------------------------------------
// Synthetic servers, with a FakeUpdateSink where only the session's decisions matter.

struct Synthetic : ::testing::Test {
  RecordedDevice device;
  otakit::testing::FakeUpdateSink sink;
  std::string image = as_string(otakit::testing::make_image(20000, 3));
  PullConfig config;
  void SetUp() override {
    config.url = "http://updates.example:8080/fw.bin";
    config.device = device.facts();
  }
  Seen run(const std::string& response, size_t piece = SIZE_MAX) {
    Driver driver(config, sink);
    driver.exchange(response, piece);
    driver.expect_connections_balanced();
    events = driver.events;
    return driver.finished();
  }
  std::vector<Seen> events;
};

TEST_F(Synthetic, StatusesMapToTheOriginalsCodes) {
  struct Case {
    const char* head;
    int32_t error;
    const char* text;
  } cases[] = {
      {"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n", -108, "Unauthorized (401)"},
      {"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", -103, "Forbidden (403)"},
      {"HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno!", -102, "File Not Found (404)"},
      {"HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n", -104, "Wrong HTTP Code"},
      {"HTTP/1.1 206 Partial Content\r\nContent-Length: 0\r\n\r\n", -104, "Wrong HTTP Code"},
      {"HTTP/1.1 302 Found\r\nLocation: /other\r\nContent-Length: 0\r\n\r\n", -104, "Wrong HTTP Code"},
  };
  for (const Case& c : cases) {
    Seen f = run(c.head);
    EXPECT_EQ(f.result, PullResult::failed) << c.head;
    EXPECT_EQ(f.error, c.error) << c.head;
    EXPECT_EQ(f.error_text, c.text) << c.head;
    EXPECT_FALSE(f.message.empty());
  }
  EXPECT_EQ(sink.begins, 0);
}

TEST_F(Synthetic, OkWithoutALengthIsMinus101) {
  Seen f = run("HTTP/1.0 200 OK\r\n\r\n" + image);
  EXPECT_EQ(f.error, -101);
  EXPECT_EQ(f.error_text, "Server Did Not Report Size");
  f = run("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(f.error, -101);
  EXPECT_EQ(sink.begins, 0);
}

TEST_F(Synthetic, XMd5OfTheWrongLengthIsMinus105AfterOnStartAndBeginsNothing) {
  Seen f = run(head_200(image.size(), "x-MD5: 5ebd9fca3c2b10da7bf53f71972df13\r\n") + image);
  EXPECT_EQ(f.error, -105);
  EXPECT_EQ(f.error_text, "Wrong MD5");
  EXPECT_EQ(sink.begins, 0) << "the original leaves the Updater running here; we never begin it";
  int started = 0;
  for (const Seen& s : events) started += s.action == PullAction::started;
  EXPECT_EQ(started, 1);
  f = run(head_200(image.size(), "x-MD5: zzbd9fca3c2b10da7bf53f71972df133\r\n") + image);
  EXPECT_EQ(f.error, -105) << "32 characters but not hex";
}

TEST_F(Synthetic, SetMd5sumWinsOverXMd5) {
  config.md5 = "0123456789abcdef0123456789abcdef";
  EXPECT_EQ(run(head_200(image.size(), "x-MD5: 5ebd9fca3c2b10da7bf53f71972df13\r\n") + image).result, PullResult::ok);
  EXPECT_EQ(sink.begun_md5, config.md5);
}

TEST_F(Synthetic, ImageLargerThanTheFreeSpaceIsMinus100BeforeOnStart) {
  config.device.free_space = uint32_t(image.size() - 1);
  Seen f = run(head_200(image.size()) + image);
  EXPECT_EQ(f.error, -100);
  EXPECT_EQ(f.error_text, "Not Enough space");
  for (const Seen& s : events) EXPECT_NE(s.action, PullAction::started);
  config.device.free_space = uint32_t(image.size());
  EXPECT_EQ(run(head_200(image.size()) + image).result, PullResult::ok) << "exactly the free space fits";
}

TEST_F(Synthetic, BadMagicIsMinus106) {
  std::string bad = image;
  bad[0] = '\x42';
  Seen f = run(head_200(bad.size()) + bad, 1);
  EXPECT_EQ(f.error, -106);
  EXPECT_EQ(f.error_text, "Verify Bin Header Failed");
  EXPECT_EQ(sink.begins, 0);
  f = run(head_200(3) + image.substr(0, 3));
  EXPECT_EQ(f.error, -106) << "fewer than four bytes";
}

TEST_F(Synthetic, GzipMagicPassesTheHeaderCheck) {
  std::string gzip = "\x1f\x8b\x08" + std::string(100, '\0');
  EXPECT_EQ(run(head_200(gzip.size()) + gzip).result, PullResult::ok);
  EXPECT_EQ(sink.written, gzip);
}

TEST_F(Synthetic, FlashSizeCodeLargerThanTheChipIsMinus107) {
  config.device.chip_size = 1 << 20;
  std::string for_4m = as_string(otakit::testing::make_image(20000, 3, 0, 4));
  Seen f = run(head_200(for_4m.size()) + for_4m);
  EXPECT_EQ(f.error, -107);
  EXPECT_EQ(f.error_text, "New Binary Does Not Fit Flash Size");
  std::string for_1m = as_string(otakit::testing::make_image(20000, 3, 0, 2));
  EXPECT_EQ(run(head_200(for_1m.size()) + for_1m).result, PullResult::ok);
  std::string unknown_code = as_string(otakit::testing::make_image(20000, 3, 0, 0xF));
  EXPECT_EQ(run(head_200(unknown_code.size()) + unknown_code).result, PullResult::ok)
      << "a code the original does not know counts as size 0 and passes";
}

TEST_F(Synthetic, FilesystemImagesSkipTheHeaderChecks) {
  config.mode = http::UpdateMode::spiffs;
  config.fs_size = 1 << 16;
  std::string fs(5000, '\x42');
  EXPECT_EQ(run(head_200(fs.size()) + fs, 3).result, PullResult::ok);
  EXPECT_EQ(sink.written, fs);
}

TEST_F(Synthetic, UpdaterFailuresAreItsOwnNumberAndText) {
  sink.begin_error = "ERROR[4]: Not Enough Space: needs more";
  Seen f = run(head_200(image.size()) + image);
  EXPECT_EQ(f.error, 4);
  EXPECT_EQ(f.error_text, "Update error: ERROR[4]: Not Enough Space: needs more");
  sink.begin_error.clear();
  sink.write_limit = 5000;
  f = run(head_200(image.size()) + image);
  EXPECT_EQ(f.error, 1);
  EXPECT_EQ(f.error_text, "Update error: ERROR[1]: Flash Write Failed");
  EXPECT_EQ(sink.aborts, 1);
}

TEST_F(Synthetic, ShortBodyWithoutRangesIsStreamError6) {
  Driver driver(config, sink);
  driver.start_and_connect();
  driver.feed(head_200(image.size()) + image.substr(0, 9000));
  driver.close();
  Seen f = driver.finished();
  EXPECT_EQ(f.error, 6);
  EXPECT_EQ(f.error_text, "Update error: ERROR[6]: Stream Read Timeout");
  EXPECT_NE(f.message.find("9000 of 20000"), std::string::npos) << f.message;
  EXPECT_EQ(sink.aborts, 1);
  EXPECT_EQ(driver.count(PullAction::close), 0) << "the server closed it: nothing to close";
}

TEST_F(Synthetic, ConnectFailureIsMinus1) {
  Driver driver(config, sink);
  driver.session.start(driver.now);
  driver.drain();
  ASSERT_EQ(driver.events.back().action, PullAction::connect);
  EXPECT_EQ(driver.events.back().host, "updates.example");
  EXPECT_EQ(driver.events.back().port, 8080);
  EXPECT_FALSE(driver.events.back().secure);
  driver.connect_failed();
  EXPECT_EQ(driver.finished().error, -1);
  EXPECT_EQ(driver.finished().error_text, "HTTP error: connection failed");
}

TEST_F(Synthetic, ConnectTimeoutIsMinus1AndClosesTheAttempt) {
  Driver driver(config, sink);
  driver.session.start(driver.now);
  driver.drain();
  uint32_t at = 0;
  ASSERT_TRUE(driver.session.next_deadline(&at));
  EXPECT_EQ(at, driver.now + 8000);
  driver.advance(7999);
  EXPECT_EQ(driver.count(PullAction::finished), 0);
  driver.advance(1);
  EXPECT_EQ(driver.finished().error, -1);
  EXPECT_EQ(driver.count(PullAction::close), 1);
}

TEST_F(Synthetic, HeaderIdleTimeoutIsMinus11) {
  Driver driver(config, sink);
  driver.start_and_connect();
  driver.advance(7000);
  driver.feed("HTTP/1.0 200 OK\r\n");
  driver.advance(7999);
  EXPECT_EQ(driver.count(PullAction::finished), 0) << "each byte of the head restarts the wait";
  driver.advance(1);
  Seen f = driver.finished();
  EXPECT_EQ(f.error, -11);
  EXPECT_EQ(f.error_text, "HTTP error: read Timeout");
  EXPECT_EQ(driver.count(PullAction::close), 1);
}

TEST_F(Synthetic, BodyIdleTimeoutIsStreamError6) {
  config.body_idle_timeout_ms = 5000;
  Driver driver(config, sink);
  driver.start_and_connect();
  driver.feed(head_200(image.size()) + image.substr(0, 100));
  driver.advance(4999);
  driver.feed(image.substr(100, 100));
  driver.advance(4999);
  EXPECT_EQ(driver.count(PullAction::finished), 0);
  driver.advance(1);
  EXPECT_EQ(driver.finished().error, 6);
  EXPECT_EQ(sink.aborts, 1);
}

TEST_F(Synthetic, OverallTimeoutEndsEvenASteadyTrickle) {
  config.overall_timeout_ms = 10000;
  Driver driver(config, sink);
  driver.start_and_connect();
  driver.feed(head_200(image.size()));
  for (int i = 0; i < 20 && driver.session.state() != PullState::done; ++i) {
    driver.feed(image.substr(i * 10, 10));
    driver.advance(1000);
  }
  EXPECT_EQ(driver.finished().error, 6);
  EXPECT_NE(driver.finished().message.find("longer than 10000 ms"), std::string::npos);
}

TEST_F(Synthetic, ClosedBeforeTheHeadEndsIsMinus5) {
  Driver driver(config, sink);
  driver.start_and_connect();
  driver.feed("HTTP/1.0 200 OK\r\nContent-");
  driver.close();
  EXPECT_EQ(driver.finished().error, -5);
  EXPECT_EQ(driver.finished().error_text, "HTTP error: connection lost");
}

TEST_F(Synthetic, MalformedHeadsAreNoHttpServerAndOtherCodingsMinus9) {
  EXPECT_EQ(run("SSH-2.0-OpenSSH\r\n\r\n").error, -7);
  EXPECT_EQ(run("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n").error, -7);
  Seen f = run("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n");
  EXPECT_EQ(f.error, -9);
  EXPECT_EQ(f.error_text, "HTTP error: Transfer-Encoding not supported");
}

TEST_F(Synthetic, BadUrlFailsAtOnceWithoutConnecting) {
  config.url = "http://bad host/";
  Driver driver(config, sink);
  EXPECT_TRUE(driver.session.start(driver.now));
  driver.drain();
  EXPECT_EQ(driver.count(PullAction::connect), 0);
  EXPECT_EQ(driver.finished().error, -1);
  EXPECT_NE(driver.finished().message.find("bad update URL"), std::string::npos);
}

TEST_F(Synthetic, ChunkedBodiesAreDecodedAndEndAtTheBytesReceived) {
  Seen f = run("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(image, 1000), 333);
  EXPECT_EQ(f.result, PullResult::ok) << f.message;
  EXPECT_EQ(sink.begun_size, config.device.free_space) << "begun with the most that fits";
  EXPECT_EQ(sink.written, image);
  EXPECT_EQ(sink.ends_at_received, 1);
  for (const Seen& s : events) {
    if (s.action == PullAction::progress) {
      EXPECT_EQ(s.total, 0u) << "unknown size";
    }
  }
}

TEST_F(Synthetic, ChunkedBodyGrowingPastTheFreeSpaceIsMinus100) {
  config.device.free_space = 10000;
  Seen f = run("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(image, 1000));
  EXPECT_EQ(f.error, -100);
  EXPECT_EQ(sink.written.size(), 10000u);
  EXPECT_EQ(sink.aborts, 1);
}

TEST_F(Synthetic, BrokenChunkedFramingFails) {
  Seen f = run("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n" + image.substr(0, 16) + "XX");
  EXPECT_EQ(f.error, -7);
  EXPECT_EQ(sink.aborts, 1);
  f = run("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(image, 1000).substr(0, 5000));
  EXPECT_EQ(f.error, 6) << "closed inside the chunked body";
}

TEST_F(Synthetic, ProgressAndCallbacksComeOnceEachInOrder) {
  Driver driver(config, sink);
  driver.exchange(head_200(image.size()) + image, 4096);
  std::vector<PullAction> callbacks;
  uint32_t last_done = 0;
  for (const Seen& s : driver.events) {
    if (s.action == PullAction::progress) {
      EXPECT_GE(s.done, last_done);
      EXPECT_EQ(s.total, image.size());
      last_done = s.done;
    }
    if (s.action == PullAction::started || s.action == PullAction::finished) callbacks.push_back(s.action);
  }
  EXPECT_EQ(callbacks, (std::vector<PullAction>{PullAction::started, PullAction::finished}));
  EXPECT_EQ(last_done, image.size());
  EXPECT_EQ(driver.events.back().action, PullAction::finished);
}

TEST_F(Synthetic, StartIsRefusedWhileAPullRunsAndAbandonLeavesNothingRunning) {
  Driver driver(config, sink);
  driver.start_and_connect();
  EXPECT_FALSE(driver.session.start(driver.now));
  driver.feed(head_200(image.size()) + image.substr(0, 5000));
  driver.session.abandon();
  EXPECT_EQ(driver.session.state(), PullState::idle);
  EXPECT_EQ(sink.aborts, 1);
  PullEvent e;
  EXPECT_FALSE(driver.session.poll(&e));
  EXPECT_TRUE(driver.session.start(driver.now)) << "a new pull may follow";
}

TEST_F(Synthetic, AnotherPullAfterFinishedStartsClean) {
  Driver driver(config, sink);
  driver.exchange("HTTP/1.0 404 Not Found\r\n\r\n");
  driver.events.clear();
  driver.exchange(head_200(image.size()) + image);
  Seen f = driver.finished();
  EXPECT_EQ(f.result, PullResult::ok);
  EXPECT_EQ(f.error, 0) << "unlike the original, the last error does not stick";
  EXPECT_EQ(f.error_text, "");
}

// ---------------------------------------------------------------------------------------------
// getAvailableVersion()

TEST_F(Synthetic, VersionModeReturnsXVersionWithoutReadingABody) {
  config.mode = http::UpdateMode::version;
  config.current_version = "1.0";
  Driver driver(config, sink);
  std::string request = driver.start_and_connect();
  EXPECT_NE(request.find("x-ESP8266-mode: version\r\nx-ESP8266-version: 1.0\r\n"), std::string::npos);
  driver.feed("HTTP/1.0 200 OK\r\nx-version: 2.0.1\r\nContent-Length: 100\r\n\r\n");
  Seen f = driver.finished();
  EXPECT_EQ(f.result, PullResult::ok);
  EXPECT_EQ(f.available_version, "2.0.1");
  EXPECT_EQ(driver.count(PullAction::close), 1);
  EXPECT_EQ(sink.begins, 0);
  EXPECT_EQ(driver.count(PullAction::started), 0);
}

TEST_F(Synthetic, VersionModeWithoutXVersionIsMinus109WithTheOriginalsEmptyText) {
  config.mode = http::UpdateMode::version;
  Seen f = run("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(f.error, -109);
  EXPECT_EQ(f.error_text, "");
  EXPECT_FALSE(f.message.empty());
  EXPECT_EQ(run("HTTP/1.0 304 Not Modified\r\n\r\n").result, PullResult::no_updates);
  EXPECT_EQ(run("HTTP/1.0 403 Forbidden\r\n\r\n").error, -103);
}

TEST_F(Synthetic, A304SaysWhyNothingWasOfferedWhenTheServerTellsIt) {
  Seen f = run("HTTP/1.1 304 Not Modified\r\nx-OTAKit-withheld: already_running\r\n\r\n");
  EXPECT_EQ(f.result, PullResult::no_updates);
  EXPECT_EQ(f.withheld, "already_running");
  EXPECT_EQ(run("HTTP/1.0 304 Not Modified\r\n\r\n").withheld, "") << "the original's servers say nothing";
  EXPECT_EQ(run("HTTP/1.0 304 Not Modified\r\nx-OTAKit-withheld: " + std::string(40, 'x') + "\r\n\r\n").withheld, "")
      << "too long for the device's buffer: dropped, not cut";
}

// ---------------------------------------------------------------------------------------------
// Redirects

TEST_F(Synthetic, StrictFollowsAnAbsolutePathOnTheSameServerWithTheSameHeaders) {
  config.redirects = RedirectPolicy::strict;
  config.user = "admin";
  config.password = "secret";
  Driver driver(config, sink);
  std::string first = driver.start_and_connect();
  driver.feed("HTTP/1.0 302 Found\r\nLocation: /v2/fw.bin\r\n\r\n");
  EXPECT_EQ(driver.count(PullAction::close), 1);
  EXPECT_EQ(driver.last(PullAction::connect)->host, "updates.example");
  std::string second = driver.connect();
  std::string expected = first;
  expected.replace(4, 7, "/v2/fw.bin");
  EXPECT_EQ(second, expected) << "the same x-ESP8266-* headers and credentials on every hop";
  driver.feed(head_200(image.size()) + image);
  EXPECT_EQ(driver.finished().result, PullResult::ok);
  EXPECT_EQ(driver.session.redirects_followed(), 1);
  driver.expect_connections_balanced();
}

TEST_F(Synthetic, ForceFollows301And307ToAnotherServerWithoutTheCredentials) {
  config.redirects = RedirectPolicy::force;
  config.user = "admin";
  config.password = "secret";
  Driver driver(config, sink);
  EXPECT_NE(driver.start_and_connect().find("Authorization: Basic"), std::string::npos);
  driver.feed("HTTP/1.1 301 Moved\r\nLocation: https://cdn.example/fw.bin\r\nContent-Length: 0\r\n\r\n");
  const Seen* connect = driver.last(PullAction::connect);
  EXPECT_EQ(connect->host, "cdn.example");
  EXPECT_EQ(connect->port, 443);
  EXPECT_TRUE(connect->secure);
  std::string second = driver.connect();
  EXPECT_EQ(second.find("Authorization"), std::string::npos) << "credentials stay with their origin";
  EXPECT_NE(second.find("Host: cdn.example\r\n"), std::string::npos);
  driver.feed("HTTP/1.1 307 Temporary\r\nLocation: //mirror.example:81/x\r\nContent-Length: 0\r\n\r\n");
  EXPECT_TRUE(driver.last(PullAction::connect)->secure) << "network-path keeps https";
  driver.connect();
  driver.feed(head_200(image.size()) + image);
  EXPECT_EQ(driver.finished().result, PullResult::ok);
  EXPECT_EQ(driver.session.redirects_followed(), 2);
}

TEST_F(Synthetic, RedirectLoopStopsAtTheLimit) {
  config.redirects = RedirectPolicy::strict;
  Driver driver(config, sink);
  driver.start_and_connect();
  for (int hop = 0; hop <= 10; ++hop) {
    driver.feed("HTTP/1.0 302 Found\r\nLocation: /loop\r\n\r\n");
    if (driver.session.state() == PullState::done) break;
    driver.connect();
  }
  Seen f = driver.finished();
  EXPECT_EQ(f.error, -104);
  EXPECT_EQ(f.http_status, 302);
  EXPECT_EQ(driver.session.redirects_followed(), 10);
  EXPECT_EQ(driver.requests().size(), 11u);
  EXPECT_NE(f.message.find("limit"), std::string::npos) << f.message;
  driver.expect_connections_balanced();
}

TEST_F(Synthetic, RedirectWithoutLocationOrToSomewhereBadIsMinus104) {
  config.redirects = RedirectPolicy::strict;
  Seen f = run("HTTP/1.0 302 Found\r\n\r\n");
  EXPECT_EQ(f.error, -104);
  EXPECT_NE(f.message.find("without a Location"), std::string::npos);
  EXPECT_EQ(run("HTTP/1.0 302 Found\r\nLocation: fw2.bin\r\n\r\n").error, -104);
  EXPECT_EQ(run("HTTP/1.0 303 See Other\r\nLocation: http://a b/\r\n\r\n").error, -104);
  EXPECT_EQ(run("HTTP/1.0 308 Permanent\r\nLocation: /x\r\n\r\n").error, -104) << "308 is not followed";
}

TEST_F(Synthetic, RedirectFromHttpsToHttpIsRefused) {
  config.url = "https://secure.example/fw.bin";
  config.redirects = RedirectPolicy::force;
  Seen f = run("HTTP/1.0 302 Found\r\nLocation: http://plain.example/fw.bin\r\n\r\n");
  EXPECT_EQ(f.error, -104);
  EXPECT_NE(f.message.find("https to http"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// On a real device: what boots after each outcome, and resuming a broken download.

struct OnDevice : ::testing::Test {
  otakit::testing::Device dev;
  std::vector<uint8_t> running = otakit::testing::make_image(150000, 1);
  std::vector<uint8_t> next = otakit::testing::make_image(90000, 2);
  std::string image = as_string(next);
  std::string md5 = md5_hex(image);
  std::string sketch_md5 = md5_hex(as_string(running));
  std::unique_ptr<UpdaterSink> sink;
  PullConfig config;

  void SetUp() override {
    ASSERT_TRUE(dev.provision(running));
    dev.reboot();
    sink = std::make_unique<UpdaterSink>(*dev.updater);
    config.url = "http://updates.example/fw.bin";
    config.device.free_space = staging_capacity(dev.layout, uint32_t(running.size()));
    config.device.sketch_size = uint32_t(running.size());
    config.device.sketch_md5 = sketch_md5.c_str();
    config.device.chip_size = dev.layout.flash_size;
    config.device.sdk_version = "otakit";
    config.resume_delay_ms = 500;
  }
  std::string resumable_head(const std::string& etag = "\"v2\"") {
    return head_200(image.size(), "Accept-Ranges: bytes\r\nETag: " + etag + "\r\nx-MD5: " + md5 + "\r\n");
  }
  std::string partial_head(uint32_t from, const std::string& etag = "\"v2\"") {
    return "HTTP/1.1 206 Partial Content\r\nContent-Length: " + std::to_string(image.size() - from) +
           "\r\nContent-Range: bytes " + std::to_string(from) + "-" + std::to_string(image.size() - 1) + "/" +
           std::to_string(image.size()) + "\r\nETag: " + etag + "\r\n\r\n";
  }
  void expect_boots(const std::vector<uint8_t>& expected) {
    EXPECT_FALSE(dev.updater->is_running());
    dev.reboot();
    EXPECT_TRUE(dev.runs(expected)) << "the device boots the wrong image";
  }
  // The download breaks after `cut` bytes of the body; the resume request it then sends.
  std::string break_and_reconnect(Driver& driver, uint32_t cut) {
    driver.start_and_connect();
    driver.feed(resumable_head() + image.substr(0, cut), 1460);
    driver.close();
    EXPECT_EQ(driver.session.state(), PullState::resume_waiting);
    EXPECT_EQ(driver.count(PullAction::connect), 1);
    driver.advance(499);
    EXPECT_EQ(driver.count(PullAction::connect), 1);
    driver.advance(1);
    EXPECT_EQ(driver.count(PullAction::connect), 2);
    return driver.connect();
  }
};

TEST_F(OnDevice, ASuccessfulPullBootsTheNewImage) {
  Driver driver(config, *sink);
  driver.exchange(head_200(image.size(), "x-MD5: " + md5 + "\r\n") + image, 1460);
  EXPECT_EQ(driver.finished().result, PullResult::ok) << driver.finished().message;
  expect_boots(next);
}

TEST_F(OnDevice, AChunkedPullBootsTheNewImage) {
  Driver driver(config, *sink);
  driver.exchange("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nx-MD5: " + md5 + "\r\n\r\n" + chunked(image, 4000),
                  1460);
  EXPECT_EQ(driver.finished().result, PullResult::ok) << driver.finished().message;
  expect_boots(next);
}

TEST_F(OnDevice, EveryFailureLeavesTheRunningImage) {
  std::string bad_magic = image;
  bad_magic[0] = 0;
  std::string wrong_md5 = head_200(image.size(), "x-MD5: 00000000000000000000000000000000\r\n") + image;
  const std::string responses[] = {
      wrong_md5,
      head_200(bad_magic.size()) + bad_magic,
      head_200(image.size(), "x-MD5: abc\r\n") + image,
      head_200(image.size()) + image.substr(0, 50000),  // closed early, no ranges offered
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(image, 4000).substr(0, 40000),
      "HTTP/1.0 500 Oops\r\n\r\n",
  };
  for (const std::string& response : responses) {
    Driver driver(config, *sink);
    driver.exchange(response, 1460);
    EXPECT_EQ(driver.finished().result, PullResult::failed);
    EXPECT_FALSE(dev.updater->is_running()) << driver.finished().message;
  }
  Driver driver(config, *sink);
  std::string corrupt = image;
  corrupt[5000] ^= 1;
  driver.exchange(head_200(corrupt.size(), "x-MD5: " + md5 + "\r\n") + corrupt, 1460);
  EXPECT_EQ(driver.finished().error, 7);
  expect_boots(running);
}

TEST_F(OnDevice, ResumeWith206ContinuesTheSameUpdaterRunAndBootsTheWholeImage) {
  Driver driver(config, *sink);
  std::string resume = break_and_reconnect(driver, 30000);
  EXPECT_TRUE(dev.updater->is_running()) << "the Updater keeps the first 30000 bytes";
  EXPECT_EQ(dev.updater->progress(), 30000u);
  EXPECT_NE(resume.find("Content-Length: 0\r\nRange: bytes=30000-\r\nIf-Range: \"v2\"\r\n\r\n"), std::string::npos)
      << resume;
  driver.feed(partial_head(30000) + image.substr(30000), 1460);
  Seen f = driver.finished();
  EXPECT_EQ(f.result, PullResult::ok) << f.message;
  EXPECT_EQ(driver.session.resumes(), 1);
  EXPECT_EQ(driver.count(PullAction::started), 1);
  EXPECT_EQ(driver.last(PullAction::progress)->done, image.size());
  driver.expect_connections_balanced();
  expect_boots(next);
}

TEST_F(OnDevice, ResumeAfterABodyIdleTimeoutToo) {
  config.body_idle_timeout_ms = 3000;
  Driver driver(config, *sink);
  driver.start_and_connect();
  driver.feed(resumable_head() + image.substr(0, 12345));
  driver.advance(3000);
  EXPECT_EQ(driver.session.state(), PullState::resume_waiting);
  EXPECT_EQ(driver.count(PullAction::close), 1) << "the stalled connection is closed";
  driver.advance(500);
  EXPECT_NE(driver.connect().find("Range: bytes=12345-"), std::string::npos);
  driver.feed(partial_head(12345) + image.substr(12345));
  EXPECT_EQ(driver.finished().result, PullResult::ok);
  expect_boots(next);
}

TEST_F(OnDevice, A200ToTheRangeRequestMeansANewImageAndStartsOver) {
  std::vector<uint8_t> newer = otakit::testing::make_image(70000, 9);
  Driver driver(config, *sink);
  break_and_reconnect(driver, 40000);
  driver.feed(head_200(newer.size(), "ETag: \"v3\"\r\n") + as_string(newer), 1460);
  Seen f = driver.finished();
  EXPECT_EQ(f.result, PullResult::ok) << f.message;
  EXPECT_EQ(driver.count(PullAction::started), 1) << "onStart once per pull";
  expect_boots(newer);
}

TEST_F(OnDevice, A416OrAMismatchingRangeFailsAndKeepsTheRunningImage) {
  const std::string answers[] = {
      "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */90000\r\n\r\n",
      partial_head(20000),                 // the range starts elsewhere
      partial_head(30000, "\"v3\""),       // another image
      "HTTP/1.1 206 Partial Content\r\nContent-Length: 10\r\nContent-Range: bytes 30000-30009/90000\r\n\r\n",
  };
  for (const std::string& answer : answers) {
    Driver driver(config, *sink);
    break_and_reconnect(driver, 30000);
    driver.feed(answer);
    Seen f = driver.finished();
    EXPECT_EQ(f.error, -104) << answer;
    EXPECT_FALSE(dev.updater->is_running());
  }
  expect_boots(running);
}

TEST_F(OnDevice, ResumesStopAtTheLimit) {
  config.max_resumes = 2;
  Driver driver(config, *sink);
  break_and_reconnect(driver, 10000);
  driver.feed(partial_head(10000) + image.substr(10000, 5000));
  driver.close();
  driver.advance(500);
  EXPECT_NE(driver.connect().find("Range: bytes=15000-"), std::string::npos);
  driver.feed(partial_head(15000) + image.substr(15000, 5000));
  driver.close();
  Seen f = driver.finished();
  EXPECT_EQ(f.error, 6);
  EXPECT_EQ(driver.session.resumes(), 2);
  expect_boots(running);
}

TEST_F(OnDevice, AFailedReconnectCountsAsAResume) {
  config.max_resumes = 2;
  Driver driver(config, *sink);
  driver.start_and_connect();
  driver.feed(resumable_head() + image.substr(0, 8000));
  driver.close();
  driver.advance(500);
  driver.connect_failed();
  EXPECT_EQ(driver.session.state(), PullState::resume_waiting);
  driver.advance(500);
  driver.connect();
  driver.feed(partial_head(8000) + image.substr(8000));
  EXPECT_EQ(driver.finished().result, PullResult::ok);
  driver.expect_connections_balanced();
  expect_boots(next);
}

TEST_F(OnDevice, NoResumeWithoutByteRangesOrAnIdentity) {
  const std::string heads[] = {
      head_200(image.size(), "ETag: \"v2\"\r\n"),                          // no Accept-Ranges
      head_200(image.size(), "Accept-Ranges: bytes\r\nETag: W/\"v2\"\r\n"), // weak ETag, no MD5
      head_200(image.size(), "Accept-Ranges: none\r\nETag: \"v2\"\r\n"),
  };
  for (const std::string& head : heads) {
    Driver driver(config, *sink);
    driver.start_and_connect();
    driver.feed(head + image.substr(0, 20000));
    driver.close();
    EXPECT_EQ(driver.finished().error, 6) << head;
  }
  config.max_resumes = 0;
  Driver off(config, *sink);
  off.start_and_connect();
  off.feed(resumable_head() + image.substr(0, 20000));
  off.close();
  EXPECT_EQ(off.finished().error, 6) << "max_resumes 0 is the original's behaviour";
  expect_boots(running);
}

TEST_F(OnDevice, AnXMd5AloneIdentifiesTheImageForARangeRequestWithoutIfRange) {
  Driver driver(config, *sink);
  driver.start_and_connect();
  driver.feed(head_200(image.size(), "Accept-Ranges: bytes\r\nx-MD5: " + md5 + "\r\n") + image.substr(0, 25000));
  driver.close();
  driver.advance(500);
  std::string resume = driver.connect();
  EXPECT_NE(resume.find("Range: bytes=25000-\r\n\r\n"), std::string::npos) << resume;
  EXPECT_EQ(resume.find("If-Range"), std::string::npos);
  driver.feed("HTTP/1.1 206 Partial Content\r\nContent-Length: 65000\r\nContent-Range: bytes 25000-89999/90000\r\n\r\n" +
              image.substr(25000));
  EXPECT_EQ(driver.finished().result, PullResult::ok) << driver.finished().message;
  expect_boots(next);
}

}  // namespace
}  // namespace otakit::pull
