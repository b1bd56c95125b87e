// Process exit codes shared by all subcommands (documented in docs/cli.md).
#pragma once

namespace otakit::cli {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;       // the operation ran and failed (bad signature, device error)
constexpr int kExitUsage = 2;         // wrong flags or arguments
constexpr int kExitInputError = 3;    // an input file is missing, unreadable or malformed
constexpr int kExitNoAnswer = 4;      // network: the device did not answer the invitation
constexpr int kExitAuthFailed = 5;    // network: the password was refused
constexpr int kExitTransferFailed = 6;// network: the connection broke or timed out during transfer
constexpr int kExitDeviceRejected = 7;// network: the device reported an error (ERROR[n] / ERR)
// network: the peer answered with bytes that are not espota (espota.py's "Bad Answer").
constexpr int kExitProtocolError = 8;

const char* exit_code_name(int code);

}  // namespace otakit::cli
