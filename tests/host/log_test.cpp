// Logger and its sinks: the level is checked before anything is formatted, the identity travels
// with every line, and the printing sinks show "identity: message" (spdlog at its level, plain
// lines on a stream), as the CLI's scripts read them.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <sstream>

#include "net/log.h"
#include "net/log_sinks.h"

namespace {

// Counts how often it was formatted.
struct Costly {
  int* formatted;
};

}  // namespace

template <>
struct fmt::formatter<Costly> : fmt::formatter<int> {
  template <typename Context>
  auto format(const Costly& c, Context& context) const {
    ++*c.formatted;
    return fmt::formatter<int>::format(42, context);
  }
};

namespace otakit::net {
namespace {

TEST(Logger, LinesBelowTheSinksLevelAreNeverFormatted) {
  CaptureSink sink(LogLevel::info);
  Logger log(&sink, "dev-1");
  int formatted = 0;
  log.debug("dropped {}", Costly{&formatted});
  log.trace("step {}", Costly{&formatted});
  EXPECT_EQ(formatted, 0);
  EXPECT_FALSE(log.enabled(LogLevel::debug));
  log.info("kept {}", Costly{&formatted});
  log.warn("kept {}", 2);
  log.error("kept {}", 3);
  EXPECT_EQ(formatted, 1);
  auto lines = sink.lines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].message, "kept 42");
  EXPECT_EQ(lines[1].level, LogLevel::warn);
  EXPECT_EQ(lines[2].level, LogLevel::error);
}

TEST(Logger, EveryLineCarriesTheIdentity) {
  CaptureSink sink;
  Logger device(&sink, "dev-127.0.1.5");
  Logger host = device.with_identity("192.168.4.20");
  device.log(LogLevel::warn, "espota: {}: {}", "10.0.0.9:50000", "wrong password");
  host.debug("listening on TCP {}:{}", "0.0.0.0", 40000);
  auto lines = sink.lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].identity, "dev-127.0.1.5");
  EXPECT_EQ(lines[0].message, "espota: 10.0.0.9:50000: wrong password");
  EXPECT_EQ(lines[1].identity, "192.168.4.20") << "with_identity keeps the sink, changes the name";
  EXPECT_EQ(lines[1].level, LogLevel::debug);
  EXPECT_EQ(device.identity(), "dev-127.0.1.5");
}

TEST(Logger, ADefaultLoggerWritesNowhere) {
  Logger quiet;
  int formatted = 0;
  quiet.error("{}", Costly{&formatted});
  EXPECT_FALSE(quiet.enabled(LogLevel::error));
  EXPECT_EQ(formatted, 0);
}

TEST(LogSinks, PrintedLinesLeadWithTheIdentityWhenThereIsOne) {
  EXPECT_EQ(log_line("dev-127.0.1.5", "espota: listening"), "dev-127.0.1.5: espota: listening");
  EXPECT_EQ(log_line("", "ota: end, image staged"), "ota: end, image staged");
}

TEST(LogSinks, LineSinkWritesEveryLevelAsOnePlainLine) {
  char* text = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&text, &size);
  ASSERT_NE(out, nullptr);
  LineSink sink(out);
  EXPECT_TRUE(sink.enabled(LogLevel::trace));
  Logger(&sink, "").info("ota: {}% ({} of {} bytes)", 25, 100, 400);
  Logger(&sink, "dev-2").trace("ota: start ({})", "firmware");
  std::fclose(out);
  EXPECT_EQ(std::string(text, size), "ota: 25% (100 of 400 bytes)\ndev-2: ota: start (firmware)\n");
  std::free(text);
}

// Through a default logger of our own, with the pattern showing the level and the text.
TEST(LogSinks, SpdlogSinkFollowsSpdlogsLevelAndMapsOurs) {
  std::ostringstream out;
  auto previous = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::ostream_sink_st>(out));
  logger->set_pattern("[%l] %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::info);
  SpdlogSink sink;
  Logger log(&sink, "");
  EXPECT_FALSE(log.enabled(LogLevel::debug));
  log.debug("espota: dropped a datagram");
  log.info("espota: listening on UDP {}:{}", "127.0.0.1", 8266);
  log.with_identity("dev-9").error("espota: {}", "gone");
  spdlog::set_default_logger(previous);
  EXPECT_EQ(out.str(), "[info] espota: listening on UDP 127.0.0.1:8266\n[error] dev-9: espota: gone\n");
}

}  // namespace
}  // namespace otakit::net
