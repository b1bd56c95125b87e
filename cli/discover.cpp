// `otakit discover`: lists the espota devices that advertise `_arduino._tcp` over mDNS on one
// interface (name, address, port, board, auth), as a table or as JSON.
#include <fmt/core.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/command_failure.h"
#include "cli/commands.h"
#include "net/log_sinks.h"
#include "net/mdns_discovery.h"

namespace otakit::cli {
namespace {

struct DiscoverOptions {
  std::string interface_address;
  double timeout_seconds = 3.0;
  bool json = false;
};

std::string auth_text(const std::optional<bool>& auth) {
  if (!auth) return "?";
  return *auth ? "yes" : "no";
}

nlohmann::json to_json(const net::DiscoveryResult& result) {
  nlohmann::json devices = nlohmann::json::array();
  for (const net::DiscoveredDevice& d : result.devices) {
    nlohmann::json txt = nlohmann::json::object();
    for (const auto& [key, value] : d.txt) txt[key] = value;
    devices.push_back({{"name", d.name},
                       {"hostname", d.hostname},
                       {"address", d.address},
                       {"port", d.port},
                       {"board", d.board},
                       {"auth", d.auth ? nlohmann::json(*d.auth) : nlohmann::json(nullptr)},
                       {"txt", txt}});
  }
  return {{"interface", result.interface_name},
          {"interface_address", result.interface_address},
          {"devices", devices},
          {"incomplete", result.incomplete}};
}

void print_table(const net::DiscoveryResult& result) {
  std::size_t name_width = 4;
  std::size_t board_width = 5;
  for (const net::DiscoveredDevice& d : result.devices) {
    name_width = std::max(name_width, d.name.size());
    board_width = std::max(board_width, d.board.size());
  }
  fmt::print("{:<{}}  {:<15}  {:>5}  {:<{}}  {}\n", "NAME", name_width, "ADDRESS", "PORT", "BOARD", board_width,
             "AUTH");
  for (const net::DiscoveredDevice& d : result.devices)
    fmt::print("{:<{}}  {:<15}  {:>5}  {:<{}}  {}\n", d.name, name_width, d.address, d.port, d.board, board_width,
               auth_text(d.auth));
}

int run_discover(const DiscoverOptions& o) {
  net::SpdlogSink sink;
  net::DiscoveryOptions options;
  options.interface_address = o.interface_address;
  options.timeout = std::chrono::milliseconds(long(o.timeout_seconds * 1000));
  options.log = net::Logger(&sink, "");
  net::DiscoveryResult result;
  try {
    result = net::discover_devices(options);
  } catch (const std::system_error& e) {
    throw CommandFailure(kExitFailure,
                         std::string(e.what()) + " (another program may hold UDP 5353 without SO_REUSEADDR)");
  } catch (const std::runtime_error& e) {
    throw CommandFailure(kExitUsage, e.what());
  }
  if (o.json) {
    // Names and TXT values are bytes from the network: replace what is not UTF-8 rather than fail.
    fmt::print("{}\n", to_json(result).dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
  } else {
    print_table(result);
  }
  if (result.devices.empty())
    fmt::print(stderr, "otakit discover: no device answered on {} ({}) within {} s\n", result.interface_name,
               result.interface_address, o.timeout_seconds);
  if (result.incomplete > 0)
    fmt::print(stderr, "otakit discover: {} more device(s) answered only in part (no address or port)\n",
               result.incomplete);
  return kExitOk;
}

}  // namespace

void add_discover_command(CLI::App& app, RunState& state) {
  auto o = std::make_shared<DiscoverOptions>();
  CLI::App* cmd = app.add_subcommand(
      "discover",
      "Find devices that advertise espota over mDNS (_arduino._tcp, as ArduinoOTA does) on ONE\n"
      "interface and list name, address, port, board and whether they want a password.\n"
      "  otakit discover --interface-address 192.168.1.20 --timeout 5\n"
      "  otakit discover --json | jq -r '.devices[].address'\n"
      "Exit 0 even when nothing answers (the message goes to stderr); 2 for a bad interface address.");
  cmd->add_option("--interface-address", o->interface_address,
                  "IPv4 address of the interface to query on (default: the first up, multicast-capable,\n"
                  "non-loopback interface)");
  cmd->add_option("--timeout", o->timeout_seconds, "Seconds to listen for answers")
      ->check(CLI::Range(0.1, 600.0))
      ->capture_default_str();
  cmd->add_flag("--json", o->json, "Print {interface, interface_address, devices:[...], incomplete} as JSON");
  cmd->callback([o, &state] { state.exit_code = run_reporting("discover", [&] { return run_discover(*o); }); });
}

}  // namespace otakit::cli
