#include "cli/exit_codes.h"

namespace otakit::cli {

const char* exit_code_name(int code) {
  switch (code) {
    case kExitOk: return "ok";
    case kExitFailure: return "failed";
    case kExitUsage: return "usage";
    case kExitInputError: return "input-error";
    case kExitNoAnswer: return "no-answer";
    case kExitAuthFailed: return "auth-failed";
    case kExitTransferFailed: return "transfer-failed";
    case kExitDeviceRejected: return "device-rejected";
    case kExitProtocolError: return "protocol-error";
  }
  return "unknown";
}

}  // namespace otakit::cli
