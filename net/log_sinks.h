// Where log lines go: spdlog (the CLI's format and --log-level), plain lines on a stdio stream
// (what a sketch prints on its serial port), or memory (tests, simulations).
#pragma once
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "net/log.h"

namespace otakit::net {

// How the sinks that print show a line: "identity: message", or the message alone.
std::string log_line(std::string_view identity, std::string_view message);

// Through spdlog's default logger, at its level; the identity leads the line when there is one.
class SpdlogSink final : public LogSink {
 public:
  bool enabled(LogLevel level) const override;
  void write(LogLevel level, std::string_view identity, std::string_view message) override;
};

// Every level, one flushed line each, nothing added but the identity: scripts grep these.
class LineSink final : public LogSink {
 public:
  explicit LineSink(std::FILE* out) : out_(out) {}
  bool enabled(LogLevel) const override { return true; }
  void write(LogLevel level, std::string_view identity, std::string_view message) override;

 private:
  std::FILE* out_;
};

// Keeps the lines at or above a level; safe to read from another thread than the writer's.
class CaptureSink final : public LogSink {
 public:
  struct Line {
    LogLevel level;
    std::string identity;
    std::string message;
  };

  explicit CaptureSink(LogLevel lowest = LogLevel::trace) : lowest_(lowest) {}
  bool enabled(LogLevel level) const override { return level >= lowest_; }
  void write(LogLevel level, std::string_view identity, std::string_view message) override;
  std::vector<Line> lines() const;

 private:
  const LogLevel lowest_;
  mutable std::mutex mutex_;
  std::vector<Line> lines_;
};

}  // namespace otakit::net
