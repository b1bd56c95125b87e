// Errors that carry their exit code, and the one place that turns them into a message on
// stderr ("otakit <command>: <reason>") and the process exit code.
#pragma once
#include <fmt/core.h>

#include <stdexcept>
#include <string>

#include "cli/exit_codes.h"

namespace otakit::cli {

struct CommandFailure : std::runtime_error {
  CommandFailure(int code, const std::string& what) : std::runtime_error(what), exit_code(code) {}
  int exit_code;
};

// Runs body() (which returns an exit code) and reports any exception it throws.
template <class Body>
int run_reporting(const char* command, Body&& body) {
  try {
    return body();
  } catch (const CommandFailure& f) {
    fmt::print(stderr, "otakit {}: {}\n", command, f.what());
    return f.exit_code;
  } catch (const std::exception& e) {
    fmt::print(stderr, "otakit {}: {}\n", command, e.what());
    return kExitFailure;
  }
}

}  // namespace otakit::cli
