// `otakit device`: run a virtual ESP8266 on a flash file, and talk to a running one.
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <sys/stat.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "cli/command_failure.h"
#include "cli/commands.h"
#include "cli/device_pull.h"
#include "cli/exit_codes.h"
#include "core/boot/boot_command.h"
#include "device/control_server.h"
#include "device/device_errors.h"
#include "device/device_lock.h"
#include "device/device_runtime.h"
#include "device/device_state.h"
#include "files/file_io.h"
#include "host/image_builder.h"
#include "net/log_sinks.h"

namespace otakit::cli {
namespace {

struct DeviceOptions {
  device::RuntimeConfig runtime;
  uint32_t factory_size = 65536;
  std::string factory_version = "1.0.0";
  device::NetworkServicesConfig ota;
  bool no_confirm = false;
  std::string stage_file;
  std::string stage_md5;
  bool stage_fs = false;
  device::PullServiceConfig pull;
  bool pull_json = false;
  std::string log_level = "info";
};

// --log-level names, in the order of spdlog's levels.
const std::vector<std::pair<std::string, spdlog::level::level_enum>> kLogLevels = {
    {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug}, {"info", spdlog::level::info},
    {"warn", spdlog::level::warn},   {"error", spdlog::level::err},   {"off", spdlog::level::off}};

std::string absolute(const std::string& path) { return std::filesystem::absolute(path).string(); }

// The flash file as an absolute path, and how a new one gets its factory image (built here: the
// device part does not link the host tools).
void complete_device_config(DeviceOptions& o) {
  o.runtime.device.flash_path = absolute(o.runtime.device.flash_path);
  o.runtime.device.factory_image = [size = o.factory_size, version = o.factory_version](uint32_t chip_id) {
    host::ImageSpec spec;
    spec.total_size = size;
    spec.version = version;
    spec.project = "otakit-factory";
    spec.seed = chip_id;
    return host::build_esp_image(spec);
  };
}

void set_log_level(const std::string& name) {
  for (const auto& [level_name, level] : kLogLevels)
    if (level_name == name) spdlog::set_level(level);
}

int run(DeviceOptions& o) {
  set_log_level(o.log_level);
  net::SpdlogSink log;
  net::LineSink console(stdout);
  o.runtime.log = net::Logger(&log, "");
  o.runtime.console = net::Logger(&console, "");
  complete_device_config(o);
  o.runtime.confirm = !o.no_confirm;
  if (!o.pull.url.empty()) o.ota.pull = o.pull;
  if (o.ota.port != 0 || o.ota.http_port != 0 || o.ota.https_port != 0 || o.ota.pull) o.runtime.services = o.ota;
  return device::run_device(o.runtime);
}

// `otakit device pull`: the device boots, pulls once, boots the staged image, and exits with the
// pull's result. With --json, stdout has only the result; the console lines go to stderr.
int pull_once(DeviceOptions& o) {
  if (o.pull_json)  // the drivers' lines go to stderr too
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("", std::make_shared<spdlog::sinks::stderr_color_sink_mt>()));
  set_log_level(o.log_level);
  net::SpdlogSink log;
  net::LineSink console(o.pull_json ? stderr : stdout);
  o.runtime.log = net::Logger(&log, "");
  o.runtime.console = net::Logger(&console, "");
  complete_device_config(o);
  o.runtime.confirm = !o.no_confirm;
  device::NetworkServicesConfig services;
  services.pull = o.pull;
  o.runtime.services = services;
  return run_device_pull(o.runtime, o.pull_json);
}

// A flash file or key the device cannot use is bad input (exit 3), not a failed operation.
template <class Body>
int reporting_input_errors(const char* command, Body&& body) {
  return run_reporting(command, [&] {
    try {
      return body();
    } catch (const device::DeviceInputError& e) {
      throw CommandFailure(kExitInputError, e.what());
    }
  });
}

// When the state file was last written, in local time: the age of a dead device's last state.
std::string written_at(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "at an unknown time";
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S", std::localtime(&st.st_mtime));
  return text;
}

// A running device answers for itself; otherwise the state file is only its last known state
// (a crashed device cannot have updated it), and says so.
int status(const std::string& flash, bool json) {
  std::string path = absolute(flash);
  std::string socket = path + ".sock";
  std::optional<nlohmann::json> live = device::query_device(socket, "status");
  std::string state_file = device::device_files_for(path).state;
  nlohmann::json state = live ? *live : device::read_state_file(state_file);
  state["running"] = live.has_value();
  state["source"] = live ? "device" : "state file";
  if (json) {
    std::printf("%s\n", state.dump(2).c_str());
    return kExitOk;
  }
  if (live) {
    std::printf("device:  running (pid %d)\n", state.value("pid", 0));
  } else {
    std::printf("device:  not running (nothing answers on %s); last known state, written %s:\n", socket.c_str(),
                written_at(state_file).c_str());
  }
  std::printf("%s", device::describe_state(state).c_str());
  return kExitOk;
}

int control(const std::string& flash, const std::string& command) {
  nlohmann::json reply = device::send_control_command(absolute(flash) + ".sock", command);
  if (!reply.value("ok", false)) {
    std::fprintf(stderr, "otakit device %s: %s\n", command.c_str(), reply.value("error", "failed").c_str());
    return kExitFailure;
  }
  std::printf("%s: ok\n", command.c_str());
  return kExitOk;
}

// Offline update, as over a serial cable: the image goes through the Updater and is staged;
// the next boot swaps it in.
int stage(DeviceOptions& o) {
  complete_device_config(o);
  device::DeviceLock lock(o.runtime.device.flash_path);
  device::VirtualDevice dev(o.runtime.device);
  dev.device().boot();
  host::Bytes image;
  try {
    image = files::read_file(o.stage_file);
  } catch (const std::runtime_error& e) {
    throw CommandFailure(kExitInputError, std::string("cannot read the image: ") + e.what());
  }
  Updater& updater = dev.updater();
  bool ok = updater.begin(uint32_t(image.size()), o.stage_fs ? UpdateCommand::filesystem : UpdateCommand::flash) &&
            (o.stage_md5.empty() || updater.set_md5(o.stage_md5.c_str())) &&
            updater.write(image.data(), uint32_t(image.size())) == image.size() && updater.end();
  if (!ok) {
    std::fprintf(stderr, "otakit device stage: %s\n", updater.error_message());
    return kExitDeviceRejected;
  }
  std::printf("staged %s (%zu bytes, md5 %s) at 0x%x; run the device again to boot it\n", o.stage_file.c_str(),
              image.size(), updater.md5_hex(), updater.staged_address());
  return kExitOk;
}

}  // namespace

void add_device_command(CLI::App& app, RunState& state) {
  auto o = std::make_shared<DeviceOptions>();
  CLI::App* cmd = app.add_subcommand("device", "Run a virtual ESP8266 on a flash file (boot path, OTA responder)");
  cmd->footer(
      "A flash file that does not exist is created with a factory image. Each run is a boot:\n"
      "it resumes an interrupted swap, applies a staged update, or rolls back an unconfirmed one.\n"
      "Examples:\n"
      "  otakit device --flash dev1.bin --layout 1M --once\n"
      "  otakit device --flash dev1.bin --ota-port 8266 --password secret --log-level debug\n"
      "  otakit device --flash dev1.bin --http-port 8080 --http-user admin --http-password secret\n"
      "    (then open http://127.0.0.1:8080/update, or: curl -u admin:secret -F firmware=@fw.bin ...)\n"
      "  otakit device --flash dev1.bin --ota-port 8266 --http-port 8080 --mdns\n"
      "    (advertises esp8266-<chip id>._arduino._tcp.local and esp8266-<chip id>._http._tcp.local)\n"
      "  otakit device --flash dev1.bin --https-port 8443 --https-cert cert.pem --https-key key.pem\n"
      "    (a certificate for it: openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \\\n"
      "       -keyout key.pem -out cert.pem -days 365 -subj /CN=localhost -addext subjectAltName=DNS:localhost\n"
      "     then: curl --cacert cert.pem -F firmware=@fw.bin https://localhost:8443/update)\n"
      "  otakit device --flash dev1.bin --update-url https://updates.example/fw.bin --ca-file ca.pem \\\n"
      "      --update-interval 3600\n"
      "  otakit device pull --flash dev1.bin --url http://127.0.0.1:8000/fw.bin --json\n"
      "  otakit device status --flash dev1.bin --json");
  cmd->add_option("--flash", o->runtime.device.flash_path, "Flash file of the device (created when missing)");
  cmd->add_option("--layout", o->runtime.device.layout, "Flash layout (512K, 1M, 1M64 ... 4M1M ... 16M14M)")
      ->capture_default_str();
  cmd->add_option("--public-key", o->runtime.device.public_key_path,
                  "Only accept images signed for this RSA key (PEM), as a signing-enabled build");
  cmd->add_flag("--legacy-signatures", o->runtime.device.legacy_signatures,
                "Verify signatures in the legacy format (ESP8266 cores up to 2.5.2)");
  cmd->add_option("--max-trial-boots", o->runtime.device.max_trial_boots,
                  "Boots of an unconfirmed image before it is rolled back")
      ->capture_default_str()
      ->check(CLI::Range(1, 255));
  cmd->add_option("--factory-size", o->factory_size, "Size of the factory image of a new flash file")
      ->capture_default_str();
  cmd->add_option("--factory-version", o->factory_version, "Version string of the factory image")
      ->capture_default_str();
  cmd->add_flag("--once", o->runtime.once, "Boot, print what runs, and exit");
  cmd->add_flag("--no-confirm", o->no_confirm, "Do not confirm a new image (it rolls back after --max-trial-boots)");
  cmd->add_flag("--json", o->runtime.json, "Print the boot result as JSON");
  cmd->add_option("--ota-port", o->ota.port, "Serve ArduinoOTA (espota) on this UDP port, e.g. 8266");
  cmd->add_option("--http-port", o->ota.http_port,
                  "Serve the browser upload page (ESP8266HTTPUpdateServer) on this TCP port, e.g. 8080");
  auto* https_port = cmd->add_option(
      "--https-port", o->ota.https_port,
      "Serve the upload page over HTTPS (ESP8266HTTPUpdateServerSecure) on this TCP port, e.g. 8443, alone or "
      "beside --http-port (one upload at a time across both); needs --https-cert and --https-key");
  auto* https_cert = cmd->add_option("--https-cert", o->ota.https_cert,
                                     "Certificate chain of the HTTPS page (PEM, the server's own first)")
                         ->check(CLI::ExistingFile);
  auto* https_key = cmd->add_option("--https-key", o->ota.https_key,
                                    "Private key of that certificate (PEM, EC P-256/P-384/P-521 or RSA, not "
                                    "encrypted). Make both: openssl req -x509 -newkey ec -pkeyopt "
                                    "ec_paramgen_curve:P-256 -nodes -keyout key.pem -out cert.pem -days 365 "
                                    "-subj /CN=localhost -addext subjectAltName=DNS:localhost")
                        ->check(CLI::ExistingFile);
  https_port->needs(https_cert)->needs(https_key);
  https_cert->needs(https_port);
  https_key->needs(https_port);
  cmd->add_option("--http-path", o->ota.http_path, "Path of the upload page (both ports)")->capture_default_str();
  auto* http_user =
      cmd->add_option("--http-user", o->ota.http_user, "User name for the upload page (Basic auth, both ports)");
  auto* http_password = cmd->add_option("--http-password", o->ota.http_password, "Password for the upload page");
  http_user->needs(http_password);
  http_password->needs(http_user);
  cmd->add_option("--bind", o->ota.bind_address, "Address the OTA services bind to")->capture_default_str();
  auto* pw = cmd->add_option("--password", o->ota.password, "OTA password (espota -a)");
  cmd->add_option("--password-hash", o->ota.password_hash, "MD5 hex of the OTA password")->excludes(pw);
  cmd->add_option("--hostname", o->ota.hostname, "Hostname for mDNS (default esp8266-<chip id>)");
  cmd->add_option("--board", o->ota.board, "Board id advertised over mDNS")->capture_default_str();
  cmd->add_flag("--mdns", o->ota.mdns,
                "Advertise over mDNS what is served, under one hostname: _arduino._tcp (--ota-port) and "
                "_http._tcp with TXT path=<--http-path> (--http-port)");
  cmd->add_option("--mdns-interface-address", o->ota.mdns_interface_address,
                  "IPv4 address of the interface to advertise on (default: --bind)");
  add_pull_flags(cmd, o->pull, "update-");
  std::vector<std::string> level_names;
  for (const auto& entry : kLogLevels) level_names.push_back(entry.first);
  cmd->add_option("--log-level", o->log_level,
                  "Log detail: trace, debug (every dropped datagram, with its sender), info, warn "
                  "(failed logins, with the sender), error, off")
      ->capture_default_str()
      ->check(CLI::IsMember(level_names));

  auto flash_only = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  CLI::App* st = cmd->add_subcommand(
      "status", "Print what the running device runs, or the last known state of one that is not running");
  st->add_option("--flash", *flash_only, "Flash file of the device")->required();
  st->add_flag("--json", *json, "JSON output");
  st->callback([&state, flash_only, json] {
    state.exit_code = run_reporting("device status", [&] { return status(*flash_only, *json); });
  });
  for (const char* name : {"confirm", "reboot", "power-cycle"}) {
    std::string help = std::string("Ask the running device to ") +
                       (std::string(name) == "confirm" ? "confirm its trial image" : name);
    CLI::App* c = cmd->add_subcommand(name, help);
    c->add_option("--flash", *flash_only, "Flash file of the device")->required();
    c->callback([&state, flash_only, n = std::string(name)] {
      state.exit_code = run_reporting(("device " + n).c_str(), [&] { return control(*flash_only, n); });
    });
  }
  CLI::App* sg = cmd->add_subcommand("stage", "Stage an image offline (as over serial); the next boot applies it");
  sg->add_option("--flash", o->runtime.device.flash_path, "Flash file of the device")->required();
  sg->add_option("--layout", o->runtime.device.layout, "Flash layout")->capture_default_str();
  sg->add_option("--public-key", o->runtime.device.public_key_path, "Require a signature for this key");
  sg->add_option("--md5", o->stage_md5, "Expected MD5 of the image");
  sg->add_flag("--fs", o->stage_fs, "Filesystem image (written to the FS region)");
  sg->add_option("image", o->stage_file, "Image file")->required()->check(CLI::ExistingFile);
  sg->callback([&state, o] { state.exit_code = reporting_input_errors("device stage", [&] { return stage(*o); }); });

  CLI::App* pl = cmd->add_subcommand(
      "pull", "Check an update server once (ESPhttpUpdate.update), boot what it staged, exit with the result");
  pl->footer(
      "The request carries the original's x-ESP8266-* headers; 200 stages the image (and the device\n"
      "boots it), 304 means no update. Exit codes: 0 updated or no update, 4 no connection, 5 refused\n"
      "credentials (401/403), 6 the transfer broke off, 7 the server's answer or the image was refused,\n"
      "8 not HTTP. --json prints the original's error code and text, the HTTP status and a message.");
  pl->add_option("--flash", o->runtime.device.flash_path, "Flash file of the device (created when missing)")->required();
  pl->add_option("--layout", o->runtime.device.layout, "Flash layout")->capture_default_str();
  pl->add_option("--public-key", o->runtime.device.public_key_path, "Only accept images signed for this RSA key");
  pl->add_flag("--no-confirm", o->no_confirm, "Do not confirm the new image after it boots");
  pl->add_flag("--json", o->pull_json, "Print the result as JSON (console lines go to stderr)");
  pl->add_option("--log-level", o->log_level, "Log detail")->capture_default_str()->check(CLI::IsMember(level_names));
  add_pull_flags(pl, o->pull, "");
  pl->callback([&state, o] { state.exit_code = reporting_input_errors("device pull", [&] { return pull_once(*o); }); });

  cmd->require_subcommand(0, 1);
  cmd->callback([cmd, &state, o] {
    if (!cmd->get_subcommands().empty()) return;
    if (o->runtime.device.flash_path.empty()) throw CLI::RequiredError("--flash");
    state.exit_code = reporting_input_errors("device", [&] { return run(*o); });
  });
}

}  // namespace otakit::cli
