// Runs a program to completion for a benchmark and measures its wall time.
#pragma once
#include <string>
#include <vector>

namespace otakit::bench {

// argv[0] is looked up in PATH; stdout and stderr go to the file `log`. Returns milliseconds;
// throws std::runtime_error with the log's text when the program fails.
double run_timed(const std::vector<std::string>& args, const std::string& log);

}  // namespace otakit::bench
