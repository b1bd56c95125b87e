// `otakit inspect`: what a firmware file contains (header fields, segments, sizes, CRC stamp,
// app descriptor, digests, signature trailer), as text or JSON. Exit 0 only for a valid image.
#include <fmt/core.h>

#include <memory>
#include <string>

#include "cli/command_failure.h"
#include "cli/commands.h"
#include "files/file_io.h"
#include "host/image_report.h"

namespace otakit::cli {
namespace {

struct InspectOptions {
  std::string file;
  bool json = false;
};

int run_inspect(const InspectOptions& o) {
  host::Bytes file;
  try {
    file = files::read_file(o.file);
  } catch (const std::exception& e) {
    throw CommandFailure(kExitInputError, e.what());
  }
  if (file.size() > UINT32_MAX)
    throw CommandFailure(kExitInputError, o.file + " is larger than 4 GiB: not a firmware image");
  nlohmann::json report = host::inspect_firmware(file);
  if (o.json) {
    report["file"] = o.file;
    fmt::print("{}\n", report.dump(2));
  } else {
    fmt::print("file:       {}\n{}", o.file, host::render_inspection(report));
  }
  if (report["valid"].get<bool>()) return kExitOk;
  const nlohmann::json& image = report["image"];
  std::string problem = image.contains("problem") ? image["problem"].get<std::string>()
                                                  : "the compressed image inside is not valid";
  throw CommandFailure(kExitInputError, o.file + " is not a valid ESP8266 image: " + problem);
}

}  // namespace

void add_inspect_command(CLI::App& app, RunState& state) {
  auto o = std::make_shared<InspectOptions>();
  CLI::App* cmd =
      app.add_subcommand("inspect", "Show the headers, segments, digests and trailer of an image");
  cmd->footer(
      "Reports ESP image headers (flash mode, size, frequency), segments, checksum, CRC stamp,\n"
      "the OTAKit app descriptor, the gzip wrapper, MD5/SHA-256 and a signature trailer.\n"
      "Exit 0 for a valid image, 3 for a malformed one.\n"
      "  otakit inspect app.bin.signed --json");
  cmd->add_option("file", o->file, "Firmware file (.bin, .bin.gz, .signed)")->required();
  cmd->add_flag("--json", o->json, "Print the report as JSON on stdout");
  cmd->callback(
      [o, &state] { state.exit_code = run_reporting("inspect", [&] { return run_inspect(*o); }); });
}

}  // namespace otakit::cli
