// Runs a helper program (openssl, ip) for a benchmark with its output discarded.
#pragma once
#include <string>
#include <vector>

namespace otakit::bench {

// argv[0] is looked up in PATH; returns the exit code, or -1 if it could not run or was killed.
int run_quiet(const std::vector<std::string>& args);

}  // namespace otakit::bench
