// Running programs for a benchmark (in the background, or to completion with its wall time)
// and the median of its rounds.
#pragma once
#include <sys/types.h>

#include <string>
#include <vector>

namespace otakit::bench {

// Starts argv (looked up in PATH) with stdout and stderr in the file `log`; -1 if it cannot run.
pid_t spawn_logged(const std::vector<std::string>& args, const std::string& log);

// argv[0] is looked up in PATH; stdout and stderr go to the file `log`. Returns milliseconds;
// throws std::runtime_error with the log's text when the program fails.
double run_timed(const std::vector<std::string>& args, const std::string& log);

double median(std::vector<double> values);

}  // namespace otakit::bench
