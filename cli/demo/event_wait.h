// Waiting in the demo: the io_context runs the devices' handlers until what the step waits for
// has happened or its deadline passed; nothing sleeps, and no wait is without an end.
#pragma once
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <string>

namespace otakit::cli::demo {

// Runs handlers until done() is true (checked after each one, and first of all). On the deadline
// it throws std::runtime_error: "<what> did not happen within N s; <hint>". Each call of done()
// may look at more than memory (the rollout watcher asks the server), so it is called after a
// handler, never in a spin.
void run_until(boost::asio::io_context& io, std::chrono::milliseconds timeout, const std::string& what,
               const std::string& hint, const std::function<bool()>& done);

}  // namespace otakit::cli::demo
