// What a rollout does next, decided from its definition and its counts alone (no I/O, no clock):
// hawkBit's rollout rules (ordered groups, success and error thresholds, approval, pause, resume,
// cancel), with success meaning post-boot health. The store applies the decision inside the
// transaction that counted, so two server instances never advance or stop a rollout twice.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace otakit::server {

enum class RolloutState {
  waiting_for_approval,  // created with approval required: nothing is offered yet
  running,               // the current stage and every earlier one are offered the image
  paused,                // by an operator, or by a stage that asked to pause when it succeeded
  stopped,               // emergency stop: the error threshold was crossed; nothing new is offered
  canceled,              // by an operator; nothing new is offered
  finished,              // every stage met its success threshold
};
const char* to_string(RolloutState state);
std::optional<RolloutState> rollout_state_from_string(const std::string& text);

// A threshold is a count of devices or a percentage of a stage's targets.
struct Threshold {
  enum class Unit { percent, count } unit = Unit::percent;
  uint32_t value = 0;
  // Met when amount reaches the threshold out of total: count: amount >= value; percent:
  // amount*100 >= value*total, computed without overflow. Value 0 is met at once, and so is any
  // percentage of a total of 0. Percent values are 0..100 (parse_threshold refuses others; a
  // larger one is never met while total > 0). A count is not capped at total: a count success
  // threshold above a stage's targets is never met by that stage.
  bool met(uint64_t amount, uint64_t total) const;
};

struct RolloutStage {
  std::string name;              // "5%", "group:canary", ... shown to operators
  Threshold success{Threshold::Unit::percent, 100};  // updated devices needed to move on
  bool pause_after = false;      // pause (instead of starting the next stage) once it succeeded
};

struct RolloutRules {
  std::vector<RolloutStage> stages;                 // at least one
  Threshold error{Threshold::Unit::percent, 100};   // failed devices that stop the rollout
  bool error_counts_whole_rollout = false;          // false: per stage (hawkBit); true: all started stages
  bool approval_required = false;
};

// Outcome counts of one stage's targets.
struct StageCounts {
  uint64_t targets = 0;  // devices assigned to the stage
  uint64_t updated = 0;  // checked in running the target image (and confirmed, for trial images)
  uint64_t failed = 0;   // came back with the old image after a download, or refused by the device
};

enum class RolloutEvent {
  none,
  next_stage,      // the current stage met its success threshold: start the next one
  paused_after_stage,  // it met it and asks to pause before the next one
  finished,        // the last stage met its threshold
  emergency_stop,  // the error threshold was crossed
};
const char* to_string(RolloutEvent event);
std::optional<RolloutEvent> rollout_event_from_string(const std::string& text);

struct RolloutStatus {
  RolloutState state = RolloutState::running;
  uint32_t current_stage = 0;  // index into rules.stages
};

struct RolloutDecision {
  RolloutEvent event = RolloutEvent::none;
  RolloutStatus next;  // the status after the event
};

// Called after outcome counts change; counts[i] belongs to rules.stages[i]. Only a running
// rollout moves, and by ONE step per call:
//  1. Errors first. The failed and targets of the current stage (with error_counts_whole_rollout:
//     summed over stages 0..current_stage) cross rules.error when error.met(failed, targets) AND
//     failed > 0 AND targets > 0, so a stage with no targets, or no failure, never stops anything
//     (a count of 0 or 0% means "stop at the first failure"). Crossed: emergency_stop, the state
//     becomes stopped, current_stage stays.
//  2. Then success: the current stage's updated meets its success threshold out of its targets
//     (an empty stage meets it at once). The last stage: finished (current_stage stays at it,
//     pause_after is ignored). A stage with pause_after: paused_after_stage, the state becomes
//     paused and current_stage already points at the next stage, so resume starts it. Otherwise
//     next_stage: still running, current_stage + 1.
//  3. Else none, the status unchanged. A status that does not fit the rules (no stages,
//     current_stage past the last one, fewer counts than stages up to it) is also left as is.
// After next_stage the new stage may already be met (an empty stage), so the caller calls again
// until the event is none; settle_rollout does that loop.
RolloutDecision decide_rollout(const RolloutRules& rules, const RolloutStatus& status,
                               const std::vector<StageCounts>& counts);

// decide_rollout repeated with the same counts until it returns none: the final status and every
// event on the way, in order (empty when nothing moved). Each event either advances current_stage
// or leaves the running state, so it ends after at most stages.size() events.
struct RolloutSettlement {
  RolloutStatus next;
  std::vector<RolloutEvent> events;
};
RolloutSettlement settle_rollout(const RolloutRules& rules, const RolloutStatus& status,
                                 const std::vector<StageCounts>& counts);

// Operator commands. Each returns the new status, or an error text saying why it is not allowed
// now (e.g. "resume: the rollout is not paused (it is finished)"), with next = the status as it was.
//   approve: waiting_for_approval -> running     pause: running -> paused
//   resume:  paused -> running                   cancel: waiting_for_approval, running, paused or
//                                                        stopped -> canceled
// finished and canceled are final. current_stage is kept by every command.
enum class RolloutCommand { approve, pause, resume, cancel };
const char* to_string(RolloutCommand command);
std::optional<RolloutCommand> rollout_command_from_string(const std::string& text);
struct CommandResult {
  bool ok = false;
  RolloutStatus next;
  std::string error;
};
CommandResult apply_rollout_command(const RolloutStatus& status, RolloutCommand command);

// Parses the CLI/API form of a stage list: "5%,25%,100%" (cumulative percentages of the matching
// devices, strictly increasing, ending at 100) and thresholds "90%" or "3". Errors name the bad part.
// Stage items: whole numbers 1..100, the '%' optional ("5" = "5%"), spaces around an item allowed;
// empty items, "0%", values above 100, non-digits, a value not above the previous one and a last
// value other than 100 are refused. Thresholds: "N%" is percent N (0..100), "N" is a count of N
// devices (fits 32 bits); spaces around allowed; "", "101%", "-1", "abc", "3.5" are refused.
// to_string gives the lowercase enumerator names ("waiting_for_approval", "next_stage", "approve");
// the *_from_string functions take exactly those and return nullopt for anything else.
struct StagePlan {
  std::vector<uint32_t> cumulative_percent;
  std::string error;  // empty when ok
};
StagePlan parse_stage_percentages(const std::string& text);  // on error, cumulative_percent is empty
std::optional<Threshold> parse_threshold(const std::string& text, std::string* error);  // error may be null

// Splits the devices a percentage plan targets into its stages, exactly as hawkBit sizes groups:
// stage k ends at rank ceil(cumulative_percent[k] * N / 100). Devices are ranked by a stable hash
// of (rollout_id, mac), so the split is the same on every instance and every run, and different
// rollouts pick different canaries. Returns the stage index of each mac, in the order given.
// The rank key is FNV-1a 64 of the bytes of std::to_string(rollout_id) + ":" + mac passed through
// MurmurHash3's fmix64 finalizer (FNV alone ranks macs that differ in the last byte nearly in that
// byte's order), ascending, ties by mac, then by input position (a repeated mac gets a stage per
// occurrence); changing it re-splits every rollout. A stage may be empty for small N (1 device in "5%,25%,100%" is stage 0).
// The plan is one parse_stage_percentages accepted; devices ranked past a last value below 100
// fall into the last stage, and an empty plan puts every device in stage 0. No macs: empty.
std::vector<uint32_t> assign_stages(const std::vector<std::string>& macs, int64_t rollout_id,
                                    const std::vector<uint32_t>& cumulative_percent);

}  // namespace otakit::server
