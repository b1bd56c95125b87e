// FleetStore on both engines: registration, targets, rollouts counted by post-boot health,
// operators' commands, history, tokens, and two connections counting at once.
#include <gtest/gtest.h>

#include <thread>

#include "server/store/fleet_store.h"
#include "server/store/migrations.h"
#include "tests/server/engines.h"
#include "tests/server/server_test_support.h"

using namespace otakit::server;

namespace {

constexpr const char* kOldMd5 = "0000000000000000000000000000000a";

Firmware firmware(const std::string& md5, const std::string& version, uint32_t security_version = 0) {
  Firmware f;
  f.sha256 = std::string(64 - md5.size(), '0') + md5;
  f.md5 = md5;
  f.running_md5 = md5;
  f.size = 300000;
  f.name = "app-" + version + ".bin";
  f.version = version;
  f.security_version = security_version;
  f.flash_size = 1048576;
  return f;
}

class FleetStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    url_ = test::fresh_database_url(GetParam());
    db_ = open_database(url_);
    migrate(*db_, fleet_migrations());
    store_ = std::make_unique<FleetStore>(*db_, "test");
    old_ = store_->add_firmware(firmware(kOldMd5, "1.0", 1), now_);
    new_ = store_->add_firmware(firmware("0000000000000000000000000000000b", "2.0", 2), now_);
  }

  CheckOutcome check(int device, const std::string& md5, const CheckPolicy& policy = {}) {
    return store_->record_check(test::device_check(device, md5), ++now_, policy);
  }
  std::string mac(int device) { return test::device_check(device, kOldMd5).sta_mac; }
  void register_devices(int n) {
    for (int i = 0; i < n; ++i) check(i, kOldMd5);
  }
  // One device through the whole update: offered, downloaded, back on the new image.
  void update(int device) {
    ASSERT_EQ(check(device, kOldMd5).decision.answer, Answer::offer) << device;
    const CheckOutcome offer = check(device, kOldMd5);
    store_->record_download(mac(device), new_.id, offer.rollout_id, 0, new_.size, true, ++now_);
    check(device, new_.md5);
  }
  int64_t create(const std::string& stages, const std::string& error = "20%", bool approval = false) {
    RolloutSpec spec;
    spec.name = "test";
    spec.firmware_id = new_.id;
    spec.cumulative_percent = parse_stage_percentages(stages).cumulative_percent;
    spec.error = *parse_threshold(error, nullptr);
    spec.approval_required = approval;
    return store_->create_rollout(spec, ++now_);
  }
  std::vector<int> offered(int n) {
    std::vector<int> who;
    for (int i = 0; i < n; ++i)
      if (check(i, kOldMd5).decision.answer == Answer::offer) who.push_back(i);
    return who;
  }

  std::string url_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<FleetStore> store_;
  Firmware old_, new_;
  int64_t now_ = 1'700'000'000'000;
};

TEST_P(FleetStoreTest, AFirstCheckRegistersTheDevice) {
  const CheckOutcome first = check(1, kOldMd5);
  EXPECT_TRUE(first.first_check);
  EXPECT_EQ(first.decision.why, Withheld::no_target);
  EXPECT_FALSE(check(1, kOldMd5).first_check);
  const auto d = store_->device(mac(1));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->checks, 2);
  EXPECT_EQ(d->running_md5, kOldMd5);
  EXPECT_EQ(d->running_version, "1.0") << "the catalog knows the running image";
  EXPECT_EQ(d->max_security_version, 1u);
  EXPECT_EQ(d->chip_size, 4194304u);
  EXPECT_LT(d->first_seen, d->last_seen);
  EXPECT_EQ(store_->count_history(mac(1)), 2);
}

TEST_P(FleetStoreTest, TheFleetTargetIsOfferedUntilTheDeviceRunsIt) {
  register_devices(1);
  store_->set_target("*", new_.id, ++now_);
  const CheckOutcome o = check(0, kOldMd5);
  ASSERT_EQ(o.decision.answer, Answer::offer);
  EXPECT_EQ(o.firmware->id, new_.id);
  EXPECT_EQ(o.rollout_id, 0);
  EXPECT_EQ(check(0, new_.md5).decision.why, Withheld::already_running);
}

TEST_P(FleetStoreTest, TheNewestAssignmentWins) {
  register_devices(2);
  ASSERT_TRUE(store_->set_device_group(mac(0), "lab", ++now_));
  store_->set_target("*", new_.id, ++now_);
  store_->set_target("group:lab", old_.id, ++now_);
  EXPECT_EQ(check(0, new_.md5).firmware->id, old_.id) << "the group's newer target";
  EXPECT_EQ(check(1, kOldMd5).firmware->id, new_.id);
  store_->set_target("*", new_.id, ++now_);
  EXPECT_EQ(check(0, kOldMd5).firmware->id, new_.id) << "the fleet's target set after the group's";
}

TEST_P(FleetStoreTest, ADowngradeIsWithheldInASignedFleet) {
  check(0, new_.md5);  // it ran security version 2
  store_->set_target("*", old_.id, ++now_);
  EXPECT_EQ(check(0, new_.md5, CheckPolicy{true}).decision.why, Withheld::downgrade);
  EXPECT_EQ(check(0, new_.md5, CheckPolicy{false}).decision.answer, Answer::offer);
}

TEST_P(FleetStoreTest, StagesStartInOrderAsDevicesComeBackUpdated) {
  register_devices(10);
  const int64_t id = create("10%,50%,100%");
  auto view = store_->rollout(id);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->stages[0].counts.targets, 1u);
  EXPECT_EQ(view->stages[1].counts.targets, 4u);
  EXPECT_EQ(view->stages[2].counts.targets, 5u);
  const std::vector<int> first = offered(10);
  ASSERT_EQ(first.size(), 1u) << "only the first stage is offered the image";
  update(first[0]);
  view = store_->rollout(id);
  EXPECT_EQ(view->stages[0].counts.updated, 1u);
  EXPECT_EQ(view->status.current_stage, 1u);
  std::vector<int> second;
  for (int i : offered(10))
    if (i != first[0]) second.push_back(i);
  EXPECT_EQ(second.size(), 4u);
  for (int i : second) update(i);
  EXPECT_EQ(store_->rollout(id)->status.current_stage, 2u);
  for (int i = 0; i < 10; ++i)
    if (store_->device(mac(i))->running_md5 != new_.md5) update(i);
  view = store_->rollout(id);
  EXPECT_EQ(view->status.state, RolloutState::finished);
  for (const StageView& s : view->stages) EXPECT_EQ(s.counts.updated, s.counts.targets);
  EXPECT_EQ(check(first[0], new_.md5).decision.why, Withheld::already_running) << "a finished rollout keeps its target";
}

TEST_P(FleetStoreTest, ADeviceBackOnItsOldImageAfterADownloadCountsAsFailed) {
  register_devices(10);
  const int64_t id = create("10%,100%", "1");
  const std::vector<int> first = offered(10);
  ASSERT_EQ(first.size(), 1u);
  const CheckOutcome offer = check(first[0], kOldMd5);
  store_->record_download(mac(first[0]), new_.id, id, 0, new_.size, true, ++now_);
  const CheckOutcome back = check(first[0], kOldMd5);  // the new image failed its post-boot check
  EXPECT_EQ(back.outcomes_failed, 1);
  const auto view = store_->rollout(id);
  EXPECT_EQ(view->stages[0].counts.failed, 1u);
  EXPECT_EQ(view->status.state, RolloutState::stopped) << "the error threshold of 1 stops it";
  EXPECT_TRUE(offered(10).empty()) << "a stopped rollout offers nothing";
  bool saw_rolled_back = false;
  for (const HistoryEntry& h : store_->history(mac(first[0])))
    saw_rolled_back |= h.event == "failed" && h.detail.find("old image") != std::string::npos;
  EXPECT_TRUE(saw_rolled_back);
  (void)offer;
}

TEST_P(FleetStoreTest, AnOtakitDeviceThatRolledBackCountsAsFailed) {
  register_devices(1);
  const int64_t id = create("100%", "100%");
  ASSERT_EQ(check(0, kOldMd5).decision.answer, Answer::offer);
  store_->record_download(mac(0), new_.id, id, 0, new_.size, true, ++now_);
  CheckReport back = test::device_check(0, kOldMd5);
  back.image = otakit::http::ImageState::rolled_back;
  EXPECT_EQ(store_->record_check(back, ++now_, {}).outcomes_failed, 1);
  EXPECT_EQ(store_->rollout(id)->stages[0].counts.failed, 1u);
}

TEST_P(FleetStoreTest, AnOtakitDeviceBackWithoutARollbackNeverInstalledAndIsOfferedAgain) {
  register_devices(1);
  const int64_t id = create("100%", "100%");
  CheckReport report = test::device_check(0, kOldMd5);
  report.image = otakit::http::ImageState::confirmed;
  for (int attempt = 1; attempt <= 10; ++attempt) {  // a power cut before each install finished
    const CheckOutcome o = store_->record_check(report, ++now_, {});
    ASSERT_EQ(o.decision.answer, Answer::offer) << "attempt " << attempt;
    EXPECT_EQ(o.outcomes_failed, 0);
    store_->record_download(mac(0), new_.id, id, 0, new_.size, true, ++now_);
  }
  EXPECT_EQ(store_->rollout(id)->stages[0].counts.failed, 0u);
  int retries = 0;
  for (const HistoryEntry& h : store_->history(mac(0), 100)) retries += h.event == "retry";
  EXPECT_EQ(retries, 9);
  const CheckOutcome last = store_->record_check(report, ++now_, {});
  EXPECT_EQ(last.outcomes_failed, 1) << "after ten offers it gives up: the device may refuse the image itself";
  EXPECT_NE(last.decision.answer, Answer::offer);
}

TEST_P(FleetStoreTest, ACutDownloadIsNotAnOutcome) {
  register_devices(1);
  const int64_t id = create("100%");
  ASSERT_EQ(check(0, kOldMd5).decision.answer, Answer::offer);
  store_->record_download(mac(0), new_.id, id, 0, 1000, false, ++now_);
  EXPECT_EQ(check(0, kOldMd5).decision.answer, Answer::offer) << "it asks again and is offered again";
  EXPECT_EQ(store_->rollout(id)->stages[0].counts.failed, 0u);
}

TEST_P(FleetStoreTest, ADeviceWithoutRoomCountsAsFailedWithTheReason) {
  register_devices(1);
  const int64_t id = create("100%", "100%");
  CheckReport small = test::device_check(0, kOldMd5);
  small.free_space = 1000;
  const CheckOutcome o = store_->record_check(small, ++now_, {});
  EXPECT_EQ(o.decision.why, Withheld::too_large);
  EXPECT_EQ(store_->rollout(id)->stages[0].counts.failed, 1u);
}

TEST_P(FleetStoreTest, ApprovalPauseResumeAndCancel) {
  register_devices(4);
  const int64_t id = create("100%", "100%", true);
  EXPECT_TRUE(offered(4).empty()) << "waiting for approval";
  EXPECT_FALSE(store_->command_rollout(id, RolloutCommand::resume, ++now_)->ok);
  ASSERT_TRUE(store_->command_rollout(id, RolloutCommand::approve, ++now_)->ok);
  const std::vector<int> started = offered(1);
  ASSERT_EQ(started.size(), 1u);
  ASSERT_TRUE(store_->command_rollout(id, RolloutCommand::pause, ++now_)->ok);
  std::vector<int> while_paused;
  for (int i = 1; i < 4; ++i)
    if (check(i, kOldMd5).decision.answer == Answer::offer) while_paused.push_back(i);
  EXPECT_TRUE(while_paused.empty()) << "pausing holds back devices not yet offered";
  EXPECT_EQ(check(0, kOldMd5).decision.answer, Answer::offer) << "an offered device may finish";
  ASSERT_TRUE(store_->command_rollout(id, RolloutCommand::resume, ++now_)->ok);
  EXPECT_EQ(offered(4).size(), 4u);
  ASSERT_TRUE(store_->command_rollout(id, RolloutCommand::cancel, ++now_)->ok);
  EXPECT_TRUE(offered(4).empty());
  const auto refused = store_->command_rollout(id, RolloutCommand::resume, ++now_);
  EXPECT_FALSE(refused->ok);
  EXPECT_FALSE(refused->error.empty());
  EXPECT_FALSE(store_->command_rollout(999, RolloutCommand::pause, ++now_).has_value());
}

TEST_P(FleetStoreTest, ARollbackOffersTheOldImageToTheDevicesThatGotTheNewOne) {
  register_devices(3);
  const int64_t id = create("100%", "100%");
  update(0);
  update(1);
  ASSERT_EQ(store_->rollback_firmware(id), old_.id);
  RolloutSpec spec;
  spec.firmware_id = old_.id;
  spec.rollback_of = id;
  spec.name = "rollback";
  ASSERT_TRUE(store_->command_rollout(id, RolloutCommand::cancel, ++now_)->ok);
  const int64_t rollback = store_->create_rollout(spec, ++now_);
  EXPECT_EQ(store_->rollout(rollback)->stages[0].counts.targets, 2u);
  EXPECT_EQ(check(0, new_.md5).firmware->id, old_.id);
  EXPECT_EQ(check(2, kOldMd5).decision.why, Withheld::no_target) << "device 2 never left the old image";
}

TEST_P(FleetStoreTest, EveryCheckOfferAndDownloadIsInTheHistory) {
  register_devices(1);
  store_->set_target("*", new_.id, ++now_);
  for (int i = 0; i < 5; ++i) check(0, kOldMd5);
  store_->record_download(mac(0), new_.id, 0, 0, new_.size, true, ++now_);
  const auto history = store_->history(mac(0), 100);
  int checks = 0, offers = 0, downloads = 0;
  for (const HistoryEntry& h : history) {
    checks += h.event == "check";
    offers += h.event == "offer";
    downloads += h.event == "download";
    EXPECT_EQ(h.instance, "test");
  }
  EXPECT_EQ(checks, 1);
  EXPECT_EQ(offers, 5);
  EXPECT_EQ(downloads, 1);
}

TEST_P(FleetStoreTest, FiltersSelectDevices) {
  register_devices(6);
  store_->set_device_group(mac(0), "lab", ++now_);
  store_->set_device_group(mac(1), "lab", ++now_);
  store_->set_device_tags(mac(1), {"door", "a_b"}, ++now_);
  store_->set_device_tags(mac(2), {"axb"}, ++now_);
  check(3, new_.md5);
  DeviceFilter f;
  f.group = "lab";
  EXPECT_EQ(store_->count_devices(f), 2);
  f = {};
  f.tag = "a_b";
  EXPECT_EQ(store_->count_devices(f), 1) << "'_' in a tag is a literal, not a wildcard";
  f = {};
  f.version = "2.0";
  EXPECT_EQ(store_->count_devices(f), 1);
  f = {};
  f.chip_size = 4194304;
  EXPECT_EQ(store_->count_devices(f), 6);
  f.chip_size = 1048576;
  EXPECT_EQ(store_->count_devices(f), 0);
  f = {};
  f.seen_since = now_;
  EXPECT_EQ(store_->count_devices(f), 1);
  EXPECT_EQ(store_->list_devices({}, 2, 2).size(), 2u);
  EXPECT_EQ(store_->list_groups(), std::vector<std::string>{"lab"});
  EXPECT_FALSE(store_->set_device_group("00:00:00:00:00:01", "lab", ++now_));
}

TEST_P(FleetStoreTest, AFilteredRolloutReachesOnlyItsDevices) {
  register_devices(4);
  store_->set_device_group(mac(2), "canary", ++now_);
  RolloutSpec spec;
  spec.firmware_id = new_.id;
  spec.filter.group = "canary";
  const int64_t id = store_->create_rollout(spec, ++now_);
  EXPECT_EQ(store_->rollout(id)->stages[0].counts.targets, 1u);
  EXPECT_EQ(offered(4), std::vector<int>{2});
}

TEST_P(FleetStoreTest, UploadsAreIdempotentByContent) {
  const Firmware again = store_->add_firmware(firmware(kOldMd5, "1.0", 1), ++now_);
  EXPECT_EQ(again.id, old_.id);
  EXPECT_EQ(store_->list_firmware().size(), 2u);
}

TEST_P(FleetStoreTest, TokensAreValidUnknownExpiredOrRevoked) {
  const int64_t forever = store_->add_token("ci", std::string(64, 'a'), now_, 0);
  store_->add_token("short", std::string(64, 'b'), now_, now_ + 10);
  EXPECT_EQ(store_->check_token(std::string(64, 'a'), now_), FleetStore::TokenCheck::valid);
  EXPECT_EQ(store_->check_token(std::string(64, 'c'), now_), FleetStore::TokenCheck::unknown);
  EXPECT_EQ(store_->check_token(std::string(64, 'b'), now_ + 9), FleetStore::TokenCheck::valid);
  EXPECT_EQ(store_->check_token(std::string(64, 'b'), now_ + 10), FleetStore::TokenCheck::expired);
  EXPECT_TRUE(store_->revoke_token(forever));
  EXPECT_EQ(store_->check_token(std::string(64, 'a'), now_), FleetStore::TokenCheck::revoked);
  EXPECT_FALSE(store_->revoke_token(forever + 100)) << "no such token";
  const std::vector<TokenView> tokens = store_->list_tokens();
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[0].id, forever);
  EXPECT_EQ(tokens[0].name, "ci");
  EXPECT_EQ(tokens[0].created_at, now_);
  EXPECT_EQ(tokens[0].expires_at, 0);
  EXPECT_TRUE(tokens[0].revoked);
  EXPECT_EQ(tokens[1].name, "short");
  EXPECT_EQ(tokens[1].expires_at, now_ + 10);
  EXPECT_FALSE(tokens[1].revoked);
}

TEST_P(FleetStoreTest, EverythingSurvivesReopening) {
  register_devices(3);
  const int64_t id = create("100%", "100%");
  update(0);
  store_.reset();
  db_ = open_database(url_);
  EXPECT_TRUE(migrate(*db_, fleet_migrations()).empty());
  store_ = std::make_unique<FleetStore>(*db_, "test");
  EXPECT_EQ(store_->count_devices({}), 3);
  EXPECT_EQ(store_->rollout(id)->stages[0].counts.updated, 1u);
  EXPECT_EQ(check(1, kOldMd5).decision.answer, Answer::offer);
}

// Two connections (as two server instances) see the same devices come back updated at once:
// every outcome is counted exactly once and the rollout moves exactly as far as its counts say.
TEST_P(FleetStoreTest, TwoConnectionsCountEachOutcomeOnce) {
  constexpr int kDevices = 40;
  register_devices(kDevices);
  const int64_t id = create("50%,100%", "100%");
  for (int i = 0; i < kDevices; ++i) {
    const CheckOutcome o = check(i, kOldMd5);
    if (o.decision.answer == Answer::offer) store_->record_download(mac(i), new_.id, id, 0, new_.size, true, ++now_);
  }
  auto second_db = open_database(url_);
  FleetStore second(*second_db, "second");
  std::atomic<int> counted{0};
  auto come_back = [&](FleetStore& store, int64_t base) {
    for (int i = 0; i < kDevices; ++i) {
      for (int attempt = 0;; ++attempt) {
        try {
          counted += store.record_check(test::device_check(i, new_.md5), base + i, {}).outcomes_updated;
          break;
        } catch (const DatabaseError& e) {  // a serialization failure is retried, as the endpoint's client would
          ASSERT_LT(attempt, 20) << e.what();
        }
      }
    }
  };
  std::thread a([&] { come_back(*store_, now_ + 1000); });
  std::thread b([&] { come_back(second, now_ + 2000); });
  a.join();
  b.join();
  const auto view = store_->rollout(id);
  EXPECT_EQ(counted.load(), kDevices) << "devices already on the image count too, once";
  for (const StageView& s : view->stages) EXPECT_EQ(s.counts.updated, s.counts.targets);
  EXPECT_EQ(view->status.state, RolloutState::finished);
  int64_t updated_rows = 0;
  for (int i = 0; i < kDevices; ++i)
    for (const HistoryEntry& h : store_->history(mac(i), 1000)) updated_rows += h.event == "updated";
  EXPECT_EQ(updated_rows, kDevices) << "one history row per outcome";
  int64_t finished_events = 0;
  for (const HistoryEntry& h : store_->history("", 1000)) finished_events += h.event == "rollout_finished";
  EXPECT_EQ(finished_events, 1) << "the rollout finished once, not once per instance";
}

INSTANTIATE_TEST_SUITE_P(Engines, FleetStoreTest, ::testing::ValuesIn(test::engines()),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace

namespace {

// A signed image's file MD5 (x-MD5) differs from the MD5 a device reports once it runs it: the
// server must compare what the device reports with the latter, or it offers the image forever.
TEST_P(FleetStoreTest, ASignedImageCountsAsRunningByTheMd5DevicesReport) {
  Firmware signed_fw = firmware("0000000000000000000000000000000c", "3.0");
  signed_fw.running_md5 = "0000000000000000000000000000000d";
  const Firmware stored = store_->add_firmware(signed_fw, ++now_);
  EXPECT_EQ(stored.running_md5, signed_fw.running_md5);
  register_devices(1);
  store_->set_target("*", stored.id, ++now_);
  ASSERT_EQ(check(0, kOldMd5).decision.answer, Answer::offer);
  EXPECT_EQ(check(0, stored.running_md5).decision.why, Withheld::already_running);
  EXPECT_EQ(store_->device(mac(0))->running_version, "3.0") << "the catalog knows it by its running MD5";
}

}  // namespace
