// The demo's folder is wiped at every start, so it must be one the demo made: a folder that holds
// anything else is refused instead of emptied.
#pragma once
#include <string>

namespace otakit::cli::demo {

// Creates dir (with its parents) empty, and marks it as the demo's. Throws std::runtime_error for
// a folder that is not empty and not marked, or one that cannot be made.
void prepare_demo_folder(const std::string& dir);

}  // namespace otakit::cli::demo
