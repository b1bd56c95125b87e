// Each subcommand registers itself on the root app; its callback stores the process exit code.
#pragma once
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace otakit::cli {

struct RunState {
  int exit_code = 0;
};

// Registration functions, one per file in cli/ (keep in the order of `otakit --help`).
#define OTAKIT_COMMANDS(X) \
  X(sign)                  \
  X(keygen)                \
  X(verify)                \
  X(inspect)               \
  X(mkimage)               \
  X(device)                \
  X(upload)                \
  X(discover)              \
  X(server)                \
  X(publish)               \
  X(rollout)               \
  X(devices)               \
  X(fleet)                 \
  X(demo)

#define OTAKIT_DECLARE_COMMAND(name) void add_##name##_command(CLI::App& app, RunState& state);
OTAKIT_COMMANDS(OTAKIT_DECLARE_COMMAND)
#undef OTAKIT_DECLARE_COMMAND

}  // namespace otakit::cli
