// The rollout policy (server/rollout/rollout_policy.h): every state transition and refusal, the
// thresholds at their exact boundaries, the stage cascade, the parsers' refusals and the stage
// split, plus properties over random rules and counts.
#include "server/rollout/rollout_policy.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdio>
#include <set>

namespace otakit::server {
namespace {

using Unit = Threshold::Unit;
constexpr Threshold percent(uint32_t v) { return {Unit::percent, v}; }
constexpr Threshold count(uint32_t v) { return {Unit::count, v}; }

const RolloutState kAllStates[] = {RolloutState::waiting_for_approval, RolloutState::running,
                                   RolloutState::paused,  RolloutState::stopped,
                                   RolloutState::canceled, RolloutState::finished};

// Rules of n stages with the given success threshold and a per-stage error threshold.
RolloutRules rules_of(size_t n, Threshold success = percent(100), Threshold error = percent(50)) {
  RolloutRules rules;
  for (size_t i = 0; i < n; ++i) rules.stages.push_back({"stage" + std::to_string(i), success, false});
  rules.error = error;
  return rules;
}
RolloutStatus running_at(uint32_t stage) { return {RolloutState::running, stage}; }

// ---- names ------------------------------------------------------------------------------------

TEST(RolloutNames, StatesRoundTripAsLowercaseWords) {
  EXPECT_STREQ(to_string(RolloutState::waiting_for_approval), "waiting_for_approval");
  EXPECT_STREQ(to_string(RolloutState::running), "running");
  EXPECT_STREQ(to_string(RolloutState::paused), "paused");
  EXPECT_STREQ(to_string(RolloutState::stopped), "stopped");
  EXPECT_STREQ(to_string(RolloutState::canceled), "canceled");
  EXPECT_STREQ(to_string(RolloutState::finished), "finished");
  for (RolloutState s : kAllStates) EXPECT_EQ(rollout_state_from_string(to_string(s)), s);
  EXPECT_EQ(rollout_state_from_string("Running"), std::nullopt);
  EXPECT_EQ(rollout_state_from_string(""), std::nullopt);
  EXPECT_EQ(rollout_state_from_string("running "), std::nullopt);
}

TEST(RolloutNames, EventsRoundTrip) {
  const RolloutEvent all[] = {RolloutEvent::none, RolloutEvent::next_stage, RolloutEvent::paused_after_stage,
                              RolloutEvent::finished, RolloutEvent::emergency_stop};
  EXPECT_STREQ(to_string(RolloutEvent::none), "none");
  EXPECT_STREQ(to_string(RolloutEvent::next_stage), "next_stage");
  EXPECT_STREQ(to_string(RolloutEvent::paused_after_stage), "paused_after_stage");
  EXPECT_STREQ(to_string(RolloutEvent::finished), "finished");
  EXPECT_STREQ(to_string(RolloutEvent::emergency_stop), "emergency_stop");
  for (RolloutEvent e : all) EXPECT_EQ(rollout_event_from_string(to_string(e)), e);
  EXPECT_EQ(rollout_event_from_string("stop"), std::nullopt);
}

TEST(RolloutNames, CommandsRoundTrip) {
  const RolloutCommand all[] = {RolloutCommand::approve, RolloutCommand::pause, RolloutCommand::resume,
                                RolloutCommand::cancel};
  EXPECT_STREQ(to_string(RolloutCommand::approve), "approve");
  EXPECT_STREQ(to_string(RolloutCommand::pause), "pause");
  EXPECT_STREQ(to_string(RolloutCommand::resume), "resume");
  EXPECT_STREQ(to_string(RolloutCommand::cancel), "cancel");
  for (RolloutCommand c : all) EXPECT_EQ(rollout_command_from_string(to_string(c)), c);
  EXPECT_EQ(rollout_command_from_string("CANCEL"), std::nullopt);
}

// ---- Threshold::met -----------------------------------------------------------------------------

TEST(Threshold, PercentAtTheExactBoundary) {
  EXPECT_TRUE(percent(90).met(9, 10));
  EXPECT_FALSE(percent(90).met(8, 10));
  EXPECT_TRUE(percent(33).met(1, 3));   // 100 >= 99
  EXPECT_FALSE(percent(34).met(1, 3));  // 100 < 102
  EXPECT_TRUE(percent(100).met(10, 10));
  EXPECT_FALSE(percent(100).met(9, 10));
}

TEST(Threshold, CountAtTheExactBoundary) {
  EXPECT_TRUE(count(3).met(3, 10));
  EXPECT_FALSE(count(3).met(2, 10));
  EXPECT_FALSE(count(3).met(2, 2));  // not capped at the total
}

TEST(Threshold, ZeroIsMetAtOnce) {
  EXPECT_TRUE(count(0).met(0, 10));
  EXPECT_TRUE(percent(0).met(0, 10));
  EXPECT_TRUE(percent(100).met(0, 0));
}

TEST(Threshold, LargeCountsDoNotOverflow) {
  const uint64_t total = uint64_t{1} << 62;  // amount*100 and value*total both pass 64 bits
  EXPECT_TRUE(percent(100).met(total, total));
  EXPECT_FALSE(percent(100).met(total - 1, total));
  EXPECT_TRUE(percent(50).met(total / 2, total));
  EXPECT_FALSE(percent(50).met(total / 2 - 1, total));
  EXPECT_FALSE((Threshold{Unit::percent, UINT32_MAX}.met(UINT64_MAX, UINT64_MAX)));
}

// ---- decide_rollout -----------------------------------------------------------------------------

class NotRunning : public testing::TestWithParam<RolloutState> {};
TEST_P(NotRunning, NeverMovesEvenWhenEveryThresholdIsMet) {
  RolloutRules rules = rules_of(2, percent(0), count(0));
  RolloutStatus status{GetParam(), 0};
  for (StageCounts c : {StageCounts{10, 10, 0}, StageCounts{10, 0, 10}, StageCounts{0, 0, 0}}) {
    RolloutDecision d = decide_rollout(rules, status, {c, c});
    EXPECT_EQ(d.event, RolloutEvent::none);
    EXPECT_EQ(d.next.state, status.state);
    EXPECT_EQ(d.next.current_stage, 0u);
  }
}
INSTANTIATE_TEST_SUITE_P(Rollout, NotRunning,
                         testing::Values(RolloutState::waiting_for_approval, RolloutState::paused,
                                         RolloutState::stopped, RolloutState::canceled, RolloutState::finished),
                         [](const auto& case_info) { return std::string(to_string(case_info.param)); });

TEST(DecideRollout, NoProgressIsNone) {
  RolloutDecision d = decide_rollout(rules_of(2, percent(90)), running_at(0), {{10, 5, 1}, {20, 0, 0}});
  EXPECT_EQ(d.event, RolloutEvent::none);
  EXPECT_EQ(d.next.state, RolloutState::running);
  EXPECT_EQ(d.next.current_stage, 0u);
}

TEST(DecideRollout, SuccessAtTheExactPercentBoundaryStartsTheNextStage) {
  RolloutRules rules = rules_of(3, percent(90));
  RolloutDecision met = decide_rollout(rules, running_at(1), {{1, 1, 0}, {10, 9, 0}, {50, 0, 0}});
  EXPECT_EQ(met.event, RolloutEvent::next_stage);
  EXPECT_EQ(met.next.state, RolloutState::running);
  EXPECT_EQ(met.next.current_stage, 2u);
  RolloutDecision short_of = decide_rollout(rules, running_at(1), {{1, 1, 0}, {10, 8, 0}, {50, 0, 0}});
  EXPECT_EQ(short_of.event, RolloutEvent::none);
  EXPECT_EQ(short_of.next.current_stage, 1u);
}

TEST(DecideRollout, SuccessAtTheExactCountBoundary) {
  RolloutRules rules = rules_of(2, count(3));
  EXPECT_EQ(decide_rollout(rules, running_at(0), {{10, 3, 0}, {10, 0, 0}}).event, RolloutEvent::next_stage);
  EXPECT_EQ(decide_rollout(rules, running_at(0), {{10, 2, 0}, {10, 0, 0}}).event, RolloutEvent::none);
}

TEST(DecideRollout, ErrorAtTheExactBoundaryStopsTheRollout) {
  RolloutRules rules = rules_of(2, percent(100), percent(20));
  RolloutDecision crossed = decide_rollout(rules, running_at(1), {{5, 5, 0}, {10, 3, 2}});
  EXPECT_EQ(crossed.event, RolloutEvent::emergency_stop);
  EXPECT_EQ(crossed.next.state, RolloutState::stopped);
  EXPECT_EQ(crossed.next.current_stage, 1u);
  EXPECT_EQ(decide_rollout(rules, running_at(1), {{5, 5, 0}, {10, 3, 1}}).event, RolloutEvent::none);
}

TEST(DecideRollout, CountErrorThresholdAtTheExactBoundary) {
  RolloutRules rules = rules_of(1, percent(100), count(2));
  EXPECT_EQ(decide_rollout(rules, running_at(0), {{100, 0, 2}}).event, RolloutEvent::emergency_stop);
  EXPECT_EQ(decide_rollout(rules, running_at(0), {{100, 0, 1}}).event, RolloutEvent::none);
}

TEST(DecideRollout, HundredPercentErrorNeedsEveryTargetFailed) {
  RolloutRules rules = rules_of(1, percent(100), percent(100));
  EXPECT_EQ(decide_rollout(rules, running_at(0), {{10, 0, 9}}).event, RolloutEvent::none);
  EXPECT_EQ(decide_rollout(rules, running_at(0), {{10, 0, 10}}).event, RolloutEvent::emergency_stop);
}

TEST(DecideRollout, ZeroErrorThresholdStopsAtTheFirstFailureButNotBefore) {
  for (Threshold zero : {percent(0), count(0)}) {
    RolloutRules rules = rules_of(2, percent(50), zero);
    EXPECT_EQ(decide_rollout(rules, running_at(0), {{10, 1, 0}, {10, 0, 0}}).event, RolloutEvent::none);
    EXPECT_EQ(decide_rollout(rules, running_at(0), {{10, 1, 1}, {10, 0, 0}}).event, RolloutEvent::emergency_stop);
  }
}

TEST(DecideRollout, ErrorIsCheckedBeforeSuccess) {
  RolloutRules rules = rules_of(2, percent(50), percent(50));
  RolloutDecision d = decide_rollout(rules, running_at(0), {{10, 5, 5}, {10, 0, 0}});
  EXPECT_EQ(d.event, RolloutEvent::emergency_stop);
  EXPECT_EQ(d.next.state, RolloutState::stopped);
  EXPECT_EQ(d.next.current_stage, 0u);
}

TEST(DecideRollout, EmptyStageSucceedsAtOnceWhateverItsThreshold) {
  RolloutRules rules = rules_of(2, count(5));
  RolloutDecision d = decide_rollout(rules, running_at(0), {{0, 0, 0}, {10, 0, 0}});
  EXPECT_EQ(d.event, RolloutEvent::next_stage);
  EXPECT_EQ(d.next.current_stage, 1u);
}

TEST(DecideRollout, EmptyStageNeverErrors) {
  // Inconsistent counts (failures with no targets) must not stop a rollout either.
  RolloutRules rules = rules_of(2, percent(100), count(0));
  RolloutDecision d = decide_rollout(rules, running_at(0), {{0, 0, 3}, {10, 0, 0}});
  EXPECT_EQ(d.event, RolloutEvent::next_stage);
}

TEST(DecideRollout, LastStageFinishes) {
  RolloutDecision d = decide_rollout(rules_of(2), running_at(1), {{1, 1, 0}, {4, 4, 0}});
  EXPECT_EQ(d.event, RolloutEvent::finished);
  EXPECT_EQ(d.next.state, RolloutState::finished);
  EXPECT_EQ(d.next.current_stage, 1u);
}

TEST(DecideRollout, LastStageFinishesEvenWithPauseAfter) {
  RolloutRules rules = rules_of(1);
  rules.stages[0].pause_after = true;
  RolloutDecision d = decide_rollout(rules, running_at(0), {{4, 4, 0}});
  EXPECT_EQ(d.event, RolloutEvent::finished);
  EXPECT_EQ(d.next.state, RolloutState::finished);
}

TEST(DecideRollout, PauseAfterPausesPointingAtTheNextStage) {
  RolloutRules rules = rules_of(3, percent(50));
  rules.stages[0].pause_after = true;
  std::vector<StageCounts> counts = {{10, 5, 0}, {10, 5, 0}, {10, 0, 0}};
  RolloutDecision d = decide_rollout(rules, running_at(0), counts);
  EXPECT_EQ(d.event, RolloutEvent::paused_after_stage);
  EXPECT_EQ(d.next.state, RolloutState::paused);
  EXPECT_EQ(d.next.current_stage, 1u);
  // Paused: it waits, even though stage 1 has already met its threshold.
  EXPECT_EQ(decide_rollout(rules, d.next, counts).event, RolloutEvent::none);
  // Resumed: it goes on from stage 1, not stage 0 again.
  CommandResult resumed = apply_rollout_command(d.next, RolloutCommand::resume);
  ASSERT_TRUE(resumed.ok);
  EXPECT_EQ(resumed.next.current_stage, 1u);
  RolloutDecision after = decide_rollout(rules, resumed.next, counts);
  EXPECT_EQ(after.event, RolloutEvent::next_stage);
  EXPECT_EQ(after.next.current_stage, 2u);
}

TEST(DecideRollout, PerStageErrorsIgnoreEarlierStages) {
  RolloutRules rules = rules_of(3, percent(100), count(2));
  EXPECT_EQ(decide_rollout(rules, running_at(1), {{10, 9, 1}, {10, 0, 1}, {10, 0, 0}}).event,
            RolloutEvent::none);
}

TEST(DecideRollout, WholeRolloutErrorsSumTheStartedStages) {
  RolloutRules rules = rules_of(3, percent(100), count(2));
  rules.error_counts_whole_rollout = true;
  RolloutDecision d = decide_rollout(rules, running_at(1), {{10, 9, 1}, {10, 0, 1}, {10, 0, 0}});
  EXPECT_EQ(d.event, RolloutEvent::emergency_stop);
  EXPECT_EQ(d.next.state, RolloutState::stopped);
}

TEST(DecideRollout, WholeRolloutPercentIsOfTheStartedStagesTargets) {
  RolloutRules rules = rules_of(3, percent(100), percent(20));
  rules.error_counts_whole_rollout = true;
  // Stage 1 alone is 3/10 = 30%, but the started stages together are 3/20 = 15%.
  EXPECT_EQ(decide_rollout(rules, running_at(1), {{10, 10, 0}, {10, 0, 3}, {80, 0, 0}}).event,
            RolloutEvent::none);
  // 4/20 = 20% crosses it. Stage 2's failures (not started) never count.
  EXPECT_EQ(decide_rollout(rules, running_at(1), {{10, 10, 0}, {10, 0, 4}, {80, 0, 0}}).event,
            RolloutEvent::emergency_stop);
  EXPECT_EQ(decide_rollout(rules, running_at(0), {{10, 0, 1}, {10, 0, 10}, {80, 0, 80}}).event,
            RolloutEvent::none);
}

TEST(DecideRollout, OnlyOneStepPerCallThroughEmptyStages) {
  RolloutRules rules = rules_of(4);
  std::vector<StageCounts> counts = {{1, 1, 0}, {0, 0, 0}, {0, 0, 0}, {3, 0, 0}};
  RolloutDecision d = decide_rollout(rules, running_at(0), counts);
  EXPECT_EQ(d.event, RolloutEvent::next_stage);
  EXPECT_EQ(d.next.current_stage, 1u);
  d = decide_rollout(rules, d.next, counts);
  EXPECT_EQ(d.event, RolloutEvent::next_stage);
  EXPECT_EQ(d.next.current_stage, 2u);
}

TEST(DecideRollout, StatusThatDoesNotFitTheRulesStays) {
  EXPECT_EQ(decide_rollout(rules_of(2), running_at(2), {{0, 0, 0}, {0, 0, 0}}).event, RolloutEvent::none);
  EXPECT_EQ(decide_rollout(rules_of(2), running_at(1), {{0, 0, 0}}).event, RolloutEvent::none);
  EXPECT_EQ(decide_rollout(RolloutRules{}, running_at(0), {{0, 0, 0}}).event, RolloutEvent::none);
}

// ---- settle_rollout -----------------------------------------------------------------------------

TEST(SettleRollout, CascadesThroughEmptyStagesToTheEnd) {
  RolloutSettlement s = settle_rollout(rules_of(4), running_at(0), {{1, 1, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}});
  EXPECT_EQ(s.events, (std::vector<RolloutEvent>{RolloutEvent::next_stage, RolloutEvent::next_stage,
                                                 RolloutEvent::next_stage, RolloutEvent::finished}));
  EXPECT_EQ(s.next.state, RolloutState::finished);
  EXPECT_EQ(s.next.current_stage, 3u);
}

TEST(SettleRollout, StopsAtTheFirstStageThatIsNotMet) {
  RolloutSettlement s = settle_rollout(rules_of(4), running_at(0), {{1, 1, 0}, {0, 0, 0}, {5, 4, 0}, {0, 0, 0}});
  EXPECT_EQ(s.events, (std::vector<RolloutEvent>{RolloutEvent::next_stage, RolloutEvent::next_stage}));
  EXPECT_EQ(s.next.state, RolloutState::running);
  EXPECT_EQ(s.next.current_stage, 2u);
}

TEST(SettleRollout, StopsAtAPause) {
  RolloutRules rules = rules_of(3);
  rules.stages[1].pause_after = true;
  RolloutSettlement s = settle_rollout(rules, running_at(0), {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}});
  EXPECT_EQ(s.events, (std::vector<RolloutEvent>{RolloutEvent::next_stage, RolloutEvent::paused_after_stage}));
  EXPECT_EQ(s.next.state, RolloutState::paused);
  EXPECT_EQ(s.next.current_stage, 2u);
}

TEST(SettleRollout, NothingMovesNoEvents) {
  RolloutSettlement s = settle_rollout(rules_of(2), {RolloutState::paused, 0}, {{0, 0, 0}, {0, 0, 0}});
  EXPECT_TRUE(s.events.empty());
  EXPECT_EQ(s.next.state, RolloutState::paused);
}

// ---- apply_rollout_command ----------------------------------------------------------------------

struct Allowed {
  RolloutState from;
  RolloutCommand command;
  RolloutState to;
};
class CommandAllowed : public testing::TestWithParam<Allowed> {};
TEST_P(CommandAllowed, MovesAndKeepsTheStage) {
  CommandResult r = apply_rollout_command({GetParam().from, 2}, GetParam().command);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.next.state, GetParam().to);
  EXPECT_EQ(r.next.current_stage, 2u);
}
INSTANTIATE_TEST_SUITE_P(
    Rollout, CommandAllowed,
    testing::Values(Allowed{RolloutState::waiting_for_approval, RolloutCommand::approve, RolloutState::running},
                    Allowed{RolloutState::running, RolloutCommand::pause, RolloutState::paused},
                    Allowed{RolloutState::paused, RolloutCommand::resume, RolloutState::running},
                    Allowed{RolloutState::waiting_for_approval, RolloutCommand::cancel, RolloutState::canceled},
                    Allowed{RolloutState::running, RolloutCommand::cancel, RolloutState::canceled},
                    Allowed{RolloutState::paused, RolloutCommand::cancel, RolloutState::canceled},
                    Allowed{RolloutState::stopped, RolloutCommand::cancel, RolloutState::canceled}),
    [](const auto& case_info) { return std::string(to_string(case_info.param.command)) + "_from_" + to_string(case_info.param.from); });

struct Refused {
  RolloutState from;
  RolloutCommand command;
  const char* error;
};
class CommandRefused : public testing::TestWithParam<Refused> {};
TEST_P(CommandRefused, SaysWhyAndKeepsTheStatus) {
  CommandResult r = apply_rollout_command({GetParam().from, 1}, GetParam().command);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, GetParam().error);
  EXPECT_EQ(r.next.state, GetParam().from);
  EXPECT_EQ(r.next.current_stage, 1u);
}
INSTANTIATE_TEST_SUITE_P(
    Rollout, CommandRefused,
    testing::Values(
        Refused{RolloutState::running, RolloutCommand::approve, "approve: the rollout is not waiting for approval (it is running)"},
        Refused{RolloutState::paused, RolloutCommand::approve, "approve: the rollout is not waiting for approval (it is paused)"},
        Refused{RolloutState::stopped, RolloutCommand::approve, "approve: the rollout is not waiting for approval (it is stopped)"},
        Refused{RolloutState::canceled, RolloutCommand::approve, "approve: the rollout is not waiting for approval (it is canceled)"},
        Refused{RolloutState::finished, RolloutCommand::approve, "approve: the rollout is not waiting for approval (it is finished)"},
        Refused{RolloutState::waiting_for_approval, RolloutCommand::pause, "pause: the rollout is not running (it is waiting_for_approval)"},
        Refused{RolloutState::paused, RolloutCommand::pause, "pause: the rollout is not running (it is paused)"},
        Refused{RolloutState::stopped, RolloutCommand::pause, "pause: the rollout is not running (it is stopped)"},
        Refused{RolloutState::canceled, RolloutCommand::pause, "pause: the rollout is not running (it is canceled)"},
        Refused{RolloutState::finished, RolloutCommand::pause, "pause: the rollout is not running (it is finished)"},
        Refused{RolloutState::waiting_for_approval, RolloutCommand::resume, "resume: the rollout is not paused (it is waiting_for_approval)"},
        Refused{RolloutState::running, RolloutCommand::resume, "resume: the rollout is not paused (it is running)"},
        Refused{RolloutState::stopped, RolloutCommand::resume, "resume: the rollout is not paused (it is stopped)"},
        Refused{RolloutState::canceled, RolloutCommand::resume, "resume: the rollout is not paused (it is canceled)"},
        Refused{RolloutState::finished, RolloutCommand::resume, "resume: the rollout is not paused (it is finished)"},
        Refused{RolloutState::canceled, RolloutCommand::cancel, "cancel: the rollout has already ended (it is canceled)"},
        Refused{RolloutState::finished, RolloutCommand::cancel, "cancel: the rollout has already ended (it is finished)"}),
    [](const auto& case_info) { return std::string(to_string(case_info.param.command)) + "_from_" + to_string(case_info.param.from); });

// ---- parse_stage_percentages --------------------------------------------------------------------

std::vector<uint32_t> plan_of(const std::string& text) {
  StagePlan plan = parse_stage_percentages(text);
  EXPECT_EQ(plan.error, "") << text;
  return plan.cumulative_percent;
}

TEST(ParseStagePercentages, AcceptsPercentagesWithOrWithoutTheSignAndSpaces) {
  EXPECT_EQ(plan_of("5%,25%,100%"), (std::vector<uint32_t>{5, 25, 100}));
  EXPECT_EQ(plan_of("5,25,100"), (std::vector<uint32_t>{5, 25, 100}));
  EXPECT_EQ(plan_of(" 1 ,\t50% , 100%"), (std::vector<uint32_t>{1, 50, 100}));
  EXPECT_EQ(plan_of("100%"), (std::vector<uint32_t>{100}));
  EXPECT_EQ(plan_of("1,2,3,99,100"), (std::vector<uint32_t>{1, 2, 3, 99, 100}));
}

struct Malformed {
  const char* text;
  const char* error;
};
class StagesRefused : public testing::TestWithParam<Malformed> {};
TEST_P(StagesRefused, NamesTheBadPart) {
  StagePlan plan = parse_stage_percentages(GetParam().text);
  EXPECT_EQ(plan.error, GetParam().error);
  EXPECT_TRUE(plan.cumulative_percent.empty());
}
INSTANTIATE_TEST_SUITE_P(
    Rollout, StagesRefused,
    testing::Values(
        Malformed{"", "the stage list is empty (expected e.g. \"5%,25%,100%\")"},
        Malformed{"  ", "the stage list is empty (expected e.g. \"5%,25%,100%\")"},
        Malformed{"5%,,100%", "stage 2 is empty"},
        Malformed{",100%", "stage 1 is empty"},
        Malformed{"5%,100%,", "stage 3 is empty"},
        Malformed{"5%, ,100%", "stage 2 is empty"},
        Malformed{"0%,100%", "stage 1 \"0%\" is out of range: stages are 1% to 100%"},
        Malformed{"5%,101%", "stage 2 \"101%\" is out of range: stages are 1% to 100%"},
        Malformed{"5%,250", "stage 2 \"250\" is out of range: stages are 1% to 100%"},
        Malformed{"5%,abc,100%", "stage 2 \"abc\" is not a whole percentage (expected e.g. \"25%\")"},
        Malformed{"-5%,100%", "stage 1 \"-5%\" is not a whole percentage (expected e.g. \"25%\")"},
        Malformed{"5.5%,100%", "stage 1 \"5.5%\" is not a whole percentage (expected e.g. \"25%\")"},
        Malformed{"5 %,100%", "stage 1 \"5 %\" is not a whole percentage (expected e.g. \"25%\")"},
        Malformed{"5%%,100%", "stage 1 \"5%%\" is not a whole percentage (expected e.g. \"25%\")"},
        Malformed{"%,100%", "stage 1 \"%\" is not a whole percentage (expected e.g. \"25%\")"},
        Malformed{"5%;100%", "stage 1 \"5%;100%\" is not a whole percentage (expected e.g. \"25%\")"},
        Malformed{"99999999999999999999%", "stage 1 \"99999999999999999999%\" is not a whole percentage (expected e.g. \"25%\")"},
        Malformed{"5%,5%,100%", "stage 2 \"5%\" is not above the stage before it (5%): the percentages are cumulative and must increase"},
        Malformed{"25%,5%,100%", "stage 2 \"5%\" is not above the stage before it (25%): the percentages are cumulative and must increase"},
        Malformed{"100%,100%", "stage 2 \"100%\" is not above the stage before it (100%): the percentages are cumulative and must increase"},
        Malformed{"5%,25%", "the last stage must be 100% so every device is reached; add ',100%'"},
        Malformed{"50", "the last stage must be 100% so every device is reached; add ',100%'"}));

// ---- parse_threshold ----------------------------------------------------------------------------

TEST(ParseThreshold, PercentAndCount) {
  std::string error = "untouched";
  auto t = parse_threshold("90%", &error);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->unit, Unit::percent);
  EXPECT_EQ(t->value, 90u);
  t = parse_threshold("3", &error);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->unit, Unit::count);
  EXPECT_EQ(t->value, 3u);
  EXPECT_EQ(error, "untouched");
}

TEST(ParseThreshold, EdgesThatAreAccepted) {
  struct Case {
    const char* text;
    Unit unit;
    uint32_t value;
  };
  for (Case c : {Case{"0", Unit::count, 0}, Case{"0%", Unit::percent, 0}, Case{"100%", Unit::percent, 100},
                 Case{" 7 ", Unit::count, 7}, Case{"4294967295", Unit::count, UINT32_MAX}}) {
    auto t = parse_threshold(c.text, nullptr);
    ASSERT_TRUE(t) << c.text;
    EXPECT_EQ(t->unit, c.unit) << c.text;
    EXPECT_EQ(t->value, c.value) << c.text;
  }
}

class ThresholdRefused : public testing::TestWithParam<Malformed> {};
TEST_P(ThresholdRefused, NamesTheBadPart) {
  std::string error;
  EXPECT_EQ(parse_threshold(GetParam().text, &error), std::nullopt);
  EXPECT_EQ(error, GetParam().error);
  EXPECT_EQ(parse_threshold(GetParam().text, nullptr), std::nullopt);  // a null error is fine
}
INSTANTIATE_TEST_SUITE_P(
    Rollout, ThresholdRefused,
    testing::Values(
        Malformed{"", "the threshold is empty (expected a percentage like \"90%\" or a count like \"3\")"},
        Malformed{"101%", "threshold \"101%\" is above 100%"},
        Malformed{"-1", "threshold \"-1\" is not a whole percentage (\"90%\") or device count (\"3\")"},
        Malformed{"abc", "threshold \"abc\" is not a whole percentage (\"90%\") or device count (\"3\")"},
        Malformed{"3.5", "threshold \"3.5\" is not a whole percentage (\"90%\") or device count (\"3\")"},
        Malformed{"%", "threshold \"%\" is not a whole percentage (\"90%\") or device count (\"3\")"},
        Malformed{"9 0%", "threshold \"9 0%\" is not a whole percentage (\"90%\") or device count (\"3\")"},
        Malformed{"4294967296", "threshold \"4294967296\" is too large a device count"}));

// ---- assign_stages ------------------------------------------------------------------------------

std::vector<std::string> macs_of(size_t n, uint64_t base = 0x5ccf7f000000) {
  std::vector<std::string> macs;
  for (size_t i = 0; i < n; ++i) {
    uint64_t v = base + i;
    char text[18];
    std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", unsigned(v >> 40 & 0xff),
                  unsigned(v >> 32 & 0xff), unsigned(v >> 24 & 0xff), unsigned(v >> 16 & 0xff),
                  unsigned(v >> 8 & 0xff), unsigned(v & 0xff));
    macs.push_back(text);
  }
  return macs;
}

// hawkBit's group sizes, counted the slow way: stage k ends at the least e with e*100 >= cum[k]*N.
std::vector<uint64_t> expected_sizes(uint64_t n, const std::vector<uint32_t>& cum) {
  std::vector<uint64_t> sizes;
  uint64_t previous_end = 0;
  for (uint32_t p : cum) {
    uint64_t end = 0;
    while (end * 100 < p * n) ++end;
    sizes.push_back(end - previous_end);
    previous_end = end;
  }
  return sizes;
}

std::vector<uint64_t> sizes_of(const std::vector<uint32_t>& stages, size_t stage_count) {
  std::vector<uint64_t> sizes(stage_count, 0);
  for (uint32_t s : stages) {
    EXPECT_LT(s, stage_count);
    if (s < stage_count) ++sizes[s];
  }
  return sizes;
}

TEST(AssignStages, NoDevicesNoStages) { EXPECT_TRUE(assign_stages({}, 1, {5, 25, 100}).empty()); }

TEST(AssignStages, ExactStageSizesForEveryFleetUpTo200) {
  const std::vector<std::vector<uint32_t>> plans = {{5, 25, 100}, {1, 100}, {100}, {50, 100}, {33, 66, 100},
                                                    {10, 20, 30, 40, 50, 60, 70, 80, 90, 100}};
  for (const auto& plan : plans) {
    for (size_t n = 1; n <= 200; ++n) {
      std::vector<uint32_t> stages = assign_stages(macs_of(n), 42, plan);
      ASSERT_EQ(stages.size(), n);
      EXPECT_EQ(sizes_of(stages, plan.size()), expected_sizes(n, plan)) << "N=" << n << " plan of " << plan.size();
    }
  }
}

TEST(AssignStages, SizesAreCeilings) {
  EXPECT_EQ(sizes_of(assign_stages(macs_of(1), 1, {5, 25, 100}), 3), (std::vector<uint64_t>{1, 0, 0}));
  EXPECT_EQ(sizes_of(assign_stages(macs_of(7), 1, {5, 25, 100}), 3), (std::vector<uint64_t>{1, 1, 5}));
  EXPECT_EQ(sizes_of(assign_stages(macs_of(21), 1, {5, 25, 100}), 3), (std::vector<uint64_t>{2, 4, 15}));
  EXPECT_EQ(sizes_of(assign_stages(macs_of(100), 1, {1, 100}), 2), (std::vector<uint64_t>{1, 99}));
  EXPECT_EQ(sizes_of(assign_stages(macs_of(101), 1, {1, 100}), 2), (std::vector<uint64_t>{2, 99}));
}

TEST(AssignStages, SameInputSameOutputWhateverTheOrder) {
  std::vector<std::string> macs = macs_of(500);
  std::vector<uint32_t> first = assign_stages(macs, 9, {5, 25, 100});
  EXPECT_EQ(assign_stages(macs, 9, {5, 25, 100}), first);
  std::vector<std::string> reversed(macs.rbegin(), macs.rend());
  std::vector<uint32_t> back = assign_stages(reversed, 9, {5, 25, 100});
  std::reverse(back.begin(), back.end());
  EXPECT_EQ(back, first);  // a device's stage depends on the rollout and its mac, not the list's order
}

TEST(AssignStages, KnownSplitIsStableAcrossPlatformsAndReleases) {
  // Recorded from an independent FNV-1a 64 + fmix64 computation. If this changes, every rollout
  // already under way would be re-split on upgrade.
  std::vector<std::string> macs = macs_of(10);
  EXPECT_EQ(assign_stages(macs, 7, {20, 50, 100}), (std::vector<uint32_t>{1, 1, 0, 2, 2, 2, 2, 0, 2, 1}));
  EXPECT_EQ(assign_stages(macs, -3, {20, 50, 100}), (std::vector<uint32_t>{1, 0, 2, 1, 2, 2, 1, 2, 2, 0}));
}

TEST(AssignStages, DifferentRolloutsPickDifferentCanaries) {
  std::vector<std::string> macs = macs_of(1000);
  auto canaries = [&](int64_t id) {
    std::vector<uint32_t> stages = assign_stages(macs, id, {5, 100});
    std::set<std::string> chosen;
    for (size_t i = 0; i < macs.size(); ++i)
      if (stages[i] == 0) chosen.insert(macs[i]);
    return chosen;
  };
  std::set<std::string> one = canaries(1), two = canaries(2);
  ASSERT_EQ(one.size(), 50u);
  ASSERT_EQ(two.size(), 50u);
  size_t common = 0;
  for (const auto& mac : one) common += two.count(mac);
  EXPECT_LT(common, 20u);  // chance alone gives about 2.5 of 50
}

TEST(AssignStages, CanariesAreNotABlockOfNeighbouringMacs) {
  // Sequential macs (one vendor batch): the canaries must be spread over the batch.
  std::vector<std::string> macs = macs_of(1000);
  std::vector<uint32_t> stages = assign_stages(macs, 5, {5, 100});
  size_t in_first_half = 0;
  for (size_t i = 0; i < 500; ++i) in_first_half += stages[i] == 0;
  EXPECT_GT(in_first_half, 10u);
  EXPECT_LT(in_first_half, 40u);
}

TEST(AssignStages, RepeatedMacsAreEachAssigned) {
  std::vector<uint32_t> stages = assign_stages({"aa", "aa", "bb", "aa"}, 3, {50, 100});
  ASSERT_EQ(stages.size(), 4u);
  EXPECT_EQ(sizes_of(stages, 2), (std::vector<uint64_t>{2, 2}));
}

TEST(AssignStages, PlansOutsideTheParserAreStillTotal) {
  EXPECT_EQ(assign_stages(macs_of(3), 1, {}), (std::vector<uint32_t>{0, 0, 0}));
  // A plan ending below 100: the devices past its end fall into the last stage.
  EXPECT_EQ(sizes_of(assign_stages(macs_of(10), 1, {10, 50}), 2), (std::vector<uint64_t>{1, 9}));
}

// ---- properties ---------------------------------------------------------------------------------

rc::Gen<std::vector<uint32_t>> plans() {
  return rc::gen::exec([] {
    auto picks = *rc::gen::container<std::set<uint32_t>>(rc::gen::inRange<uint32_t>(1, 100));
    std::vector<uint32_t> plan(picks.begin(), picks.end());
    plan.push_back(100);
    return plan;
  });
}

rc::Gen<Threshold> thresholds() {
  return rc::gen::exec([] {
    bool is_percent = *rc::gen::arbitrary<bool>();
    return Threshold{is_percent ? Unit::percent : Unit::count,
                     *rc::gen::inRange<uint32_t>(0, is_percent ? 101 : 20)};
  });
}

rc::Gen<RolloutRules> rules() {
  return rc::gen::exec([] {
    RolloutRules r;
    size_t n = *rc::gen::inRange<size_t>(1, 8);
    for (size_t i = 0; i < n; ++i)
      r.stages.push_back({"s", *thresholds(), *rc::gen::arbitrary<bool>()});
    r.error = *thresholds();
    r.error_counts_whole_rollout = *rc::gen::arbitrary<bool>();
    return r;
  });
}

rc::Gen<std::vector<StageCounts>> counts_for(size_t stages) {
  return rc::gen::container<std::vector<StageCounts>>(stages, rc::gen::exec([] {
    uint64_t targets = *rc::gen::inRange<uint64_t>(0, 30);
    uint64_t updated = *rc::gen::inRange<uint64_t>(0, targets + 1);
    uint64_t failed = *rc::gen::inRange<uint64_t>(0, targets - updated + 1);
    return StageCounts{targets, updated, failed};
  }));
}

RC_GTEST_PROP(RolloutProperties, StageEndsAreMonotoneAndSumToN, ()) {
  auto plan = *plans();
  size_t n = *rc::gen::inRange<size_t>(0, 400);
  auto stages = assign_stages(macs_of(n), *rc::gen::arbitrary<int64_t>(), plan);
  RC_ASSERT(stages.size() == n);
  std::vector<uint64_t> sizes(plan.size(), 0);
  for (uint32_t s : stages) {
    RC_ASSERT(s < plan.size());
    ++sizes[s];
  }
  uint64_t end = 0;
  for (size_t k = 0; k < plan.size(); ++k) {
    end += sizes[k];
    RC_ASSERT(end * 100 >= plan[k] * n);          // at least cum[k]% of the fleet by stage k...
    RC_ASSERT(end == 0 || (end - 1) * 100 < plan[k] * n);  // ...and not one device more
  }
  RC_ASSERT(end == n);
}

RC_GTEST_PROP(RolloutProperties, ParsedPlansRoundTrip, ()) {
  auto plan = *plans();
  std::string text;
  for (uint32_t p : plan) text += (text.empty() ? "" : ",") + std::to_string(p) + (*rc::gen::arbitrary<bool>() ? "%" : "");
  StagePlan parsed = parse_stage_percentages(text);
  RC_ASSERT(parsed.error.empty());
  RC_ASSERT(parsed.cumulative_percent == plan);
}

RC_GTEST_PROP(RolloutProperties, NonRunningRolloutNeverMoves, ()) {
  auto r = *rules();
  auto counts = *counts_for(r.stages.size());
  RolloutStatus status{*rc::gen::element(RolloutState::waiting_for_approval, RolloutState::paused,
                                         RolloutState::stopped, RolloutState::canceled, RolloutState::finished),
                       *rc::gen::inRange<uint32_t>(0, static_cast<uint32_t>(r.stages.size()))};
  RolloutDecision d = decide_rollout(r, status, counts);
  RC_ASSERT(d.event == RolloutEvent::none);
  RC_ASSERT(d.next.state == status.state);
  RC_ASSERT(d.next.current_stage == status.current_stage);
}

RC_GTEST_PROP(RolloutProperties, NeverSkipsMoreThanOneStage, ()) {
  auto r = *rules();
  auto counts = *counts_for(r.stages.size());
  RolloutStatus status = running_at(*rc::gen::inRange<uint32_t>(0, static_cast<uint32_t>(r.stages.size())));
  RolloutDecision d = decide_rollout(r, status, counts);
  switch (d.event) {
    case RolloutEvent::next_stage:
      RC_ASSERT(d.next.state == RolloutState::running);
      RC_ASSERT(d.next.current_stage == status.current_stage + 1);
      break;
    case RolloutEvent::paused_after_stage:
      RC_ASSERT(d.next.state == RolloutState::paused);
      RC_ASSERT(d.next.current_stage == status.current_stage + 1);
      break;
    case RolloutEvent::finished:
      RC_ASSERT(d.next.state == RolloutState::finished);
      RC_ASSERT(status.current_stage + 1 == r.stages.size());
      RC_ASSERT(d.next.current_stage == status.current_stage);
      break;
    case RolloutEvent::emergency_stop:
      RC_ASSERT(d.next.state == RolloutState::stopped);
      RC_ASSERT(d.next.current_stage == status.current_stage);
      break;
    case RolloutEvent::none:
      RC_ASSERT(d.next.state == RolloutState::running);
      RC_ASSERT(d.next.current_stage == status.current_stage);
      break;
  }
}

RC_GTEST_PROP(RolloutProperties, SettleEndsWhereOneMoreDecisionIsNone, ()) {
  auto r = *rules();
  auto counts = *counts_for(r.stages.size());
  RolloutSettlement s = settle_rollout(r, running_at(0), counts);
  RC_ASSERT(s.events.size() <= r.stages.size());
  RC_ASSERT(decide_rollout(r, s.next, counts).event == RolloutEvent::none);
  RC_ASSERT(std::count(s.events.begin(), s.events.end(), RolloutEvent::none) == 0);
}

}  // namespace
}  // namespace otakit::server
