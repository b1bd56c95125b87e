// Whether a check gets the target image, and why not: the server's one update rule, a pure
// function of what the device reported, what it ran before, and its target.
#pragma once
#include <cstdint>
#include <string>

#include "server/fleet/model.h"

namespace otakit::server {

// Where a device's target comes from, for logs and history ("rollout 3, stage 2", "group lab").
struct Target {
  const Firmware* firmware = nullptr;
  int64_t rollout_id = 0;  // 0: not a rollout
  std::string source;
  // No firmware because the newest rollout for the device counted it as failed: it keeps its image.
  bool failed_here = false;
};

enum class Answer {
  not_modified,  // 304: nothing (new) for this device
  offer,         // 200 with the image (or, in version mode, its version in x-version)
};

// Why an image is withheld. Each has its own history text and metric label.
enum class Withheld {
  none,
  no_target,
  failed_here,  // the device failed the rollout that targets it: it stays on its image
  already_running,
  same_version,
  too_large,
  wrong_flash,
  downgrade,
  wrong_kind,
};
const char* to_string(Withheld why);

struct Decision {
  Answer answer = Answer::not_modified;
  Withheld why = Withheld::no_target;
  std::string reason;  // one sentence for the log and history
  // Withheld for a reason the device cannot fix by updating (too large, wrong flash, downgrade):
  // a rollout counts it as failed.
  bool incompatible() const;
};

struct DecisionInputs {
  const CheckReport& report;
  uint32_t max_security_version = 0;  // the highest the device was seen running (signed fleets)
  bool enforce_security_version = false;
};

Decision decide_update(const DecisionInputs& in, const Target& target);

}  // namespace otakit::server
