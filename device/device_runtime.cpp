#include "device/device_runtime.h"

#include <fmt/format.h>
#include <unistd.h>

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

[[noreturn]] void reexec(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::fflush(nullptr);
  ::execv("/proc/self/exe", args.data());
  std::perror("otakit device: reboot failed (execv)");
  std::_Exit(1);
}

}  // namespace

int run_device(const RuntimeConfig& config) {
  DeviceLock lock(config.device.flash_path);
  VirtualDevice device(config.device);
  BootReport report = device.boot();
  if (config.confirm && device.boot_control().on_trial()) device.boot_control().confirm();
  nlohmann::json state = boot_state_json(device, report);
  write_state_file(device.files().state, state);
  if (config.json) {
    std::printf("%s\n", state.dump().c_str());
  } else {
    if (device.created()) std::printf("created %s with a factory image\n", device.files().flash.c_str());
    std::printf("%s", describe_state(state).c_str());
  }
  std::fflush(stdout);
  if (!report.bootable)  // the boot path keeps a device bootable, so this flash never was one
    throw DeviceInputError("no bootable image in " + device.files().flash + " (" + report.detail +
                           "): it is not a flash file made by otakit device, or it is damaged; pass a new "
                           "--flash path to start from a factory image");
  if (config.once) return 0;

  Exit exit = Exit::stop;
  {  // services live in this scope: their sockets are closed before a reboot re-executes us
    boost::asio::io_context io;
    auto publish = [&] { write_state_file(device.files().state, boot_state_json(device, report)); };
    std::unique_ptr<OtaService> ota;
    if (config.ota) {
      ota = std::make_unique<OtaService>(io, device, *config.ota, [&] {
        exit = Exit::reboot;
        io.stop();
      });
  }
  ControlServer control(io, device.files().flash + ".sock", [&](const std::string& command) -> nlohmann::json {
    if (command == "status") return boot_state_json(device, report);
    if (command == "confirm") {
      bool ok = device.boot_control().confirm();
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
  }

  if (exit == Exit::stop) return 0;
  if (exit == Exit::power_cycle) device.lose_power();
  std::printf("rebooting\n");
  reexec(config.argv);
}

}  // namespace otakit::device
