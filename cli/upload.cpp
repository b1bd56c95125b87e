// `otakit upload`: pushes a firmware or filesystem image to ArduinoOTA devices. It takes
// espota.py's flags, defaults and --auth= form, so the Arduino IDE and PlatformIO can call it in
// espota.py's place; it streams instead of stop-and-wait, ends every failure with its own exit
// code, and can update many devices at once.
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/command_failure.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/upload_output.h"
#include "files/file_io.h"
#include "net/endpoint.h"
#include "net/espota_uploader.h"
#include "net/log_sinks.h"
#include "net/mdns_discovery.h"
#include "net/web_uploader.h"

namespace otakit::cli {
namespace {

struct UploadFlags {
  std::vector<std::string> ips;
  std::string hosts_file;
  bool all_discovered = false;
  std::string interface_address;
  std::string host_ip = "0.0.0.0";
  int port = espota::kDefaultDevicePort;
  int host_port = 0;  // 0: espota.py's random 10000-60000
  std::string auth;
  std::string file;
  bool spiffs = false;
  bool debug = false;
  bool progress = false;
  double timeout_s = 10;
  bool json = false;
  unsigned parallel = 4;
  unsigned retries = 1;
  unsigned retry_delay_ms = 1000;
  bool stop_and_wait = false;
  std::vector<std::string> urls;  // web updaters (the browser upload page)
  std::string user;
  std::string password;
};

net::EspotaTarget parse_target(const std::string& text, uint16_t default_port, const std::string& where) {
  auto parsed = net::parse_host_port(text, default_port);
  if (!parsed) throw CommandFailure(kExitUsage, where + ": '" + text + "' is not HOST or HOST:PORT");
  return {parsed->host, parsed->port};
}

std::vector<net::EspotaTarget> read_hosts_file(const std::string& path, uint16_t default_port) {
  std::ifstream in(path);
  if (!in) throw CommandFailure(kExitInputError, "cannot read the hosts file " + path);
  std::vector<net::EspotaTarget> targets;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    auto hash = line.find('#');
    if (hash != std::string::npos) line.erase(hash);
    auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    line = line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
    targets.push_back(parse_target(line, default_port, path + ":" + std::to_string(number)));
  }
  return targets;
}

std::vector<net::EspotaTarget> discovered_targets(const UploadFlags& f, const net::Logger& log) {
  net::DiscoveryOptions options;
  options.interface_address = f.interface_address;
  options.log = log;
  net::DiscoveryResult found = net::discover_devices(options);
  std::vector<net::EspotaTarget> targets;
  for (const auto& d : found.devices) targets.push_back({d.address, d.port});
  if (!f.json) fmt::print(stderr, "Found {} device(s) over mDNS on {}\n", targets.size(), found.interface_name);
  return targets;
}

std::vector<net::EspotaTarget> collect_targets(const UploadFlags& f, const net::Logger& log) {
  uint16_t port = static_cast<uint16_t>(f.port);
  std::vector<net::EspotaTarget> targets;
  for (const auto& ip : f.ips) targets.push_back(parse_target(ip, port, "-i/--ip"));
  if (!f.hosts_file.empty())
    for (auto& t : read_hosts_file(f.hosts_file, port)) targets.push_back(std::move(t));
  if (f.all_discovered)
    for (auto& t : discovered_targets(f, log)) targets.push_back(std::move(t));
  if (targets.empty()) {
    if (f.all_discovered) throw CommandFailure(kExitNoAnswer, "no device answered the mDNS query for _arduino._tcp");
    throw CommandFailure(kExitUsage, "Not enough arguments: give the device with -i/--ip (or --hosts-file)");
  }
  return targets;
}

// espota.py uploads FILE.signed instead of FILE when it exists, and says so on stderr.
std::string choose_file(const std::string& file) {
  std::string signed_file = file + ".signed";
  if (!files::file_exists(signed_file)) return file;
  fmt::print(stderr, "Detected Signed Update. {} will be uploaded instead.\n", signed_file);
  return signed_file;
}

net::EspotaImage load_image(const std::string& path) {
  files::Bytes bytes;
  try {
    bytes = files::read_file(path);
  } catch (const std::exception& e) {
    throw CommandFailure(kExitInputError, std::string("cannot read the image: ") + e.what());
  }
  if (bytes.empty()) throw CommandFailure(kExitInputError, path + " is empty: there is nothing to upload");
  return net::EspotaImage::from(std::move(bytes));
}

void report_failures(const std::vector<net::EspotaUploadResult>& results, bool web) {
  for (const auto& r : results) {
    if (r.outcome == espota::UploadOutcome::ok) continue;
    std::string prefix = results.size() > 1 ? device_label(r.target) + ": " : std::string();
    fmt::print(stderr, "Error: {}{}\n", prefix, r.message);
    if (const char* hint = hint_for(r.outcome, web)) fmt::print(stderr, "  ({})\n", hint);
  }
}

std::vector<net::WebTarget> web_targets(const UploadFlags& f) {
  std::vector<net::WebTarget> targets;
  for (const auto& url : f.urls) {
    auto target = net::parse_web_target(url);
    if (!target) throw CommandFailure(kExitUsage, "--url: '" + url + "' is not http://HOST[:PORT][/PATH]");
    targets.push_back(*target);
  }
  return targets;
}

// The results, the table or JSON and the exit code: the same for both paths.
int report(const UploadFlags& f, const std::vector<net::EspotaUploadResult>& results, const std::string& file,
           const std::string& md5) {
  if (f.json) {
    fmt::print("{}\n", results_json(results, file, md5).dump(2));
  } else {
    report_failures(results, !f.urls.empty());
    if (results.size() > 1) print_table(results);
  }
  for (const auto& r : results)
    if (r.outcome == espota::UploadOutcome::ok) spdlog::info("{}: Result: OK", device_label(r.target));
  return combined_exit_code(results);
}

// --url: POST to web updaters, as curl -F firmware=@FILE does.
int run_web_upload(const UploadFlags& f, const net::Logger& log) {
  if (!f.ips.empty() || !f.hosts_file.empty() || f.all_discovered)
    throw CommandFailure(kExitUsage, "--url uploads to web updaters; give espota devices (-i, --hosts-file, "
                                     "--all-discovered) in a separate run");
  std::vector<net::WebTarget> targets = web_targets(f);
  std::string file = choose_file(f.file);
  net::EspotaImage image = load_image(file);
  net::WebUploadOptions options;
  options.user = f.user;
  options.password = f.password;
  options.filesystem = f.spiffs;
  options.filename = std::filesystem::path(file).filename().string();
  options.timeout_ms = static_cast<uint32_t>(f.timeout_s * 1000);
  options.result_timeout_ms = std::max<uint32_t>(60000, options.timeout_ms);
  options.parallel = f.parallel;
  options.retries = f.retries;
  options.retry_delay_ms = f.retry_delay_ms;
  options.log = log;
  std::vector<net::EspotaTarget> labels;
  for (const auto& t : targets) labels.push_back(net::display_target(t));
  UploadDisplay display(labels, f.progress, f.json && targets.size() == 1);
  auto results = net::web_upload_all(image, targets, options, [&](const net::EspotaProgress& p) { display.update(p); });
  display.finish();
  return report(f, results, file, image.md5);
}

int run_upload(const UploadFlags& f) {
  spdlog::set_level(f.debug ? spdlog::level::debug : spdlog::level::warn);
  net::SpdlogSink sink;
  net::Logger log(&sink, "");
  if (f.file.empty()) throw CommandFailure(kExitUsage, "Not enough arguments: give the image with -f/--file");
  if (!f.urls.empty()) return run_web_upload(f, log);
  std::vector<net::EspotaTarget> targets = collect_targets(f, log);
  if (f.host_port != 0 && f.host_port + targets.size() - 1 > 65535)
    throw CommandFailure(kExitUsage, "-P/--host_port " + std::to_string(f.host_port) + " leaves no port for target " +
                                         std::to_string(targets.size()) + " (each target uses the next port)");
  std::string file = choose_file(f.file);
  net::EspotaImage image = load_image(file);

  net::EspotaUploadOptions options;
  options.host_ip = f.host_ip;
  if (f.host_port != 0) options.host_port = static_cast<uint16_t>(f.host_port);
  options.password = f.auth;
  options.filesystem = f.spiffs;
  options.stop_and_wait = f.stop_and_wait;
  options.timeout_ms = static_cast<uint32_t>(f.timeout_s * 1000);
  options.result_timeout_ms = std::max<uint32_t>(60000, options.timeout_ms);
  options.parallel = f.parallel;
  options.retries = f.retries;
  options.retry_delay_ms = f.retry_delay_ms;
  options.log = log;
  spdlog::debug("Upload size: {} bytes, md5 {}, {} target(s)", image.bytes->size(), image.md5, targets.size());

  UploadDisplay display(targets, f.progress, f.json && targets.size() == 1);
  auto results = net::upload_all(image, targets, options, [&](const net::EspotaProgress& p) { display.update(p); });
  display.finish();
  return report(f, results, file, image.md5);
}

}  // namespace

void add_upload_command(CLI::App& app, RunState& state) {
  auto* cmd = app.add_subcommand(
      "upload",
      "Push a firmware (or, with -s, a filesystem) image to ArduinoOTA devices. Takes espota.py's flags, so\n"
      "IDEs can call it instead: otakit upload -i 192.168.1.20 -p 8266 --auth=secret -f sketch.bin\n"
      "Or to web updaters (ESP8266HTTPUpdateServer, otakit device --http-port), as curl -F firmware=@FILE:\n"
      "  otakit upload --url http://192.168.1.20/update -f sketch.bin [--user admin --password secret]\n"
      "Exit codes: 0 ok, 2 usage, 3 unreadable image, 4 no answer, 5 wrong password, 6 transfer failed,\n"
      "7 device rejected the image (ERROR[n]) or is busy, 8 not an espota answer, 1 anything else.");
  auto f = std::make_shared<UploadFlags>();
  cmd->add_option("-i,--ip", f->ips, "Device IP address or name, optionally HOST:PORT (repeat for several)");
  cmd->add_option("-I,--host_ip", f->host_ip, "Host address to listen on (and send from); default 0.0.0.0");
  cmd->add_option("-p,--port", f->port, "Device OTA port (UDP); default 8266")->check(CLI::Range(1, 65535));
  cmd->add_option("-P,--host_port", f->host_port,
                  "Host TCP port the device connects back to; default random 10000-60000 (target i: PORT+i)")
      ->check(CLI::Range(1, 65535));
  cmd->add_option("-a,--auth", f->auth, "OTA password (answers the device's challenge)");
  cmd->add_option("-f,--file", f->file, "Image file; FILE.signed is used instead when it exists");
  cmd->add_flag("-s,--spiffs", f->spiffs, "Send a filesystem image (command 100) instead of firmware");
  cmd->add_flag("-d,--debug", f->debug, "Show every protocol step");
  cmd->add_flag("-r,--progress", f->progress, "Show a progress bar instead of dots");
  cmd->add_option("-t,--timeout", f->timeout_s, "Seconds to wait for each answer, the connection and stalls; default 10")
      ->check(CLI::Range(0.1, 3600.0));
  cmd->add_option("--hosts-file", f->hosts_file, "File with one HOST[:PORT] per line (# comments)");
  cmd->add_flag("--all-discovered", f->all_discovered, "Upload to every device found over mDNS (_arduino._tcp)");
  cmd->add_option("--interface-address", f->interface_address, "IPv4 address of the interface for --all-discovered");
  cmd->add_option("--parallel", f->parallel, "Uploads at once; default 4")->check(CLI::Range(1, 1024));
  cmd->add_option("--retries", f->retries,
                  "Extra attempts when a device did not answer or was busy (never after it took data); default 1")
      ->check(CLI::Range(0, 100));
  cmd->add_option("--retry-delay", f->retry_delay_ms, "Milliseconds before the first retry, doubling; default 1000");
  cmd->add_flag("--stop-and-wait", f->stop_and_wait, "Pace like espota.py: one 1460-byte chunk per device ack");
  cmd->add_flag("--json", f->json, "Print the results as JSON on stdout");
  cmd->add_option("--url", f->urls,
                  "Web updater to POST the image to, http://HOST[:PORT][/PATH] (path default /update; repeat for "
                  "several)");
  auto* user = cmd->add_option("--user", f->user, "User name for the web updater (Basic auth)");
  auto* password = cmd->add_option("--password", f->password, "Password for the web updater");
  user->needs(password);
  password->needs(user);
  cmd->callback([f, &state] { state.exit_code = run_reporting("upload", [&] { return run_upload(*f); }); });
}

}  // namespace otakit::cli
