// `otakit demo`: the whole system in one process and one command, on embedded defaults: a fleet
// server, a small fleet of virtual ESP8266s, and one update by each path (espota push, browser
// upload, staged rollouts with a rollback), watched live and checked at the end.
#include <fmt/core.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "cli/command_failure.h"
#include "cli/commands.h"
#include "cli/demo/demo_options.h"
#include "cli/demo/scenario.h"

namespace otakit::cli {
namespace {

int run(const demo::DemoOptions& o) {
  if (o.devices < demo::kMinDevices)
    throw CommandFailure(kExitUsage, fmt::format("--devices {}: the scenario needs at least {} (a push, a browser "
                                                 "upload and two devices in each rollout group)",
                                                 o.devices, demo::kMinDevices));
  try {
    return demo::run_demo(o);
  } catch (const std::exception& e) {
    if (o.json) fmt::print("{}\n", nlohmann::json{{"ok", false}, {"error", e.what()}}.dump(2));
    throw;
  }
}

}  // namespace

void add_demo_command(CLI::App& app, RunState& state) {
  auto o = std::make_shared<demo::DemoOptions>();
  CLI::App* cmd = app.add_subcommand("demo", "Watch a fleet update itself: push, browser upload, staged rollouts");
  cmd->footer(
      "Runs, in this process and on loopback only: the fleet server (SQLite, a signed fleet), a new\n"
      "RSA-2048 key pair and two signed firmware versions (1.0.0 and 2.0.0), and --devices virtual\n"
      "ESP8266s (127.0.1.1, 127.0.1.2, ...) that boot 1.0.0 and check the server every second. Then:\n"
      "  dev-1     gets 2.0.0 by an espota push (otakit upload's uploader, with a password)\n"
      "  dev-2     gets it through its browser upload page (otakit upload --url's multipart POST)\n"
      "  field-a   (about half the rest) gets it from a staged rollout, 50% then 100%\n"
      "  field-b   fails its post-boot check under 2.0.0: its first device rolls back, which\n"
      "            stops field-b's rollout, and its other devices are never offered 2.0.0\n"
      "Each event shows as it happens, then a table of every device (path, versions, time, result).\n"
      "The demo checks the results itself: exit 0 means it all went as it should. Then it prints the\n"
      "dashboard's URL and a token and keeps running until Ctrl-C (not with --no-wait).\n"
      "Its folder (--dir) is emptied at every start and keeps the keys, images, devices.log and the\n"
      "server's data and log.\n\n"
      "Examples:\n"
      "  otakit demo                                # then open http://127.0.0.1:18070/\n"
      "  otakit demo --devices 20 --port 0          # more devices, any free port\n"
      "  otakit demo --no-wait --json > result.json # for scripts: the table as JSON, then exit");
  cmd->add_option("--port", o->port, "The fleet server's port on 127.0.0.1 (0: any free one)")->capture_default_str();
  cmd->add_option("--dir", o->dir, "The demo's folder, emptied at start")->capture_default_str();
  cmd->add_option("--devices", o->devices, "How many devices (at least 6)")
      ->check(CLI::Range(1, 250))
      ->capture_default_str();
  cmd->add_option("--step-timeout", o->step_timeout_s, "Seconds any one step may take before the demo gives up")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  cmd->add_flag("--no-wait", o->no_wait, "Exit after the table instead of serving the dashboard");
  cmd->add_flag("--json", o->json, "Print the table as JSON on stdout (the live view goes to stderr)");
  cmd->callback([o, &state] { state.exit_code = run_reporting("demo", [&] { return run(*o); }); });
}

}  // namespace otakit::cli
