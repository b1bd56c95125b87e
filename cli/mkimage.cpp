// `otakit mkimage`: writes a valid ESP8266 firmware file of an exact size (elf2bin's layout with
// an OTAKit app descriptor), deterministic from a seed: test images for the updater and devices.
#include <fmt/core.h>

#include <map>
#include <memory>
#include <string>

#include "cli/command_failure.h"
#include "cli/commands.h"
#include "core/image/esp_image.h"
#include "files/file_io.h"
#include "host/gzip.h"
#include "host/image_builder.h"
#include "host/image_report.h"

namespace otakit::cli {
namespace {

struct MkimageOptions {
  host::ImageSpec spec;
  std::string out;
  std::string flash_mode = "dout";
  std::string flash_size = "1M";
  unsigned flash_freq = 40;
  bool gzip = false;
  bool no_descriptor = false;
  bool app_only = false;
};

const std::map<std::string, uint8_t> kModes = {{"qio", 0}, {"qout", 1}, {"dio", 2}, {"dout", 3}};
const std::map<std::string, uint8_t> kSizes = {{"512K", 0}, {"256K", 1}, {"1M", 2}, {"2M", 3},
                                               {"4M", 4},   {"8M", 8},   {"16M", 9}};
const std::map<unsigned, uint8_t> kFreqs = {{40, 0}, {26, 1}, {20, 2}, {80, 15}};

int run_mkimage(MkimageOptions& o) {
  o.spec.flash_mode = kModes.at(o.flash_mode);
  o.spec.size_code = kSizes.at(o.flash_size);
  o.spec.freq_code = kFreqs.at(o.flash_freq);
  o.spec.with_descriptor = !o.no_descriptor;
  o.spec.with_boot = !o.app_only;
  host::Bytes image;
  try {
    image = host::build_esp_image(o.spec);
  } catch (const std::invalid_argument& e) {
    throw CommandFailure(kExitUsage, e.what());
  }
  if (o.gzip) image = host::gzip_compress(image);
  files::write_file_atomic(o.out, image);
  fmt::print(stderr, "Wrote {}: {} bytes{}, version \"{}\", security version {}, md5 {}\n", o.out,
             image.size(),
             o.gzip ? fmt::format(" (gzip of {} bytes)", o.spec.total_size) : std::string(),
             o.no_descriptor ? "-" : o.spec.version, o.spec.security_version,
             host::md5_hex(image.data(), image.size()));
  return kExitOk;
}

template <class Map>
std::string keys_of(const Map& map) {
  std::string out;
  for (const auto& entry : map) out += (out.empty() ? "" : ", ") + fmt::format("{}", entry.first);
  return out;
}

}  // namespace

void add_mkimage_command(CLI::App& app, RunState& state) {
  auto o = std::make_shared<MkimageOptions>();
  CLI::App* cmd = app.add_subcommand("mkimage", "Write a valid test image of an exact size");
  cmd->footer(
      "Writes an eboot stub padded to 4 KiB, the app image at 0x1000 (4 segments, checksum, CRC\n"
      "stamp) and an OTAKit app descriptor (version, security version). Same seed, same bytes.\n"
      "Sizes that are not a multiple of 16 end with 0xFF fill after the image. --gzip compresses\n"
      "the result (--size is the size before compression).\n"
      "  otakit mkimage --size 300000 --version 1.2.0 --out app.bin");
  cmd->add_option("--size", o->spec.total_size, "Exact file size in bytes (before --gzip)")
      ->required()
      ->transform(CLI::AsSizeValue(false));
  cmd->add_option("-o,--out", o->out, "Output file")->required();
  cmd->add_option("--version", o->spec.version, "Version text for the app descriptor (1-31 chars)")
      ->capture_default_str();
  cmd->add_option("--project", o->spec.project, "Project name for the app descriptor")
      ->capture_default_str();
  cmd->add_option("--security-version", o->spec.security_version,
                  "Anti-rollback counter: devices refuse images with a lower one")
      ->capture_default_str();
  cmd->add_option("--seed", o->spec.seed, "Seed of the pseudo-random segment contents")
      ->capture_default_str();
  cmd->add_flag("--gzip", o->gzip, "Write the image gzip-compressed (.bin.gz)");
  cmd->add_flag("--app-only", o->app_only, "Write the app image alone at offset 0 (no eboot stub)");
  cmd->add_flag("--no-descriptor", o->no_descriptor, "Leave out the OTAKit app descriptor");
  cmd->add_option("--flash-mode", o->flash_mode, "Header flash mode: " + keys_of(kModes))
      ->check(CLI::IsMember(kModes))
      ->capture_default_str();
  cmd->add_option("--flash-size", o->flash_size, "Header flash size: " + keys_of(kSizes))
      ->check(CLI::IsMember(kSizes))
      ->capture_default_str();
  cmd->add_option("--flash-freq", o->flash_freq,
                  "Header flash frequency in MHz: " + keys_of(kFreqs))
      ->check(CLI::IsMember(kFreqs))
      ->capture_default_str();
  cmd->callback(
      [o, &state] { state.exit_code = run_reporting("mkimage", [&] { return run_mkimage(*o); }); });
}

}  // namespace otakit::cli
