// Resuming a pull across a reset or power cut (docs/http.md, "Across a reset"): a device over
// emulated flash downloads part of an image from a scripted server, loses power, boots again
// with a new Updater, sink, session and store object over the same flash, and continues from
// the record the store kept; every way the record, the staged bytes or the server can disagree
// starts the pull over from byte 0 instead. The sweep at the end cuts the power at every flash
// operation of the first pull and of a resumed one.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "core/boot/placement.h"
#include "core/pull/pull_session.h"
#include "core/pull/resume_store.h"
#include "core/updater/update_sink.h"
#include "tests/core/device_fixture.h"
#include "tests/core/http_test_support.h"
#include "tests/core/pull_test_support.h"

namespace otakit::pull {
namespace {

using http::testing::md5_hex;
using testing::as_string;
using testing::chunked;
using testing::Driver;
using testing::head_200;
using testing::Seen;

constexpr const char* kUrl = "http://updates.example/fw.bin";

std::string range_of(const std::string& request) {
  size_t at = request.find("\r\nRange: bytes=");
  if (at == std::string::npos) return "";
  size_t from = at + 15, end = request.find("-\r\n", from);
  return request.substr(from, end - from);
}

struct PullAcrossReset : ::testing::Test {
  otakit::testing::Device dev;
  std::vector<uint8_t> running = otakit::testing::make_image(150000, 1);
  std::vector<uint8_t> next = otakit::testing::make_image(90000, 2);
  std::vector<uint8_t> newer = otakit::testing::make_image(70001, 9);
  std::string image = as_string(next);
  std::string md5 = md5_hex(image);
  std::string newer_md5 = md5_hex(as_string(newer));
  std::string sketch_md5 = md5_hex(as_string(running));
  std::unique_ptr<UpdaterSink> sink;
  std::unique_ptr<FlashResumeStore> store;
  PullConfig config;

  void SetUp() override {
    ASSERT_TRUE(dev.provision(running));
    power_cycle();
    config.url = kUrl;
    config.device.free_space = staging_capacity(dev.layout, uint32_t(running.size()));
    config.device.sketch_size = uint32_t(running.size());
    config.device.sketch_md5 = sketch_md5.c_str();
    config.device.chip_size = dev.layout.flash_size;
    config.device.sdk_version = "otakit";
    config.resume_delay_ms = 500;
  }
  // The power goes and comes back: everything in RAM is new, the flash is what it was.
  void power_cycle() {
    sink.reset();
    store.reset();
    dev.power_cycle();
    sink = std::make_unique<UpdaterSink>(*dev.updater);
    store = std::make_unique<FlashResumeStore>(dev.flash, dev.layout.resume_record_address());
    config.resume_store = store.get();
  }
  std::string resumable_head(const std::string& extra) {
    return head_200(image.size(), "Accept-Ranges: bytes\r\n" + extra);
  }
  std::string etag_and_md5() { return "ETag: \"v2\"\r\nx-MD5: " + md5 + "\r\n"; }
  std::string partial_head(uint32_t from, const std::string& identity = "ETag: \"v2\"\r\n") {
    return "HTTP/1.1 206 Partial Content\r\nContent-Length: " + std::to_string(image.size() - from) +
           "\r\nContent-Range: bytes " + std::to_string(from) + "-" + std::to_string(image.size() - 1) + "/" +
           std::to_string(image.size()) + "\r\n" + identity + "\r\n";
  }
  // A pull that gets `bytes` of the body (after `head`), then the power goes.
  void interrupted_pull(uint32_t bytes, const std::string& head) {
    Driver driver(config, *sink);
    driver.start_and_connect();
    driver.feed(head + image.substr(0, bytes), 1460);
    EXPECT_EQ(driver.session.state(), PullState::reading_body);
    power_cycle();
  }
  ResumeRecord stored() {
    ResumeRecord r;
    EXPECT_TRUE(store->load(&r));
    return r;
  }
  bool store_empty() {
    ResumeRecord r;
    return !store->load(&r);
  }
  void expect_boots(const std::vector<uint8_t>& expected) {
    EXPECT_FALSE(dev.updater->is_running());
    dev.reboot();
    EXPECT_TRUE(dev.runs(expected)) << "the device boots the wrong image";
  }
  // The pull after a cut at 30000 bytes, with a record that has no ETag: the Range request
  // carries no If-Range, and the 206 is known by its x-MD5.
  void resume_by_md5_and_boot() {
    Driver driver(config, *sink);
    std::string request = driver.start_and_connect();
    EXPECT_EQ(range_of(request), "28672");
    EXPECT_EQ(request.find("If-Range"), std::string::npos) << request;
    driver.feed(partial_head(28672, "x-MD5: " + md5 + "\r\n") + image.substr(28672), 1460);
    EXPECT_EQ(driver.finished().result, PullResult::ok) << driver.finished().message;
    expect_boots(next);
  }
  // Exactly one started and one finished; progress never past the total and ending on it.
  void expect_hooks_once(const Driver& driver, uint32_t total) {
    EXPECT_EQ(driver.count(PullAction::started), 1);
    EXPECT_EQ(driver.count(PullAction::finished), 1);
    bool started = false;
    for (const Seen& s : driver.events) {
      if (s.action == PullAction::started) started = true;
      if (s.action == PullAction::progress) {
        EXPECT_TRUE(started) << "progress before started";
        EXPECT_LE(s.done, total);
      }
    }
    ASSERT_NE(driver.last(PullAction::progress), nullptr);
    EXPECT_EQ(driver.last(PullAction::progress)->done, total);
  }
};

TEST_F(PullAcrossReset, TheStoreFollowsTheDurableOffsetSectorBySector) {
  Driver driver(config, *sink);
  driver.start_and_connect();
  driver.feed(resumable_head(etag_and_md5()) + image.substr(0, 4095));
  EXPECT_TRUE(store_empty()) << "nothing is on flash yet";
  driver.feed(image.substr(4095, 1));
  EXPECT_EQ(stored().offset, 4096u);
  driver.feed(image.substr(4096, 20000), 1460);
  ResumeRecord r = stored();
  EXPECT_EQ(r.offset, 20480u) << "24096 bytes: five whole sectors";
  EXPECT_EQ(r.total, image.size());
  EXPECT_STREQ(r.etag, "\"v2\"");
  EXPECT_EQ(std::string(r.md5), md5);
  EXPECT_EQ(r.command, UpdateCommand::flash);
  uint8_t url[crypto::kSha256Size];
  resume_url_hash(kUrl, url);
  EXPECT_EQ(0, std::memcmp(r.url_sha256, url, sizeof(url)));
  driver.feed(image.substr(24096), 1460);
  EXPECT_EQ(driver.finished().result, PullResult::ok) << driver.finished().message;
  EXPECT_TRUE(store_empty()) << "cleared at finished";
  expect_boots(next);
}

TEST_F(PullAcrossReset, APowerCutMidDownloadResumesAtTheLastSavedSectorAndBoots) {
  interrupted_pull(50000, resumable_head(etag_and_md5()));
  EXPECT_EQ(stored().offset, 49152u);
  EXPECT_TRUE(dev.runs(running)) << "the cut left the running image alone";
  Driver driver(config, *sink);
  std::string request = driver.start_and_connect();
  EXPECT_TRUE(dev.updater->is_running()) << "the Updater was reopened before the request";
  EXPECT_EQ(dev.updater->progress(), 49152u);
  EXPECT_NE(request.find("x-ESP8266-mode: sketch\r\n"), std::string::npos) << "the ordinary request...";
  EXPECT_NE(request.find("Content-Length: 0\r\nRange: bytes=49152-\r\nIf-Range: \"v2\"\r\n\r\n"), std::string::npos)
      << "...plus the range: " << request;
  EXPECT_EQ(driver.count(PullAction::started), 0) << "onStart waits for the server's answer";
  driver.feed(partial_head(49152) + image.substr(49152), 1460);
  Seen f = driver.finished();
  EXPECT_EQ(f.result, PullResult::ok) << f.message;
  EXPECT_EQ(driver.session.resumed_from(), 49152u);
  EXPECT_EQ(driver.session.resumes(), 0) << "no reconnection within this pull";
  expect_hooks_once(driver, uint32_t(image.size()));
  const Seen* first_progress = nullptr;
  for (const Seen& s : driver.events)
    if (s.action == PullAction::progress && !first_progress) first_progress = &s;
  ASSERT_NE(first_progress, nullptr);
  EXPECT_EQ(first_progress->done, 49152u) << "progress goes on from the resumed offset";
  EXPECT_EQ(std::string(dev.updater->md5_hex()), md5);
  EXPECT_TRUE(store_empty());
  driver.expect_connections_balanced();
  expect_boots(next);
}

TEST_F(PullAcrossReset, AnXMd5AloneIdentifiesTheImageWithoutIfRange) {
  interrupted_pull(30000, resumable_head("x-MD5: " + md5 + "\r\n"));
  EXPECT_EQ(stored().etag[0], '\0');
  resume_by_md5_and_boot();
}

// Found by fuzz_pull_session: an ETag with obs-text (legal in HTTP) was kept, and the record
// saved with it was one the store itself calls corrupt.
TEST_F(PullAcrossReset, AnETagARecordCannotHoldIsIgnoredAndTheMd5IdentifiesTheImage) {
  const std::string too_long = "\"" + std::string(kResumeMaxEtag, 'e') + "\"";
  for (const std::string& etag : {std::string("\"v\xb8\""), std::string("W/\"v2\""), std::string("\"a b\""), too_long}) {
    SCOPED_TRACE(etag);
    interrupted_pull(30000, resumable_head("ETag: " + etag + "\r\nx-MD5: " + md5 + "\r\n"));
    ResumeRecord record = stored();
    EXPECT_EQ(record.etag[0], '\0');
    EXPECT_EQ(record.offset, 28672u);
    EXPECT_TRUE(resume_record_plausible(record));
  }
  resume_by_md5_and_boot();
}

TEST_F(PullAcrossReset, AnETagARecordCannotHoldWithoutAnMd5LeavesNoRecord) {
  interrupted_pull(30000, resumable_head("ETag: \"v\xb8\"\r\n"));
  EXPECT_TRUE(store_empty());
}

TEST_F(PullAcrossReset, ACorruptNewestRecordFallsBackToTheOneBeforeAndNoneLeftStartsOver) {
  interrupted_pull(50000, resumable_head(etag_and_md5()));
  // The newest slot (the 12th record) is damaged: its CRC fails, the 11th stands.
  const uint32_t slot = dev.layout.resume_record_address() + 11 * kResumeRecordSize;
  dev.flash.bytes()[slot + 30] ^= 0x01;
  {
    Driver driver(config, *sink);
    EXPECT_EQ(range_of(driver.start_and_connect()), "45056");
    driver.session.abandon();
  }
  power_cycle();
  for (uint32_t i = 0; i < 12; ++i) dev.flash.bytes()[dev.layout.resume_record_address() + i * kResumeRecordSize + 200] ^= 0x80;
  EXPECT_TRUE(store_empty());
  Driver driver(config, *sink);
  std::string request = driver.start_and_connect();
  EXPECT_EQ(range_of(request), "") << "no intact record: a plain request";
  driver.feed(resumable_head(etag_and_md5()) + image, 1460);
  EXPECT_EQ(driver.finished().result, PullResult::ok) << driver.finished().message;
  expect_hooks_once(driver, uint32_t(image.size()));
  expect_boots(next);
}

TEST_F(PullAcrossReset, ATornRecordInRamIsIgnored) {
  RamResumeStore ram;
  config.resume_store = &ram;
  {
    Driver driver(config, *sink);
    driver.start_and_connect();
    driver.feed(resumable_head(etag_and_md5()) + image.substr(0, 20000), 1460);
    ASSERT_TRUE(ram.holds_record());
  }
  dev.power_cycle();  // (RAM does not survive one; here the test keeps it to damage it)
  sink = std::make_unique<UpdaterSink>(*dev.updater);
  ram.bytes()[kResumeRecordSize - 1] ^= 0x20;  // the CRC
  Driver driver(config, *sink);
  EXPECT_EQ(range_of(driver.start_and_connect()), "");
  driver.feed(resumable_head(etag_and_md5()) + image, 1460);
  EXPECT_EQ(driver.finished().result, PullResult::ok);
  expect_boots(next);
}

TEST_F(PullAcrossReset, ARecordForAnotherUrlIsIgnoredAndDropped) {
  interrupted_pull(50000, resumable_head(etag_and_md5()));
  config.url = "http://updates.example/other.bin";
  Driver driver(config, *sink);
  EXPECT_EQ(range_of(driver.start_and_connect()), "");
  EXPECT_FALSE(dev.updater->is_running()) << "nothing was reopened";
  EXPECT_TRUE(store_empty()) << "this pull overwrites the staging area: the old record goes";
  driver.feed(head_200(newer.size(), "x-MD5: " + newer_md5 + "\r\n") + as_string(newer), 1460);
  EXPECT_EQ(driver.finished().result, PullResult::ok) << driver.finished().message;
  expect_boots(newer);
}

TEST_F(PullAcrossReset, AServerWithoutRangesLeavesNoRecordAndAResetStartsOver) {
  interrupted_pull(50000, head_200(image.size(), etag_and_md5()));
  EXPECT_TRUE(store_empty()) << "without Accept-Ranges nothing can be resumed";
  Driver driver(config, *sink);
  EXPECT_EQ(range_of(driver.start_and_connect()), "");
  driver.feed(head_200(image.size(), etag_and_md5()) + image, 1460);
  EXPECT_EQ(driver.finished().result, PullResult::ok);
  expect_boots(next);
}

TEST_F(PullAcrossReset, A200ToTheRangeRequestStartsOverCleanly) {
  interrupted_pull(50000, resumable_head(etag_and_md5()));
  Driver driver(config, *sink);
  EXPECT_EQ(range_of(driver.start_and_connect()), "49152");
  // A server that ignores Range (or the same image anew): the whole image, from byte 0.
  driver.feed(head_200(image.size(), etag_and_md5()) + image, 1460);
  Seen f = driver.finished();
  EXPECT_EQ(f.result, PullResult::ok) << f.message;
  EXPECT_EQ(driver.session.resumed_from(), 0u);
  EXPECT_EQ(driver.requests().size(), 1u) << "the 200 itself is the new start";
  expect_hooks_once(driver, uint32_t(image.size()));
  EXPECT_TRUE(store_empty());
  expect_boots(next);
}

TEST_F(PullAcrossReset, AChangedETagStartsOverWhetherTheServerSends200Or206) {
  // A server that honours If-Range: the new image in a 200.
  interrupted_pull(50000, resumable_head(etag_and_md5()));
  {
    Driver driver(config, *sink);
    driver.start_and_connect();
    driver.feed(head_200(newer.size(), "Accept-Ranges: bytes\r\nETag: \"v3\"\r\nx-MD5: " + newer_md5 + "\r\n") +
                    as_string(newer),
                1460);
    EXPECT_EQ(driver.finished().result, PullResult::ok) << driver.finished().message;
    expect_hooks_once(driver, uint32_t(newer.size()));
    dev.updater->abort();
  }
  // One that ignores If-Range and sends a range of another image: dropped, asked again plainly.
  dev.reboot();
  EXPECT_TRUE(dev.runs(newer));
  dev.boot->confirm();
  sketch_md5 = newer_md5;
  config.device.sketch_md5 = sketch_md5.c_str();
  interrupted_pull(50000, resumable_head(etag_and_md5()));
  Driver driver(config, *sink);
  EXPECT_EQ(range_of(driver.start_and_connect()), "49152");
  driver.feed(partial_head(49152, "ETag: \"v3\"\r\n"));
  ASSERT_EQ(driver.session.state(), PullState::connecting) << "a new connection for a plain request";
  EXPECT_FALSE(dev.updater->is_running()) << "the reopened update was dropped";
  EXPECT_TRUE(store_empty());
  EXPECT_EQ(range_of(driver.connect()), "");
  driver.feed(resumable_head(etag_and_md5()) + image, 1460);
  EXPECT_EQ(driver.finished().result, PullResult::ok) << driver.finished().message;
  EXPECT_EQ(driver.requests().size(), 2u);
  expect_hooks_once(driver, uint32_t(image.size()));
  driver.expect_connections_balanced();
  expect_boots(next);
}

TEST_F(PullAcrossReset, AChangedOrMissingXMd5StartsOver) {
  const std::string answers[] = {
      partial_head(28672, "x-MD5: " + newer_md5 + "\r\n"),  // another image
      partial_head(28672, ""),                              // the image is not named
  };
  for (const std::string& answer : answers) {
    interrupted_pull(30000, resumable_head("x-MD5: " + md5 + "\r\n"));
    Driver driver(config, *sink);
    EXPECT_EQ(range_of(driver.start_and_connect()), "28672");
    driver.feed(answer);
    ASSERT_EQ(driver.session.state(), PullState::connecting) << answer;
    EXPECT_EQ(range_of(driver.connect()), "");
    driver.feed(head_200(image.size(), "x-MD5: " + md5 + "\r\n") + image, 1460);
    EXPECT_EQ(driver.finished().result, PullResult::ok) << driver.finished().message;
    expect_hooks_once(driver, uint32_t(image.size()));
    dev.updater->abort();
  }
}

TEST_F(PullAcrossReset, A416OrARangeElsewhereStartsOver) {
  const std::string answers[] = {
      "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */90000\r\n\r\n",
      partial_head(45056),
      "HTTP/1.1 206 Partial Content\r\nContent-Length: 10\r\nContent-Range: bytes 49152-49161/90000\r\nETag: "
      "\"v2\"\r\n\r\n",
  };
  for (const std::string& answer : answers) {
    interrupted_pull(50000, resumable_head(etag_and_md5()));
    Driver driver(config, *sink);
    driver.start_and_connect();
    driver.feed(answer);
    ASSERT_EQ(driver.session.state(), PullState::connecting) << answer;
    EXPECT_EQ(range_of(driver.connect()), "");
    driver.feed(resumable_head(etag_and_md5()) + image, 1460);
    EXPECT_EQ(driver.finished().result, PullResult::ok) << answer << driver.finished().message;
    expect_hooks_once(driver, uint32_t(image.size()));
    dev.updater->abort();
  }
}

TEST_F(PullAcrossReset, StagedBytesThatChangedSinceTheCutAreNotResumed) {
  interrupted_pull(50000, resumable_head(etag_and_md5()));
  uint32_t start = 0;
  ASSERT_TRUE(place_staging(dev.layout, uint32_t(running.size()), uint32_t(image.size()), &start));
  dev.flash.bytes()[start + 7000] ^= 0x01;
  Driver driver(config, *sink);
  EXPECT_EQ(range_of(driver.start_and_connect()), "");
  bool logged = false;
  for (const Seen& s : driver.events) logged |= s.text.find("not resumed: ERROR[26]") != std::string::npos &&
                                               s.text.find("differs") != std::string::npos;
  EXPECT_TRUE(logged) << "the log says why";
  driver.feed(resumable_head(etag_and_md5()) + image, 1460);
  EXPECT_EQ(driver.finished().result, PullResult::ok);
  expect_boots(next);
}

TEST_F(PullAcrossReset, ADifferentSetMd5sumIgnoresTheRecord) {
  interrupted_pull(50000, resumable_head(etag_and_md5()));
  config.md5 = newer_md5.c_str();
  Driver driver(config, *sink);
  EXPECT_EQ(range_of(driver.start_and_connect()), "");
  EXPECT_TRUE(store_empty());
}

TEST_F(PullAcrossReset, A304ToTheRangeRequestEndsThePullAndDropsTheRecord) {
  interrupted_pull(50000, resumable_head(etag_and_md5()));
  Driver driver(config, *sink);
  driver.start_and_connect();
  driver.feed("HTTP/1.0 304 Not Modified\r\n\r\n");
  EXPECT_EQ(driver.finished().result, PullResult::no_updates);
  EXPECT_EQ(driver.count(PullAction::started), 0);
  EXPECT_TRUE(store_empty());
  expect_boots(running);
}

TEST_F(PullAcrossReset, ADownloadThatBreaksOffKeepsItsRecordForTheNextPullAndAnErrorDropsIt) {
  config.max_resumes = 1;
  {
    Driver driver(config, *sink);
    driver.start_and_connect();
    driver.feed(resumable_head(etag_and_md5()) + image.substr(0, 40000), 1460);
    driver.close();
    driver.advance(500);
    driver.connect_failed();
    EXPECT_EQ(driver.finished().error, -1);
    EXPECT_FALSE(dev.updater->is_running());
  }
  EXPECT_EQ(stored().offset, 36864u) << "kept: the next pull may continue";
  {
    Driver driver(config, *sink);  // the same boot, a later pull
    EXPECT_EQ(range_of(driver.start_and_connect()), "36864");
    driver.feed("HTTP/1.0 404 Not Found\r\n\r\n");
    EXPECT_EQ(driver.finished().error, -102);
  }
  EXPECT_TRUE(store_empty()) << "the image is gone: so is the record";
  expect_boots(running);
}

TEST_F(PullAcrossReset, AFailedSaveIsLoggedOnceAndThePullGoesOn) {
  RamResumeStore ram;
  ram.fail_saves(true);
  config.resume_store = &ram;
  Driver driver(config, *sink);
  driver.start_and_connect();
  driver.feed(resumable_head(etag_and_md5()) + image, 1460);
  EXPECT_EQ(driver.finished().result, PullResult::ok);
  int warnings = 0;
  for (const Seen& s : driver.events) warnings += s.text.find("cannot save the resume point") != std::string::npos;
  EXPECT_EQ(warnings, 1);
  expect_boots(next);
}

TEST_F(PullAcrossReset, NoRecordWithoutResumesAChunkedBodyOrInVersionMode) {
  RamResumeStore ram;
  config.resume_store = &ram;
  {
    config.max_resumes = 0;
    Driver driver(config, *sink);
    driver.start_and_connect();
    driver.feed(resumable_head(etag_and_md5()) + image.substr(0, 30000), 1460);
    EXPECT_EQ(ram.saves(), 0u);
    driver.session.abandon();
    config.max_resumes = 3;
  }
  {
    Driver driver(config, *sink);
    driver.start_and_connect();
    driver.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nAccept-Ranges: bytes\r\nETag: \"v2\"\r\n\r\n" +
                    chunked(image, 4000).substr(0, 30000),
                1460);
    EXPECT_EQ(ram.saves(), 0u);
    driver.session.abandon();
  }
  {
    Driver driver(config, *sink);
    driver.start_and_connect();
    driver.feed(resumable_head(etag_and_md5()) + image.substr(0, 9000), 1460);
    driver.session.abandon();
  }
  ASSERT_TRUE(ram.holds_record()) << "abandon() is a shutdown: the record stays";
  config.mode = http::UpdateMode::version;
  uint32_t clears = ram.clears();
  Driver driver(config, *sink);
  EXPECT_EQ(range_of(driver.start_and_connect()), "");
  driver.feed("HTTP/1.0 200 OK\r\nx-version: 2.0\r\n\r\n");
  EXPECT_EQ(driver.finished().result, PullResult::ok);
  EXPECT_TRUE(ram.holds_record()) << "a version check leaves the record alone";
  EXPECT_EQ(ram.clears(), clears);
}

// ---------------------------------------------------------------------------------------------
// The power-cut sweep: the server's transcript is fixed (200 with Accept-Ranges, ETag and x-MD5;
// 206 for a range request that names "v2"; 304 once the device runs the new image), the image is
// 90001 bytes (21 sectors: the store's 16 slots wrap once), and the power is cut at one flash
// operation of the first pull (every one, clean and torn), then, for some of those cuts, again at
// every operation of the resumed pull. After each cut the device boots the old image, or the new
// one once the Updater had staged it; then it pulls again until the new image is staged, which
// must be byte for byte the image with its MD5, and it boots it.

struct PullResumePowerCut : ::testing::Test {
  const std::vector<uint8_t> old_image = otakit::testing::make_image(150000, 1);
  const std::vector<uint8_t> new_image = otakit::testing::make_image(90001, 2);
  const std::string image = as_string(new_image);
  const std::string md5 = md5_hex(image);
  const std::string old_md5 = md5_hex(as_string(old_image));
  std::vector<uint8_t> provisioned;

  struct Save {
    uint32_t offset;
    uint64_t ops_before, ops_after;  // mutating flash operations since the pull began
  };
  // Forwards to the device's flash store and notes when each save happened.
  struct RecordingStore final : ResumeStore {
    FlashResumeStore inner;
    posix::EmulatedFlash& flash;
    uint64_t base;
    std::vector<Save>* saves;
    RecordingStore(posix::EmulatedFlash& f, uint32_t address, std::vector<Save>* s)
        : inner(f, address), flash(f), base(f.mutating_operations()), saves(s) {}
    bool load(ResumeRecord* out) override { return inner.load(out); }
    bool save(const ResumeRecord& r) override {
      uint64_t before = flash.mutating_operations() - base;
      bool ok = inner.save(r);
      if (ok && saves) saves->push_back({r.offset, before, flash.mutating_operations() - base});
      return ok;
    }
    bool clear() override { return inner.clear(); }
  };

  struct PullRun {
    bool cut = false;
    PullResult result = PullResult::failed;
    std::string message;
    std::string first_range;  // of the first request: "" for a plain one
    uint64_t operations = 0;  // mutating flash operations it made
    int started = 0, finished = 0;
    std::vector<Save> saves;
  };

  std::unique_ptr<otakit::testing::Device> device(const std::vector<uint8_t>& flash_bytes) {
    auto dev = std::make_unique<otakit::testing::Device>("1M");
    dev->flash.bytes() = flash_bytes;
    dev->power_cycle();
    return dev;
  }

  void SetUp() override {
    auto dev = std::make_unique<otakit::testing::Device>("1M");
    ASSERT_TRUE(dev->provision(old_image));
    provisioned = dev->flash.bytes();
  }

  std::string answer(const std::string& request) const {
    if (request.find("x-ESP8266-sketch-md5: " + md5 + "\r\n") != std::string::npos)
      return "HTTP/1.0 304 Not Modified\r\n\r\n";
    std::string range = range_of(request);
    if (!range.empty() && request.find("If-Range: \"v2\"\r\n") != std::string::npos) {
      uint32_t from = uint32_t(std::stoul(range));
      return "HTTP/1.1 206 Partial Content\r\nContent-Length: " + std::to_string(image.size() - from) +
             "\r\nContent-Range: bytes " + range + "-" + std::to_string(image.size() - 1) + "/" +
             std::to_string(image.size()) + "\r\nETag: \"v2\"\r\n\r\n" + image.substr(from);
    }
    return head_200(image.size(), "Accept-Ranges: bytes\r\nETag: \"v2\"\r\nx-MD5: " + md5 + "\r\n") + image;
  }

  // One pull on `dev` as it booted, with the power cut at its `cut_at`-th flash operation
  // (UINT64_MAX: none). Stops driving the session the moment the power is gone.
  PullRun pull(otakit::testing::Device& dev, uint64_t cut_at, posix::TornMode mode) {
    PullRun run;
    UpdaterSink sink(*dev.updater);
    RecordingStore store(dev.flash, dev.layout.resume_record_address(), &run.saves);
    const uint64_t base = dev.flash.mutating_operations();
    if (cut_at != UINT64_MAX) dev.flash.cut_power_at(cut_at, mode, uint32_t(cut_at * 7 + 1));
    std::string sketch_md5 = dev.runs(new_image) ? md5 : old_md5;
    PullConfig config;
    config.url = kUrl;
    config.device.free_space = staging_capacity(dev.layout, dev.boot->state().active.size);
    config.device.sketch_size = dev.boot->state().active.size;
    config.device.sketch_md5 = sketch_md5.c_str();
    config.device.chip_size = dev.layout.flash_size;
    config.device.sdk_version = "otakit";
    config.resume_store = &store;
    Driver driver(config, sink);
    driver.session.start(driver.now);
    driver.drain();
    bool first = true;
    while (!dev.flash.power_lost() && driver.session.state() == PullState::connecting) {
      std::string request = driver.connect();
      if (first) run.first_range = range_of(request);
      first = false;
      std::string response = answer(request);
      for (size_t at = 0; at < response.size() && !dev.flash.power_lost() &&
                          driver.session.state() != PullState::done && driver.session.state() != PullState::connecting;
           at += 1460) {
        driver.session.on_data(reinterpret_cast<const uint8_t*>(response.data() + at),
                               std::min<size_t>(1460, response.size() - at), driver.now);
        driver.drain();
      }
      if (!dev.flash.power_lost() && driver.session.state() == PullState::reading_body) driver.close();
    }
    run.operations = dev.flash.mutating_operations() - base;
    run.cut = dev.flash.power_lost();
    run.started = driver.count(PullAction::started);
    run.finished = driver.count(PullAction::finished);
    if (!run.cut && run.finished == 1) {
      run.result = driver.last(PullAction::finished)->result;
      run.message = driver.last(PullAction::finished)->message;
      if (run.result == PullResult::ok) {
        // The staged image, byte for byte, with the MD5 the Updater computed.
        EXPECT_EQ(std::string(dev.updater->md5_hex()), md5);
        const uint8_t* staged = dev.flash.bytes().data() + dev.updater->staged_address();
        EXPECT_EQ(0, std::memcmp(staged, new_image.data(), new_image.size())) << "the staged image differs";
      }
    }
    return run;
  }

  // The offset a resume after a cut at `cut` must reach at least: the last save that was whole
  // before it, unless the cut hit the save that erased the store's sector.
  static uint32_t guaranteed(const std::vector<Save>& saves, uint64_t cut) {
    uint32_t offset = 0;
    for (const Save& s : saves) {
      if (s.ops_after <= cut) offset = s.offset;
      else if (s.ops_before <= cut) return s.ops_after - s.ops_before > 1 ? 0 : offset;
    }
    return offset;
  }

  // After a cut: the device boots an image byte-equal to the old or (once staged) the new one.
  void expect_boots_whole_image(otakit::testing::Device& dev, const char* when) {
    EXPECT_TRUE(dev.runs(old_image) || dev.runs(new_image)) << when << ": the device boots neither image";
  }

  // Pulls (without cuts) until the new image runs; each pull must end ok or, once the device
  // runs the new image, with 304.
  void finish_update(otakit::testing::Device& dev, const std::string& where) {
    for (int attempt = 0; attempt < 2 && !dev.runs(new_image); ++attempt) {
      PullRun run = pull(dev, UINT64_MAX, posix::TornMode::clean);
      ASSERT_EQ(run.finished, 1) << where;
      ASSERT_EQ(run.started, 1) << where;
      ASSERT_EQ(run.result, PullResult::ok) << where << ": " << run.message;
      dev.reboot();
    }
    ASSERT_TRUE(dev.runs(new_image)) << where;
    PullRun after = pull(dev, UINT64_MAX, posix::TornMode::clean);
    EXPECT_EQ(after.result, PullResult::no_updates) << where << ": " << after.message;
    ResumeRecord r;
    EXPECT_FALSE(FlashResumeStore(dev.flash, dev.layout.resume_record_address()).load(&r)) << where << ": a record is left";
  }
};

// A cut is a power cut (RTC memory lost: a staged boot command goes with it) with the cut
// operation not done, half done keeping the old bytes, or half done leaving noise; or a reset at
// that operation (the operation not done, RTC memory kept).
struct Cut {
  posix::TornMode mode;
  bool reset;
  const char* name;
};
constexpr Cut kCuts[] = {{posix::TornMode::clean, false, "power cut"},
                         {posix::TornMode::keep_rest, false, "power cut, torn, old bytes kept"},
                         {posix::TornMode::random_rest, false, "power cut, torn, noise"},
                         {posix::TornMode::clean, true, "reset"}};

void come_back(otakit::testing::Device& dev, const Cut& cut) {
  if (cut.reset) {
    dev.flash.clear_faults();
    dev.reboot();
  } else {
    dev.power_cycle();
  }
}

TEST_F(PullResumePowerCut, ACutAtAnyOperationOfTheFirstOrTheResumedPullEndsOnTheWholeImage) {
  const char* sweep = std::getenv("OTAKIT_SWEEP");
  const bool full = sweep != nullptr && std::string(sweep) == "full";
  // The first pull without a cut: how many flash operations, and when each record was saved.
  PullRun probe;
  {
    auto dev = device(provisioned);
    probe = pull(*dev, UINT64_MAX, posix::TornMode::clean);
    ASSERT_EQ(probe.result, PullResult::ok) << probe.message;
    ASSERT_EQ(probe.saves.size(), 21u) << "one record per sector but the last";
    EXPECT_EQ(probe.saves.back().ops_after - probe.saves.back().ops_before, 1u);
    EXPECT_EQ(probe.saves[16].ops_after - probe.saves[16].ops_before, 2u) << "the 17th record erases the sector";
  }
  int resumed = 0, started_over = 0, already_staged = 0, second_cuts = 0, sampled = 0;
  for (uint64_t at = 0; at < probe.operations; ++at) {
    for (const Cut& cut : kCuts) {
      std::string where = std::string(cut.name) + " at operation " + std::to_string(at) + " of " +
                          std::to_string(probe.operations);
      auto dev = device(provisioned);
      PullRun first = pull(*dev, at, cut.mode);
      ASSERT_TRUE(first.cut) << where;
      come_back(*dev, cut);
      expect_boots_whole_image(*dev, where.c_str());
      const bool staged = dev->runs(new_image);
      EXPECT_TRUE(!staged || cut.reset) << where << ": a power cut loses the boot command, so the old image boots";
      const std::vector<uint8_t> after_cut = dev->flash.bytes();
      PullRun second = pull(*dev, UINT64_MAX, posix::TornMode::clean);
      ASSERT_EQ(second.finished, 1) << where;
      if (staged) {
        ++already_staged;
        EXPECT_EQ(second.result, PullResult::no_updates) << where << ": " << second.message;
      } else {
        ASSERT_EQ(second.result, PullResult::ok) << where << ": " << second.message;
        EXPECT_EQ(second.started, 1) << where;
        uint32_t at_least = guaranteed(probe.saves, at);
        uint32_t from = second.first_range.empty() ? 0 : uint32_t(std::stoul(second.first_range));
        EXPECT_GE(from, at_least) << where << ": the resume lost whole saved sectors";
        bool a_saved_offset = from == 0;
        for (const Save& s : probe.saves) a_saved_offset |= s.offset == from;
        EXPECT_TRUE(a_saved_offset) << where << ": resumed at " << from;
        (from > 0 ? resumed : started_over)++;
        dev->reboot();
      }
      finish_update(*dev, where);

      // For some of these cuts, cut again at every operation of the resumed pull.
      bool sample = !staged && !second.first_range.empty() && cut.mode == posix::TornMode::keep_rest &&
                    (full || at % 9 == 4);
      if (!sample) continue;
      ++sampled;
      for (uint64_t again = 0; again < second.operations; ++again) {
        for (size_t variant = 0; variant < std::size(kCuts); ++variant) {
          // Sampled: noise at every operation, each other kind at every third.
          const Cut& cut2 = kCuts[variant];
          if (!full && cut2.mode != posix::TornMode::random_rest && again % 3 != variant % 3) continue;
          std::string where2 = where + ", then a " + cut2.name + " at operation " + std::to_string(again) +
                               " of the resumed pull's " + std::to_string(second.operations);
          auto again_dev = device(after_cut);
          PullRun cut_again = pull(*again_dev, again, cut2.mode);
          ASSERT_TRUE(cut_again.cut) << where2;
          come_back(*again_dev, cut2);
          expect_boots_whole_image(*again_dev, where2.c_str());
          finish_update(*again_dev, where2);
          ++second_cuts;
        }
      }
    }
  }
  std::printf("[ sweep ] pull resume: %llu flash operations in the first pull, %d resumed, %d started over, "
              "%d already staged; %d cuts in %d resumed pulls%s\n",
              (unsigned long long)probe.operations, resumed, started_over, already_staged, second_cuts, sampled,
              full ? " (every one)" : " (sampled)");
  EXPECT_GT(resumed, 2 * int(probe.operations)) << "most cuts must resume";
  EXPECT_GT(started_over, 0) << "cuts before the first record start over";
  EXPECT_GT(already_staged, 0) << "a reset after end() finds the image staged";
  EXPECT_GT(second_cuts, 100);
}

}  // namespace
}  // namespace otakit::pull
