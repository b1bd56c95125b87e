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
  // Met when amount reaches the threshold out of total (percent: amount*100 >= value*total).
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

struct RolloutStatus {
  RolloutState state = RolloutState::running;
  uint32_t current_stage = 0;  // index into rules.stages
};

struct RolloutDecision {
  RolloutEvent event = RolloutEvent::none;
  RolloutStatus next;  // the status after the event
};

// Called after outcome counts change. Only a running rollout moves. An empty stage (no targets)
// succeeds at once. The error threshold is checked before the success threshold.
RolloutDecision decide_rollout(const RolloutRules& rules, const RolloutStatus& status,
                               const std::vector<StageCounts>& counts);

// Operator commands. Each returns the new status, or an error text saying why it is not allowed
// now (e.g. "resume: the rollout is not paused (it is finished)").
enum class RolloutCommand { approve, pause, resume, cancel };
const char* to_string(RolloutCommand command);
struct CommandResult {
  bool ok = false;
  RolloutStatus next;
  std::string error;
};
CommandResult apply_rollout_command(const RolloutStatus& status, RolloutCommand command);

// Parses the CLI/API form of a stage list: "5%,25%,100%" (cumulative percentages of the matching
// devices, strictly increasing, ending at 100) and thresholds "90%" or "3". Errors name the bad part.
struct StagePlan {
  std::vector<uint32_t> cumulative_percent;
  std::string error;  // empty when ok
};
StagePlan parse_stage_percentages(const std::string& text);
std::optional<Threshold> parse_threshold(const std::string& text, std::string* error);

// Splits the devices a percentage plan targets into its stages, exactly as hawkBit sizes groups:
// stage k ends at rank ceil(cumulative_percent[k] * N / 100). Devices are ranked by a stable hash
// of (rollout_id, mac), so the split is the same on every instance and every run, and different
// rollouts pick different canaries. Returns the stage index of each mac, in the order given.
std::vector<uint32_t> assign_stages(const std::vector<std::string>& macs, int64_t rollout_id,
                                    const std::vector<uint32_t>& cumulative_percent);

}  // namespace otakit::server
