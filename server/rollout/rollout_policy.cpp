// The rollout policy: pure functions from a rollout's definition, status and counts to what it does
// next (rollout_policy.h is the spec). No I/O and no clock, so the store can run it inside the
// transaction that counted and every server instance reaches the same decision.
#include "server/rollout/rollout_policy.h"

#include <algorithm>
#include <numeric>

namespace otakit::server {
namespace {

// One table per enum keeps to_string and from_string from drifting apart.
template <typename E>
struct Name {
  E value;
  const char* text;
};

constexpr Name<RolloutState> kStates[] = {
    {RolloutState::waiting_for_approval, "waiting_for_approval"},
    {RolloutState::running, "running"},
    {RolloutState::paused, "paused"},
    {RolloutState::stopped, "stopped"},
    {RolloutState::canceled, "canceled"},
    {RolloutState::finished, "finished"},
};
constexpr Name<RolloutEvent> kEvents[] = {
    {RolloutEvent::none, "none"},
    {RolloutEvent::next_stage, "next_stage"},
    {RolloutEvent::paused_after_stage, "paused_after_stage"},
    {RolloutEvent::finished, "finished"},
    {RolloutEvent::emergency_stop, "emergency_stop"},
};
constexpr Name<RolloutCommand> kCommands[] = {
    {RolloutCommand::approve, "approve"},
    {RolloutCommand::pause, "pause"},
    {RolloutCommand::resume, "resume"},
    {RolloutCommand::cancel, "cancel"},
};

template <typename E, size_t N>
const char* name_of(const Name<E> (&table)[N], E value) {
  for (const auto& entry : table)
    if (entry.value == value) return entry.text;
  return "unknown";  // only for a value cast from outside the enum
}

template <typename E, size_t N>
std::optional<E> value_of(const Name<E> (&table)[N], const std::string& text) {
  for (const auto& entry : table)
    if (text == entry.text) return entry.value;
  return std::nullopt;
}

bool error_crossed(const Threshold& error, uint64_t failed, uint64_t targets) {
  // Without the two guards a 0 threshold would stop a rollout that has had no failure at all.
  return failed > 0 && targets > 0 && error.met(failed, targets);
}

std::string trim(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  size_t end = text.find_last_not_of(" \t");
  return text.substr(begin, end - begin + 1);
}

// A whole decimal number of at most 10 digits (so it cannot overflow 64 bits); nullopt otherwise.
std::optional<uint64_t> parse_digits(const std::string& digits) {
  if (digits.empty() || digits.size() > 10) return std::nullopt;
  uint64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return value;
}

// The number before an optional trailing '%'.
struct Amount {
  std::optional<uint64_t> value;
  bool percent = false;
};
Amount parse_amount(const std::string& item) {
  bool percent = !item.empty() && item.back() == '%';
  return {parse_digits(percent ? item.substr(0, item.size() - 1) : item), percent};
}

// FNV-1a 64, then MurmurHash3's 64-bit finalizer: FNV alone ends on one multiply, so macs that
// differ only in their last byte (a vendor's batch) would rank almost in that byte's order and
// the canaries would be a block of neighbouring devices.
uint64_t rank_key(const std::string& bytes) {
  uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a 64 offset basis
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 0x100000001b3ULL;  // FNV 64 prime
  }
  hash ^= hash >> 33;
  hash *= 0xff51afd7ed558ccdULL;
  hash ^= hash >> 33;
  hash *= 0xc4ceb9fe1a85ec53ULL;
  hash ^= hash >> 33;
  return hash;
}

}  // namespace

const char* to_string(RolloutState state) { return name_of(kStates, state); }
const char* to_string(RolloutEvent event) { return name_of(kEvents, event); }
const char* to_string(RolloutCommand command) { return name_of(kCommands, command); }
std::optional<RolloutState> rollout_state_from_string(const std::string& text) {
  return value_of(kStates, text);
}
std::optional<RolloutEvent> rollout_event_from_string(const std::string& text) {
  return value_of(kEvents, text);
}
std::optional<RolloutCommand> rollout_command_from_string(const std::string& text) {
  return value_of(kCommands, text);
}

bool Threshold::met(uint64_t amount, uint64_t total) const {
  if (unit == Unit::count) return amount >= value;
  // 128 bits: value*total alone can pass 64 bits for a 32-bit value.
  return static_cast<unsigned __int128>(amount) * 100 >= static_cast<unsigned __int128>(value) * total;
}

RolloutDecision decide_rollout(const RolloutRules& rules, const RolloutStatus& status,
                               const std::vector<StageCounts>& counts) {
  RolloutDecision decision{RolloutEvent::none, status};
  const uint32_t current = status.current_stage;
  if (status.state != RolloutState::running || current >= rules.stages.size() || current >= counts.size())
    return decision;

  uint64_t failed = counts[current].failed, targets = counts[current].targets;
  if (rules.error_counts_whole_rollout) {
    failed = targets = 0;
    for (uint32_t i = 0; i <= current; ++i) {
      failed += counts[i].failed;
      targets += counts[i].targets;
    }
  }
  if (error_crossed(rules.error, failed, targets)) {
    decision.event = RolloutEvent::emergency_stop;
    decision.next.state = RolloutState::stopped;
    return decision;
  }

  const StageCounts& stage = counts[current];
  // An empty stage has nobody to wait for (a count threshold would otherwise hold it forever).
  if (stage.targets > 0 && !rules.stages[current].success.met(stage.updated, stage.targets)) return decision;

  if (current + 1 == rules.stages.size()) {
    decision.event = RolloutEvent::finished;
    decision.next.state = RolloutState::finished;
  } else if (rules.stages[current].pause_after) {
    decision.event = RolloutEvent::paused_after_stage;
    decision.next.state = RolloutState::paused;
    decision.next.current_stage = current + 1;  // resume starts the next stage, not this one again
  } else {
    decision.event = RolloutEvent::next_stage;
    decision.next.current_stage = current + 1;
  }
  return decision;
}

RolloutSettlement settle_rollout(const RolloutRules& rules, const RolloutStatus& status,
                                 const std::vector<StageCounts>& counts) {
  RolloutSettlement settlement{status, {}};
  // Ends: every event but none either advances current_stage or leaves running (see the header).
  for (;;) {
    RolloutDecision decision = decide_rollout(rules, settlement.next, counts);
    if (decision.event == RolloutEvent::none) return settlement;
    settlement.events.push_back(decision.event);
    settlement.next = decision.next;
  }
}

CommandResult apply_rollout_command(const RolloutStatus& status, RolloutCommand command) {
  RolloutState from = status.state;
  std::optional<RolloutState> to;
  const char* refusal = "";
  switch (command) {
    case RolloutCommand::approve:
      if (from == RolloutState::waiting_for_approval) to = RolloutState::running;
      refusal = "is not waiting for approval";
      break;
    case RolloutCommand::pause:
      if (from == RolloutState::running) to = RolloutState::paused;
      refusal = "is not running";
      break;
    case RolloutCommand::resume:
      if (from == RolloutState::paused) to = RolloutState::running;
      refusal = "is not paused";
      break;
    case RolloutCommand::cancel:
      if (from != RolloutState::finished && from != RolloutState::canceled) to = RolloutState::canceled;
      refusal = "has already ended";
      break;
  }
  CommandResult result{to.has_value(), status, ""};
  if (to)
    result.next.state = *to;
  else
    result.error = std::string(to_string(command)) + ": the rollout " + refusal + " (it is " + to_string(from) + ")";
  return result;
}

StagePlan parse_stage_percentages(const std::string& text) {
  StagePlan plan;
  auto fail = [&plan](const std::string& why) {
    plan.cumulative_percent.clear();
    plan.error = why;
    return plan;
  };
  if (trim(text).empty()) return fail("the stage list is empty (expected e.g. \"5%,25%,100%\")");
  size_t start = 0;
  for (size_t index = 1;; ++index) {
    size_t comma = text.find(',', start);
    std::string item = trim(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    std::string where = "stage " + std::to_string(index) + " \"" + item + "\"";
    if (item.empty()) return fail("stage " + std::to_string(index) + " is empty");
    Amount amount = parse_amount(item);
    if (!amount.value) return fail(where + " is not a whole percentage (expected e.g. \"25%\")");
    if (*amount.value < 1 || *amount.value > 100) return fail(where + " is out of range: stages are 1% to 100%");
    if (!plan.cumulative_percent.empty() && *amount.value <= plan.cumulative_percent.back())
      return fail(where + " is not above the stage before it (" + std::to_string(plan.cumulative_percent.back()) +
                  "%): the percentages are cumulative and must increase");
    plan.cumulative_percent.push_back(static_cast<uint32_t>(*amount.value));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (plan.cumulative_percent.back() != 100)
    return fail("the last stage must be 100% so every device is reached; add ',100%'");
  return plan;
}

std::optional<Threshold> parse_threshold(const std::string& text, std::string* error) {
  auto fail = [error](const std::string& why) -> std::optional<Threshold> {
    if (error) *error = why;
    return std::nullopt;
  };
  std::string item = trim(text);
  if (item.empty()) return fail("the threshold is empty (expected a percentage like \"90%\" or a count like \"3\")");
  Amount amount = parse_amount(item);
  std::string where = "threshold \"" + item + "\"";
  if (!amount.value) return fail(where + " is not a whole percentage (\"90%\") or device count (\"3\")");
  if (amount.percent && *amount.value > 100) return fail(where + " is above 100%");
  if (!amount.percent && *amount.value > UINT32_MAX) return fail(where + " is too large a device count");
  return Threshold{amount.percent ? Threshold::Unit::percent : Threshold::Unit::count,
                   static_cast<uint32_t>(*amount.value)};
}

std::vector<uint32_t> assign_stages(const std::vector<std::string>& macs, int64_t rollout_id,
                                    const std::vector<uint32_t>& cumulative_percent) {
  const uint64_t n = macs.size();
  std::vector<uint32_t> stages(n, 0);
  if (n == 0 || cumulative_percent.empty()) return stages;

  // Rank by the hash; the tie-breaks make the order total, so no sort's whims leak into it.
  const std::string prefix = std::to_string(rollout_id) + ":";
  std::vector<uint64_t> keys(n);
  for (uint64_t i = 0; i < n; ++i) keys[i] = rank_key(prefix + macs[i]);
  std::vector<uint64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](uint64_t a, uint64_t b) {
    if (keys[a] != keys[b]) return keys[a] < keys[b];
    if (macs[a] != macs[b]) return macs[a] < macs[b];
    return a < b;
  });

  uint32_t stage = 0;
  for (uint64_t rank = 0; rank < n; ++rank) {
    // Stage k holds ranks below ceil(cum[k] * N / 100); past the plan's last end: the last stage.
    while (stage + 1 < cumulative_percent.size() && rank >= (cumulative_percent[stage] * n + 99) / 100) ++stage;
    stages[order[rank]] = stage;
  }
  return stages;
}

}  // namespace otakit::server
