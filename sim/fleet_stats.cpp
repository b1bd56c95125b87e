#include "sim/fleet_stats.h"

#include "core/pull/pull_session.h"

namespace otakit::sim {

const char* to_string(DeviceState state) {
  switch (state) {
    case DeviceState::off: return "off";
    case DeviceState::booting: return "booting";
    case DeviceState::idle: return "idle";
    case DeviceState::checking: return "checking";
    case DeviceState::downloading: return "downloading";
  }
  return "?";
}

const char* to_string(LastAnswer answer) {
  switch (answer) {
    case LastAnswer::none: return "none";
    case LastAnswer::up_to_date: return "up_to_date";
    case LastAnswer::kept_image: return "kept_image";
    case LastAnswer::no_target: return "no_target";
    case LastAnswer::withheld: return "withheld";
    case LastAnswer::staged: return "staged";
    case LastAnswer::failed: return "failed";
  }
  return "?";
}

const char* to_string(FailureCause cause) {
  switch (cause) {
    case FailureCause::connection: return "connection";
    case FailureCause::timeout: return "timeout";
    case FailureCause::server: return "server";
    case FailureCause::image: return "image";
    case FailureCause::power: return "power";
  }
  return "?";
}

FailureCause cause_of_pull_error(int32_t error) {
  namespace e = pull::error;
  switch (error) {
    case e::kConnectionFailed:
    case e::kSendHeaderFailed:
    case e::kConnectionLost:
    case e::kNoHttpServer: return FailureCause::connection;
    case e::kReadTimeout:
    case e::kStreamTimeout: return FailureCause::timeout;
    case e::kServerFaultyMd5:
    case e::kBinVerifyHeaderFailed:
    case e::kBinForWrongFlash: return FailureCause::image;
  }
  return error > 0 ? FailureCause::image : FailureCause::server;  // > 0: the Updater refused it
}

}  // namespace otakit::sim
