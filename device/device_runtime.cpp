#include "device/device_runtime.h"

#include <fmt/format.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <memory>

#include "device/control_server.h"
#include "device/device_errors.h"
#include "device/device_lock.h"
#include "device/device_state.h"
#include "device/pull_setup.h"
#include "platform/posix/server_identity.h"

namespace otakit::device {
namespace {

// What the sketch's ArduinoOTA callbacks print on its serial port: the "ota: ..." lines.
net::EspotaHooks sketch_callbacks(const net::Logger& console) {
  auto last_percent = std::make_shared<uint32_t>(0);
  net::EspotaHooks hooks;
  hooks.on_start = [last_percent, console](espota::Command command) {
    *last_percent = 0;
    console.info("ota: start ({})", command == espota::Command::filesystem ? "filesystem" : "firmware");
  };
  hooks.on_progress = [last_percent, console](uint32_t done, uint32_t total) {
    uint32_t percent = total == 0 ? 0 : uint32_t(uint64_t(done) * 100 / total);
    if (percent >= *last_percent + 25 || (done == total && *last_percent != 100)) {
      *last_percent = percent;
      console.info("ota: {}% ({} of {} bytes)", percent, done, total);
    }
  };
  hooks.on_end = [console] { console.info("ota: end, image staged"); };
  hooks.on_error = [console](espota::OtaError error, const std::string& message) {
    console.info("ota: error ({}): {}", espota::describe(error), message);
  };
  hooks.reboot = [console] { console.info("rebooting"); };
  return hooks;
}

// The same lines for the upload page's hooks ("web: ..."); its total is an upper bound, so the
// progress lines are in bytes only.
net::HttpUpdateHooks web_callbacks(const net::Logger& console) {
  auto next_report = std::make_shared<uint32_t>(0);
  net::HttpUpdateHooks hooks;
  hooks.on_start = [next_report, console](UpdateCommand command) {
    *next_report = 256 * 1024;
    console.info("web: start ({})", command == UpdateCommand::filesystem ? "filesystem" : "firmware");
  };
  hooks.on_progress = [next_report, console](uint32_t done, uint32_t) {
    if (done < *next_report) return;
    *next_report += 256 * 1024;
    console.info("web: {} bytes received", done);
  };
  hooks.on_end = [console] { console.info("web: end, image staged"); };
  hooks.on_error = [console](const std::string& message) { console.info("web: error: {}", message); };
  hooks.reboot = [console] { console.info("rebooting"); };
  return hooks;
}

std::string mdns_interface(const NetworkServicesConfig& ota) {
  return ota.mdns_interface_address.empty() ? ota.bind_address : ota.mdns_interface_address;
}

// The pull client's part of the attachment; the CA certificates go to `anchors`, which must
// outlive the device.
void add_pull(NetworkAttachment& network, const RuntimeConfig& config, std::optional<posix::TrustAnchors>& anchors) {
  PullSetup setup = pull_setup_for(*config.services->pull, config.log);
  anchors = std::move(setup.anchors);
  if (anchors) setup.options.client.trust.anchors = anchors->data();
  // One pull, started by run_device after the boot, not again after the reboot it brings.
  if (config.exit_after_pull) setup.options.at_boot = false;
  network.pull = setup.options;
  network.pull_hooks = pull_console_hooks(config.console);
  if (config.on_pull_progress) {
    network.pull_hooks.on_progress = [console = network.pull_hooks.on_progress, bar = config.on_pull_progress](
                                         uint32_t done, uint32_t total) {
      console(done, total);
      bar(done, total);
    };
  }
}

// The HTTPS page's certificate and key, loaded once; a file the device cannot use is bad input.
net::HttpsOptions https_options(const NetworkServicesConfig& ota, const net::Logger& log) {
  std::shared_ptr<posix::ServerIdentity> identity;
  try {
    identity = std::make_shared<posix::ServerIdentity>(posix::ServerIdentity::load_pem_files(ota.https_cert, ota.https_key));
  } catch (const std::runtime_error& e) {
    throw DeviceInputError(std::string("HTTPS certificate or key: ") + e.what());
  }
  log.info("web: HTTPS with {} ({}) and {}", ota.https_cert, identity->summary(), ota.https_key);
  net::HttpsOptions https;
  https.identity = std::shared_ptr<const tls::TlsServerIdentity>(identity, &identity->identity());
  return https;
}

NetworkAttachment network_for(const RuntimeConfig& config, boost::asio::io_context& io, net::Clock& clock,
                              uint32_t chip_id, std::optional<posix::TrustAnchors>& anchors) {
  NetworkAttachment network;
  if (!config.services || config.once) return network;
  const NetworkServicesConfig& ota = *config.services;
  network.io = &io;
  network.clock = &clock;
  network.espota.reset();
  if (ota.port != 0) {
    net::EspotaResponderOptions espota;
    espota.log = config.log;
    espota.bind_address = ota.bind_address;
    espota.port = ota.port;
    espota.password = ota.password;
    espota.password_hash = ota.password_hash;
    network.espota = espota;
  }
  network.hooks = sketch_callbacks(config.console);
  net::HttpUpdateServerOptions web;
  web.log = config.log;
  web.bind_address = ota.bind_address;
  web.path = ota.http_path;
  web.user = ota.http_user;
  web.password = ota.http_password;
  if (ota.http_port != 0) {
    network.web = web;
    network.web->port = ota.http_port;
  }
  if (ota.https_port != 0) {
    network.web_https = web;
    network.web_https->port = ota.https_port;
    network.web_https->https = https_options(ota, config.log);
  }
  if (network.web || network.web_https) network.web_hooks = web_callbacks(config.console);
  if (ota.pull) add_pull(network, config, anchors);
  if (ota.mdns) {
    net::MdnsAdvertiserConfig mdns;
    mdns.interface_address = mdns_interface(ota);
    mdns.hostname = ota.hostname.empty() ? fmt::format("esp8266-{:06x}", chip_id) : ota.hostname;
    mdns.board = ota.board;
    mdns.log = config.log;
    network.mdns = mdns;
  }
  return network;
}

// After every boot: the state file, the boot report on stdout, the services' addresses.
void publish_boot(VirtualDevice& device, const RuntimeConfig& config, const BootReport& report) {
  nlohmann::json state = boot_state_json(device, report);
  write_state_file(device.files().state, state);
  if (config.print_boot && config.json) {
    std::printf("%s\n", state.dump().c_str());
  } else if (config.print_boot) {
    if (device.created() && device.boots() == 1)
      std::printf("created %s with a factory image\n", device.files().flash.c_str());
    std::printf("%s", describe_state(state).c_str());
  }
  std::fflush(stdout);
  if (!report.bootable)  // the boot path keeps a device bootable, so this flash never was one
    throw DeviceInputError("no bootable image in " + device.files().flash + " (" + report.detail +
                           "): it is not a flash file made by otakit device, or it is damaged; pass a new "
                           "--flash path to start from a factory image");
  Device& d = device.device();
  if (net::EspotaResponder* espota = d.espota()) {
    const NetworkServicesConfig& ota = *config.services;
    config.console.info("ota: espota responder on {}:{}{}", ota.bind_address, espota->local_port(),
                        ota.password.empty() && ota.password_hash.empty() ? "" : " (password required)");
  }
  for (auto [web, scheme] : {std::pair{d.web(), "http"}, {d.web_https(), "https"}}) {
    if (web == nullptr) continue;
    const NetworkServicesConfig& ota = *config.services;
    config.console.info("web: update page at {}://{}:{}{}{}", scheme, ota.bind_address, web->local_port(),
                        ota.http_path, ota.http_user.empty() || ota.http_password.empty() ? "" : " (Basic auth)");
  }
  if (net::PullClient* pull = d.pull(); pull && !config.exit_after_pull) {
    const PullServiceConfig& p = *config.services->pull;
    config.console.info("pull: update URL {}, checked after each boot{}", pull->options().url,
                        p.interval_s > 0 ? fmt::format(" and every {} s", p.interval_s) : "");
  }
  if (net::MdnsAdvertiser* mdns = d.mdns()) {
    std::string what;
    for (const net::MdnsAdvertisedService& service : mdns->advertised())
      what += fmt::format("{}{} (port {})", what.empty() ? "" : " and ", service.instance, service.port);
    config.console.info("mdns: advertising {} on {}", what, mdns_interface(*config.services));
  }
}

}  // namespace

int run_device(const RuntimeConfig& config) {
  DeviceLock lock(config.device.flash_path);
  boost::asio::io_context io;
  net::SteadyClock clock;
  std::optional<posix::TrustAnchors> anchors;
  NetworkAttachment network = network_for(config, io, clock, chip_id_for(config.device.flash_path), anchors);
  bool stop_after_boot = false;  // the one pull staged a sketch: exit once it booted
  if (network.pull) {
    network.pull_done = [&](const net::PullOutcome& outcome) {
      print_pull_outcome(config.console, outcome);
      if (config.on_pull) config.on_pull(outcome);
      if (!config.exit_after_pull) return;
      if (outcome.staged() && !config.services->pull->filesystem) stop_after_boot = true;
      else boost::asio::post(io, [&io] { io.stop(); });
    };
  }
  VirtualDevice device(config.device, std::move(network));
  Device& d = device.device();
  d.set_auto_confirm(config.confirm);
  d.on_boot([&](const BootReport& report) {
    publish_boot(device, config, report);
    if (stop_after_boot) boost::asio::post(io, [&io] { io.stop(); });
  });
  d.boot();
  if (config.once) return 0;
  if (config.exit_after_pull) {
    if (!d.pull_now()) throw std::runtime_error("the device did not start its pull client (no network?)");
    io.run();
    return 0;
  }

  // The shell around the device: its control socket and the signals that stop it. Reboots (after
  // an OTA update, or asked for here) run the boot path again inside the device, in this process.
  auto restart = [&](bool power_lost) {
    config.console.info("rebooting");
    boost::asio::post(io, [&d, power_lost] { power_lost ? d.power_cycle() : d.reboot(); });
  };
  ControlServer control(io, device.files().flash + ".sock", [&](const std::string& command) -> nlohmann::json {
    if (command == "status") return boot_state_json(device, d.last_boot());
    if (command == "confirm") {
      bool ok = d.confirm();
      write_state_file(device.files().state, boot_state_json(device, d.last_boot()));
      return {{"ok", ok}, {"error", ok ? "" : "nothing to confirm: the running image is not on trial"}};
    }
    if (command == "reboot" || command == "power-cycle") {
      restart(command == "power-cycle");
      return {{"ok", true}};
    }
    return {{"ok", false}, {"error", "unknown command '" + command + "' (status, confirm, reboot, power-cycle)"}};
  });
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code, int) { io.stop(); });
  io.run();
  return 0;
}

}  // namespace otakit::device
