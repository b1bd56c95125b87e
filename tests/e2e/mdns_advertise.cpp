// Test tool: runs one MdnsAdvertiser (as the virtual device will) until SIGTERM/SIGINT or a time
// limit, then says goodbye. Prints "announced <hostname>" once probing is over, for scripts to wait on.
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdio>
#include <functional>

#include "net/log_sinks.h"
#include "net/mdns_service.h"

int main(int argc, char** argv) {
  CLI::App app{"Advertise one espota device over mDNS (test tool for tests/e2e/mdns_netns.sh)."};
  otakit::net::MdnsAdvertiserConfig config;
  double seconds = 30;
  app.add_option("--interface-address", config.interface_address, "Device IPv4 address")->required();
  app.add_option("--hostname", config.hostname, "Hostname / instance name")->required();
  app.add_option("--port", config.port, "espota port for the SRV record");
  app.add_option("--board", config.board, "TXT board=");
  app.add_flag("--auth", config.auth, "TXT auth_upload=yes");
  app.add_option("--seconds", seconds, "Stop after this long")->check(CLI::Range(0.1, 3600.0));
  CLI11_PARSE(app, argc, argv);

  boost::asio::io_context io;
  otakit::net::SteadyClock clock;
  otakit::net::SpdlogSink log;
  config.log = otakit::net::Logger(&log, "");
  otakit::net::MdnsAdvertiser advertiser(io, clock, config);
  try {
    advertiser.start();
  } catch (const std::exception& e) {
    fmt::print(stderr, "mdns_advertise: {}\n", e.what());
    return 1;
  }
  auto stop = [&] {
    advertiser.stop();
    io.stop();
  };
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) stop();
  });
  boost::asio::steady_timer limit(io, std::chrono::milliseconds(long(seconds * 1000)));
  limit.async_wait([&](const boost::system::error_code& ec) {
    if (!ec) stop();
  });
  // Polls the announced state every 50 ms until it is reached, then prints it once.
  boost::asio::steady_timer poll(io);
  std::function<void()> wait_announced = [&] {
    if (advertiser.announced()) {
      fmt::print("announced {}\n", advertiser.hostname());
      std::fflush(stdout);
      return;
    }
    poll.expires_after(std::chrono::milliseconds(50));
    poll.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) wait_announced();
    });
  };
  wait_announced();
  io.run();
  fmt::print("stopped {}\n", advertiser.hostname());
  return 0;
}
