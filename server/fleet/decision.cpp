// The update rule (docs/server.md "What a check gets").
#include "server/fleet/decision.h"

#include <fmt/format.h>

namespace otakit::server {
namespace {

Decision withhold(Withheld why, std::string reason) { return Decision{Answer::not_modified, why, std::move(reason)}; }

bool kind_matches(CheckReport::Mode mode, ImageKind kind) {
  if (mode == CheckReport::Mode::spiffs) return kind == ImageKind::spiffs;
  return kind == ImageKind::sketch;  // sketch and version requests ask about the sketch
}

}  // namespace

const char* to_string(ImageKind kind) { return kind == ImageKind::spiffs ? "spiffs" : "sketch"; }

const char* to_string(Withheld why) {
  switch (why) {
    case Withheld::none: return "none";
    case Withheld::no_target: return "no_target";
    case Withheld::failed_here: return "failed_here";
    case Withheld::already_running: return "already_running";
    case Withheld::same_version: return "same_version";
    case Withheld::too_large: return "too_large";
    case Withheld::wrong_flash: return "wrong_flash";
    case Withheld::downgrade: return "downgrade";
    case Withheld::wrong_kind: return "wrong_kind";
  }
  return "unknown";
}

bool Decision::incompatible() const {
  return why == Withheld::too_large || why == Withheld::wrong_flash || why == Withheld::downgrade;
}

Decision decide_update(const DecisionInputs& in, const Target& target) {
  const CheckReport& r = in.report;
  const Firmware* fw = target.firmware;
  if (fw == nullptr && target.failed_here)
    return withhold(Withheld::failed_here, fmt::format("{} counted this device as failed; it keeps its image", target.source));
  if (fw == nullptr) return withhold(Withheld::no_target, "no firmware is targeted at this device");
  if (!kind_matches(r.mode, fw->kind))
    return withhold(Withheld::wrong_kind, fmt::format("the target is a {} image", to_string(fw->kind)));
  if (fw->kind == ImageKind::sketch && r.sketch_md5 == fw->device_md5())
    return withhold(Withheld::already_running, fmt::format("already runs {} ({})", fw->name, fw->device_md5()));
  // The seed's rule: a version string on both sides decides on its own.
  if (!r.version.empty() && !fw->version.empty() && r.version == fw->version)
    return withhold(Withheld::same_version, fmt::format("already runs version {}", fw->version));
  if (fw->kind == ImageKind::sketch && fw->size > r.free_space)
    return withhold(Withheld::too_large, fmt::format("{} is {} bytes; the device has {} bytes free", fw->name,
                                                     fw->size, r.free_space));
  if (r.chip_size != 0 && fw->flash_size > r.chip_size)
    return withhold(Withheld::wrong_flash, fmt::format("{} is built for a {} byte flash; the chip has {}", fw->name,
                                                       fw->flash_size, r.chip_size));
  if (in.enforce_security_version && fw->security_version < in.max_security_version)
    return withhold(Withheld::downgrade, fmt::format("{} has security version {}; the device has run {}", fw->name,
                                                     fw->security_version, in.max_security_version));
  return Decision{Answer::offer, Withheld::none, fmt::format("offer {} ({}) from {}", fw->name, fw->md5, target.source)};
}

}  // namespace otakit::server
