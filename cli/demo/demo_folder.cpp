#include "cli/demo/demo_folder.h"

#include <filesystem>
#include <stdexcept>

#include "files/file_io.h"

namespace otakit::cli::demo {
namespace {

constexpr const char* kMarker = ".otakit-demo";

}  // namespace

void prepare_demo_folder(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec)) throw std::runtime_error("--dir " + dir + " is not a folder: pass a folder for the demo");
    if (!fs::is_empty(dir, ec) && !fs::exists(fs::path(dir) / kMarker, ec))
      throw std::runtime_error("--dir " + dir +
                               " holds files the demo did not make, and the demo empties its folder at every start: "
                               "pass a new or empty folder");
    fs::remove_all(dir, ec);
    if (ec) throw std::runtime_error("cannot empty " + dir + ": " + ec.message());
  }
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create " + dir + ": " + ec.message());
  files::write_file_atomic((fs::path(dir) / kMarker).string(), files::Bytes{});
}

}  // namespace otakit::cli::demo
