#include "net/log_sinks.h"

#include <spdlog/spdlog.h>

namespace otakit::net {
namespace {

spdlog::level::level_enum spdlog_level(LogLevel level) {
  switch (level) {
    case LogLevel::trace: return spdlog::level::trace;
    case LogLevel::debug: return spdlog::level::debug;
    case LogLevel::info: return spdlog::level::info;
    case LogLevel::warn: return spdlog::level::warn;
    case LogLevel::error: return spdlog::level::err;
  }
  return spdlog::level::info;
}

}  // namespace

std::string log_line(std::string_view identity, std::string_view message) {
  if (identity.empty()) return std::string(message);
  std::string line;
  line.reserve(identity.size() + 2 + message.size());
  return line.append(identity).append(": ").append(message);
}

bool SpdlogSink::enabled(LogLevel level) const { return spdlog::should_log(spdlog_level(level)); }

void SpdlogSink::write(LogLevel level, std::string_view identity, std::string_view message) {
  spdlog::log(spdlog_level(level), "{}", log_line(identity, message));
}

void LineSink::write(LogLevel, std::string_view identity, std::string_view message) {
  std::string line = log_line(identity, message) + "\n";
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

void CaptureSink::write(LogLevel level, std::string_view identity, std::string_view message) {
  std::lock_guard<std::mutex> lock(mutex_);
  lines_.push_back({level, std::string(identity), std::string(message)});
}

std::vector<CaptureSink::Line> CaptureSink::lines() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return lines_;
}

}  // namespace otakit::net
