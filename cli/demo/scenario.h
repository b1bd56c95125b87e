// `otakit demo`'s one scenario, step by step: keys and images, the fleet server, the devices
// checking in, a push, a browser upload, two staged rollouts (one healthy, one that stops itself
// after its first rollback), the table, and the dashboard until Ctrl-C.
#pragma once
#include "cli/demo/demo_options.h"

namespace otakit::cli::demo {

// The exit code: 0 when everything happened as expected. Throws std::runtime_error naming the
// step that failed and the files to look at.
int run_demo(const DemoOptions& options);

}  // namespace otakit::cli::demo
