// otakit: signing tools, the espota-compatible uploader, mDNS discovery and the virtual device.
#include <cstdio>

#include "cli/commands.h"
#include "cli/exit_codes.h"

int main(int argc, char** argv) {
  CLI::App app{"OTAKit: over-the-air updates for ESP8266-class devices.\n"
               "Sign images, push them to devices (espota-compatible), and run virtual devices."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "otakit 0.1.0");
  otakit::cli::RunState state;
#define OTAKIT_ADD_COMMAND(name) otakit::cli::add_##name##_command(app, state);
  OTAKIT_COMMANDS(OTAKIT_ADD_COMMAND)
#undef OTAKIT_ADD_COMMAND
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : otakit::cli::kExitUsage;
  } catch (const std::exception& e) {  // commands report their own errors; this is the backstop
    std::fprintf(stderr, "otakit: %s\n", e.what());
    return otakit::cli::kExitFailure;
  }
  return state.exit_code;
}
