// `otakit device --update-url URL` (a device that pulls its updates) and `otakit device pull`
// (one pull, then exit with its result): the flags, the progress bar, the exit codes.
#pragma once
#include <CLI/CLI.hpp>

#include "device/device_runtime.h"
#include "net/pull_client.h"

namespace otakit::cli {

// The pull flags. With `prefix` "update-" they read --update-url, --update-fs ... as options of
// `otakit device`; with "" they are --url, --fs ... of `otakit device pull`. The trust and
// redirect flags are the same for both.
void add_pull_flags(CLI::App* cmd, device::PullServiceConfig& pull, const std::string& prefix);

// Boots the device in `runtime`, pulls once from runtime.services->pull (rebooting into a
// staged sketch), prints the result (JSON with json) and returns the exit code.
int run_device_pull(device::RuntimeConfig runtime, bool json);

// 0 for an update or no update; otherwise the class of the failure (docs/cli.md).
int pull_exit_code(const net::PullOutcome& outcome);

}  // namespace otakit::cli
