// `otakit fleet`: N virtual devices in one process, each the real device code (boot path,
// Updater, pull client) on flash whose sectors are shared by content, checking a server for
// updates with jitter, with faults at the rates asked for. A live line each second; at the end
// the devices per state, updates per second, failures by cause and the RSS per device.
#include <fmt/core.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/command_failure.h"
#include "cli/commands.h"
#include "device/virtual_device.h"
#include "files/file_io.h"
#include "host/image_builder.h"
#include "sim/fleet.h"

namespace otakit::cli {
namespace {

struct FleetOptions {
  sim::FleetConfig config;
  std::string factory_path;
  uint32_t factory_size = 200000;
  std::string public_key;
  double interval_s = 10, http_timeout_s = 5;
  bool until_updated = false;
  double timeout_s = 600, duration_s = 0;
  std::string report_path;
  bool json = false, quiet = false;
};

std::string state_counts(const sim::FleetSnapshot& s) {
  std::string out;
  for (int i = 0; i < sim::kDeviceStates; ++i)
    if (s.per_state[i] > 0) out += fmt::format(", {} {}", s.per_state[i], sim::to_string(sim::DeviceState(i)));
  return out;
}

std::string failure_counts(const sim::FleetSnapshot& s) {
  std::string out;
  for (int i = 0; i < sim::kFailureCauses; ++i)
    if (s.failures[i] > 0) out += fmt::format("{}{} {}", out.empty() ? "" : ", ", sim::to_string(sim::FailureCause(i)), s.failures[i]);
  if (s.health_failures > 0) out += fmt::format("{}health {}", out.empty() ? "" : ", ", s.health_failures);
  return out.empty() ? "none" : out;
}

std::string live_line(const sim::FleetSnapshot& s) {
  const std::string kept = s.kept_image > 0 ? fmt::format(", {} kept their image", s.kept_image) : "";
  return fmt::format("[{:6.1f}s] {} devices: {} up to date{}{} | checks {} | updates {} ({:.1f}/s) | failures: {} | "
                     "{:.1f} KiB RSS/device",
                     s.seconds, s.devices, s.up_to_date, kept, state_counts(s), s.checks, s.updates,
                     s.seconds > 0 ? double(s.updates) / s.seconds : 0.0, failure_counts(s), s.rss_per_device_kib);
}

nlohmann::json summary_json(const sim::FleetSnapshot& s, const std::string& result, unsigned threads) {
  nlohmann::json states, failures;
  for (int i = 0; i < sim::kDeviceStates; ++i) states[sim::to_string(sim::DeviceState(i))] = s.per_state[i];
  for (int i = 0; i < sim::kFailureCauses; ++i) failures[sim::to_string(sim::FailureCause(i))] = s.failures[i];
  failures["health"] = s.health_failures;
  return {{"result", result},
          {"devices", s.devices},
          {"threads", threads},
          {"seconds", s.seconds},
          {"up_to_date", s.up_to_date},
          {"kept_image", s.kept_image},
          {"states", states},
          {"checks", s.checks},
          {"checks_per_second", s.seconds > 0 ? double(s.checks) / s.seconds : 0.0},
          {"downloads", s.downloads},
          {"staged", s.staged},
          {"resumes", s.resumes},
          {"updates", s.updates},
          {"updates_per_second", s.seconds > 0 ? double(s.updates) / s.seconds : 0.0},
          {"rollbacks", s.rollbacks},
          {"power_cuts", s.power_cuts},
          {"link", {{"dropped", s.dropped}, {"stalled", s.stalled}, {"slowed", s.slowed}}},
          {"failures", failures},
          {"shared_flash_mib", double(s.pool_bytes) / (1024.0 * 1024.0)},
          {"rss_per_device_kib", s.rss_per_device_kib}};
}

void write_report(const std::string& path, const std::vector<sim::DeviceRecord>& records) {
  nlohmann::json devices = nlohmann::json::array();
  for (const sim::DeviceRecord& r : records)
    devices.push_back({{"chip_id", r.chip_id}, {"mac", r.sta_mac}, {"version", r.version}, {"md5", r.md5},
                       {"on_trial", r.on_trial}, {"boots", r.boots}, {"updates", r.updates},
                       {"rollbacks", r.rollbacks}, {"power_cuts", r.power_cuts},
                       {"health_failures", r.health_failures}, {"last_answer", sim::to_string(r.last_answer)}});
  const std::string text = nlohmann::json{{"devices", devices}}.dump(1) + "\n";
  files::write_file_atomic(path, std::vector<uint8_t>(text.begin(), text.end()));
}

int run_fleet(FleetOptions& o) {
  sim::FleetConfig& c = o.config;
  c.interval_ms = uint32_t(o.interval_s * 1000);
  c.http_timeout_ms = uint32_t(o.http_timeout_s * 1000);
  if (!o.factory_path.empty()) {
    c.factory = files::read_file(o.factory_path);
  } else {
    host::ImageSpec spec;
    spec.total_size = o.factory_size;
    spec.version = "1.0.0";
    spec.seed = c.seed;
    c.factory = host::build_esp_image(spec);
  }
  std::unique_ptr<crypto::RsaPublicKey> key;
  std::unique_ptr<crypto::RsaSha256Verifier> verifier;
  if (!o.public_key.empty()) {
    key = std::make_unique<crypto::RsaPublicKey>(device::load_public_key(o.public_key));
    verifier = std::make_unique<crypto::RsaSha256Verifier>(*key, crypto::RsaPadding::pkcs1_sha256);
    c.verifier = verifier.get();
  }
  std::unique_ptr<sim::Fleet> fleet;
  try {
    fleet = std::make_unique<sim::Fleet>(c);
  } catch (const std::invalid_argument& e) {
    throw CommandFailure(kExitUsage, e.what());
  }
  if (!o.quiet)
    fmt::print(stderr, "otakit fleet: {} devices on {} event loop{}, checking {} every {:g} s (+-{:.0f}%)\n", c.devices,
               fleet->threads(), fleet->threads() == 1 ? "" : "s", c.update_url, o.interval_s, c.jitter * 100);
  fleet->start();

  // The view's own loop: a tick every 250 ms (a live line every second), Ctrl-C, the deadlines.
  boost::asio::io_context view;
  boost::asio::signal_set signals(view, SIGINT, SIGTERM);
  boost::asio::steady_timer tick(view);
  std::string result = "running";
  const auto started = std::chrono::steady_clock::now();
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) result = "interrupted";
    tick.cancel();
  });
  int ticks = 0;
  std::function<void()> on_tick = [&] {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (o.until_updated && fleet->all_settled()) result = "updated";
    else if (o.until_updated && elapsed >= o.timeout_s) result = "timeout";
    else if (o.duration_s > 0 && elapsed >= o.duration_s) result = "duration";
    if (result != "running") return signals.cancel();
    if (!o.quiet && ++ticks % 4 == 0) fmt::print(stderr, "{}\n", live_line(fleet->snapshot()));
    tick.expires_after(std::chrono::milliseconds(250));
    tick.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) on_tick();
    });
  };
  on_tick();
  view.run();

  const sim::FleetSnapshot last = fleet->snapshot();
  fleet->stop();
  if (!o.report_path.empty()) write_report(o.report_path, fleet->records());
  if (o.json) {
    fmt::print("{}\n", summary_json(last, result, fleet->threads()).dump(2));
  } else {
    fmt::print("{}\n", live_line(last));
    fmt::print("result: {} after {:.1f} s; {} of {} devices up to date; {} checks ({:.0f}/s); {} updates, {} rollbacks, "
               "{} power cuts; link: {} dropped, {} stalled, {} slowed, {} downloads resumed; shared flash {:.1f} MiB\n",
               result, last.seconds, last.up_to_date, last.devices, last.checks,
               last.seconds > 0 ? double(last.checks) / last.seconds : 0.0, last.updates, last.rollbacks,
               last.power_cuts, last.dropped, last.stalled, last.slowed, last.resumes, double(last.pool_bytes) / (1024.0 * 1024.0));
  }
  if (result == "timeout") {
    fmt::print(stderr,
               "otakit fleet: {} of {} devices run their target after {:g} s: see the server's rollout status "
               "(otakit rollout status) or raise --timeout\n",
               last.up_to_date, last.devices, o.timeout_s);
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

void add_fleet_command(CLI::App& app, RunState& state) {
  auto o = std::make_shared<FleetOptions>();
  CLI::App* cmd = app.add_subcommand("fleet", "Simulate many devices pulling updates from a server");
  cmd->footer(
      "Runs N devices in this process, each the same device code as `otakit device` (boot path,\n"
      "Updater, pull client, trial boot and rollback), each with its own chip id and MACs from\n"
      "--seed. Their flash is stored by sector content and shared, so 10,000 devices with the same\n"
      "images cost little memory. Each device checks --update-url after boot and then every\n"
      "--interval seconds (+-jitter), and reboots in-process into what it stages.\n"
      "Faults, each a probability: --power-cut-rate (per update, at a random flash operation of\n"
      "the download or the swap), --drop-rate, --stall-rate, --slow-rate (per connection, through a\n"
      "relay between the devices and the server), --health-fail-rate (per device and new image:\n"
      "its post-boot check fails and it rolls back).\n"
      "With --until-updated it exits 0 once every device's last check says it runs the server's\n"
      "target (otakit server's x-OTAKit-withheld: already_running), or keeps its image because its\n"
      "rollout counted it as failed (failed_here); 1 at --timeout.\n"
      "  otakit fleet --devices 1000 --update-url http://127.0.0.1:8070/update --interval 2\n"
      "  otakit fleet --devices 200 --update-url http://127.0.0.1:8070/update --until-updated \\\n"
      "      --power-cut-rate 0.05 --drop-rate 0.05 --health-fail-rate 0.02 --report devices.json");
  cmd->add_option("--devices", o->config.devices, "How many devices")->capture_default_str()->check(CLI::Range(1, 1000000));
  cmd->add_option("--update-url", o->config.update_url, "The server's update URL (ESPhttpUpdate.update's)")->required();
  cmd->add_option("--factory", o->factory_path, "The image every device starts with (default: a generated 1.0.0)");
  cmd->add_option("--factory-size", o->factory_size, "Size of the generated factory image")
      ->capture_default_str()->transform(CLI::AsSizeValue(false));
  cmd->add_option("--public-key", o->public_key, "Devices accept only images signed for this key (PEM)");
  cmd->add_option("--layout", o->config.layout, "Flash layout of every device")->capture_default_str();
  cmd->add_option("--seed", o->config.seed, "Seed of identities, jitter and faults")->capture_default_str();
  cmd->add_option("--interval", o->interval_s, "Seconds between checks")->capture_default_str()->check(CLI::Range(0.05, 86400.0));
  cmd->add_option("--jitter", o->config.jitter, "Spread of each wait, 0..1 of the interval")
      ->capture_default_str()->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--threads", o->config.threads, "Event loops (default: one per core)");
  cmd->add_option("--http-timeout", o->http_timeout_s, "Seconds a device waits to connect, for a head, between body bytes")
      ->capture_default_str()->check(CLI::Range(0.1, 600.0));
  auto rate = CLI::Range(0.0, 1.0);
  cmd->add_option("--power-cut-rate", o->config.faults.power_cut, "Per update")->check(rate);
  cmd->add_option("--drop-rate", o->config.faults.drop, "Per connection")->check(rate);
  cmd->add_option("--stall-rate", o->config.faults.stall, "Per connection")->check(rate);
  cmd->add_option("--slow-rate", o->config.faults.slow, "Per connection")->check(rate);
  cmd->add_option("--slow-speed", o->config.faults.slow_bytes_per_s, "Bytes per second of a slowed connection")
      ->capture_default_str()->transform(CLI::AsSizeValue(false));
  cmd->add_option("--health-fail-rate", o->config.faults.health_fail, "Per device and new image")->check(rate);
  cmd->add_flag("--until-updated", o->until_updated, "Exit once every device runs the server's target for it");
  cmd->add_option("--timeout", o->timeout_s, "Seconds --until-updated waits before it fails")->capture_default_str();
  cmd->add_option("--duration", o->duration_s, "Stop after this many seconds (default: at Ctrl-C)");
  cmd->add_option("--report", o->report_path, "Write every device's own account (JSON) to this file at the end");
  cmd->add_flag("--json", o->json, "The final summary as JSON on stdout");
  cmd->add_flag("-q,--quiet", o->quiet, "No live lines on stderr");
  cmd->callback([o, &state] { state.exit_code = run_reporting("fleet", [&] { return run_fleet(*o); }); });
}

}  // namespace otakit::cli
