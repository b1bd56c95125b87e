// Log lines that say whose they are. A Logger is a cheap value, a sink and an identity (a device
// such as "dev-127.0.1.5", an uploader's target host), that drivers get through their options, so
// one process with thousands of devices still tells their lines apart. The sink picks the levels.
#pragma once
#include <fmt/format.h>

#include <string>
#include <string_view>
#include <utility>

#include "core/proto/log_level.h"

namespace otakit::net {

using LogLevel = proto::LogLevel;

class LogSink {
 public:
  virtual ~LogSink() = default;
  // Whether a line of this level would be written; nothing is formatted for one that would not.
  virtual bool enabled(LogLevel level) const = 0;
  virtual void write(LogLevel level, std::string_view identity, std::string_view message) = 0;
};

class Logger {
 public:
  Logger() = default;  // writes nowhere
  Logger(LogSink* sink, std::string identity) : sink_(sink), identity_(std::move(identity)) {}

  // The same sink, lines in another name.
  Logger with_identity(std::string identity) const { return Logger(sink_, std::move(identity)); }
  const std::string& identity() const { return identity_; }
  bool enabled(LogLevel level) const { return sink_ != nullptr && sink_->enabled(level); }

  template <typename... Args>
  void log(LogLevel level, fmt::format_string<Args...> format, Args&&... args) const {
    if (enabled(level)) sink_->write(level, identity_, fmt::format(format, std::forward<Args>(args)...));
  }
  template <typename... Args>
  void trace(fmt::format_string<Args...> format, Args&&... args) const {
    log(LogLevel::trace, format, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void debug(fmt::format_string<Args...> format, Args&&... args) const {
    log(LogLevel::debug, format, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void info(fmt::format_string<Args...> format, Args&&... args) const {
    log(LogLevel::info, format, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void warn(fmt::format_string<Args...> format, Args&&... args) const {
    log(LogLevel::warn, format, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void error(fmt::format_string<Args...> format, Args&&... args) const {
    log(LogLevel::error, format, std::forward<Args>(args)...);
  }

 private:
  LogSink* sink_ = nullptr;
  std::string identity_;
};

}  // namespace otakit::net
