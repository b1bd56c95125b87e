// The update rule: every path of decide_update.
#include <gtest/gtest.h>

#include "server/fleet/decision.h"

using namespace otakit::server;

namespace {

CheckReport report() {
  CheckReport r;
  r.sta_mac = "18:FE:34:AA:BB:CC";
  r.free_space = 500000;
  r.sketch_md5 = "00000000000000000000000000000001";
  r.chip_size = 4194304;
  return r;
}

Firmware firmware() {
  Firmware f;
  f.id = 7;
  f.md5 = "0000000000000000000000000000000f";
  f.size = 300000;
  f.name = "app.bin";
  f.version = "2.0";
  f.flash_size = 1048576;
  f.security_version = 3;
  return f;
}

Decision decide(const CheckReport& r, const Firmware* f, uint32_t ran = 0, bool enforce = false) {
  Target t;
  t.firmware = f;
  t.source = "test";
  return decide_update(DecisionInputs{r, ran, enforce}, t);
}

TEST(Decision, NoTargetIsNotModified) {
  const Decision d = decide(report(), nullptr);
  EXPECT_EQ(d.answer, Answer::not_modified);
  EXPECT_EQ(d.why, Withheld::no_target);
  EXPECT_FALSE(d.incompatible());
}

TEST(Decision, ANewImageThatFitsIsOffered) {
  const Firmware f = firmware();
  const Decision d = decide(report(), &f);
  EXPECT_EQ(d.answer, Answer::offer);
  EXPECT_EQ(d.why, Withheld::none);
  EXPECT_NE(d.reason.find("app.bin"), std::string::npos);
}

TEST(Decision, TheSameMd5IsNotModified) {
  const Firmware f = firmware();
  CheckReport r = report();
  r.sketch_md5 = f.md5;
  EXPECT_EQ(decide(r, &f).why, Withheld::already_running);
}

TEST(Decision, TheSameVersionOnBothSidesIsNotModified) {
  const Firmware f = firmware();
  CheckReport r = report();
  r.version = "2.0";
  EXPECT_EQ(decide(r, &f).why, Withheld::same_version);
}

TEST(Decision, AVersionOnOneSideOnlyFallsBackToTheMd5) {
  Firmware f = firmware();
  f.version = "";
  CheckReport r = report();
  r.version = "2.0";
  EXPECT_EQ(decide(r, &f).answer, Answer::offer);
  f.version = "2.0";
  r.version = "";
  EXPECT_EQ(decide(r, &f).answer, Answer::offer);
}

TEST(Decision, AnImageLargerThanTheFreeSpaceIsWithheld) {
  const Firmware f = firmware();
  CheckReport r = report();
  r.free_space = static_cast<uint32_t>(f.size - 1);
  const Decision d = decide(r, &f);
  EXPECT_EQ(d.why, Withheld::too_large);
  EXPECT_TRUE(d.incompatible());
  r.free_space = static_cast<uint32_t>(f.size);
  EXPECT_EQ(decide(r, &f).answer, Answer::offer) << "exactly the free space fits";
}

TEST(Decision, AnImageForALargerFlashIsWithheld) {
  const Firmware f = firmware();
  CheckReport r = report();
  r.chip_size = 524288;
  const Decision d = decide(r, &f);
  EXPECT_EQ(d.why, Withheld::wrong_flash);
  EXPECT_TRUE(d.incompatible());
}

TEST(Decision, ADowngradeIsWithheldOnlyInASignedFleet) {
  const Firmware f = firmware();
  EXPECT_EQ(decide(report(), &f, 4, true).why, Withheld::downgrade);
  EXPECT_EQ(decide(report(), &f, 4, false).answer, Answer::offer);
  EXPECT_EQ(decide(report(), &f, 3, true).answer, Answer::offer) << "the same security version is no downgrade";
}

TEST(Decision, AFilesystemRequestGetsOnlyAFilesystemImage) {
  Firmware f = firmware();
  CheckReport r = report();
  r.mode = CheckReport::Mode::spiffs;
  EXPECT_EQ(decide(r, &f).why, Withheld::wrong_kind);
  f.kind = ImageKind::spiffs;
  EXPECT_EQ(decide(r, &f).answer, Answer::offer);
  r.mode = CheckReport::Mode::sketch;
  EXPECT_EQ(decide(r, &f).why, Withheld::wrong_kind);
}

TEST(Decision, AVersionQueryIsDecidedLikeASketchCheck) {
  const Firmware f = firmware();
  CheckReport r = report();
  r.mode = CheckReport::Mode::version;
  EXPECT_EQ(decide(r, &f).answer, Answer::offer);
  r.sketch_md5 = f.md5;
  EXPECT_EQ(decide(r, &f).why, Withheld::already_running);
}

TEST(Decision, EveryReasonHasAName) {
  for (int i = 0; i <= static_cast<int>(Withheld::wrong_kind); ++i)
    EXPECT_STRNE(to_string(static_cast<Withheld>(i)), "unknown");
}

}  // namespace
