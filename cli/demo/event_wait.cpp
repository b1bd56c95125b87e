#include "cli/demo/event_wait.h"

#include <fmt/format.h>

#include <boost/asio/executor_work_guard.hpp>

#include <stdexcept>

namespace otakit::cli::demo {

void run_until(boost::asio::io_context& io, std::chrono::milliseconds timeout, const std::string& what,
               const std::string& hint, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // Without work the io_context would return at once and this loop would spin until the deadline.
  const auto keep_waiting = boost::asio::make_work_guard(io);
  while (!done()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline)
      throw std::runtime_error(fmt::format("{} did not happen within {} s; {}", what,
                                           std::chrono::duration_cast<std::chrono::seconds>(timeout).count(), hint));
    io.restart();  // run_one_for leaves it stopped when nothing was ready in time
    io.run_one_for(deadline - now);
  }
}

}  // namespace otakit::cli::demo
