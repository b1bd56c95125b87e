#include "device/device_runtime.h"

#include <fmt/format.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <memory>

#include "device/control_server.h"
#include "device/device_errors.h"
#include "device/device_lock.h"
#include "device/device_state.h"
#include "device/ota_service.h"

namespace otakit::device {
namespace {

enum class Exit { stop, reboot, power_cycle };

// One boot and the services it runs, until they stop or ask for a reboot.
Exit boot_and_serve(VirtualDevice& device, net::Clock& clock, const RuntimeConfig& config) {
  BootReport report = device.boot();
  if (config.confirm && device.ota().on_trial()) device.ota().mark_valid();
  nlohmann::json state = boot_state_json(device, report);
  write_state_file(device.files().state, state);
  if (config.json) {
    std::printf("%s\n", state.dump().c_str());
  } else {
    if (device.created() && device.boots() == 1)
      std::printf("created %s with a factory image\n", device.files().flash.c_str());
    std::printf("%s", describe_state(state).c_str());
  }
  std::fflush(stdout);
  if (!report.bootable)  // the boot path keeps a device bootable, so this flash never was one
    throw DeviceInputError("no bootable image in " + device.files().flash + " (" + report.detail +
                           "): it is not a flash file made by otakit device, or it is damaged; pass a new "
                           "--flash path to start from a factory image");
  if (config.once) return Exit::stop;

  // The services live in this function: their sockets are closed before the next boot.
  Exit exit = Exit::stop;
  boost::asio::io_context io;
  auto publish = [&] { write_state_file(device.files().state, boot_state_json(device, report)); };
  std::unique_ptr<OtaService> ota;
  if (config.ota) {
    ota = std::make_unique<OtaService>(io, clock, device, *config.ota, config.log, config.console, [&] {
      exit = Exit::reboot;
      io.stop();
    });
  }
  ControlServer control(io, device.files().flash + ".sock", [&](const std::string& command) -> nlohmann::json {
    if (command == "status") return boot_state_json(device, report);
    if (command == "confirm") {
      bool ok = device.ota().mark_valid();
      publish();
      return {{"ok", ok}, {"error", ok ? "" : "nothing to confirm: the running image is not on trial"}};
    }
    if (command == "reboot" || command == "power-cycle") {
      exit = command == "reboot" ? Exit::reboot : Exit::power_cycle;
      boost::asio::post(io, [&] { io.stop(); });
      return {{"ok", true}};
    }
    return {{"ok", false}, {"error", "unknown command '" + command + "' (status, confirm, reboot, power-cycle)"}};
  });
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code, int) { io.stop(); });
  io.run();
  return exit;
}

}  // namespace

int run_device(const RuntimeConfig& config) {
  DeviceLock lock(config.device.flash_path);
  VirtualDevice device(config.device);
  net::SteadyClock clock;
  for (;;) {
    Exit exit = boot_and_serve(device, clock, config);
    if (exit == Exit::stop) return 0;
    if (exit == Exit::power_cycle) device.lose_power();
    std::printf("rebooting\n");  // in this process: the boot path runs again on the same flash
    std::fflush(stdout);
  }
}

}  // namespace otakit::device
