#include "host/key_header.h"

#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include "files/file_io.h"

namespace otakit::host {

std::string make_signing_header(const Bytes& public_key_file) {
  std::string out =
      "#include <pgmspace.h>\n"
      "#define ARDUINO_SIGNING 1\n"
      "static const char signing_pubkey[] PROGMEM = {\n";
  char entry[8];
  for (uint8_t byte : public_key_file) {
    std::snprintf(entry, sizeof(entry), "0x%02x, \n", byte);
    out += entry;
  }
  out += "0x00\n};\n";
  return out;
}

std::string make_unsigned_header() { return "#define ARDUINO_SIGNING 0\n"; }

bool write_text_if_changed(const std::string& path, const std::string& text) {
  if (files::file_exists(path)) {
    try {
      Bytes old = files::read_file(path);
      if (std::string(old.begin(), old.end()) == text) return false;
    } catch (const std::runtime_error&) {
      // unreadable: fall through and replace it, as signing.py does
    }
  }
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec)
    throw std::runtime_error("cannot create directory " + parent.string() + ": " + ec.message());
  files::write_file_atomic(path, reinterpret_cast<const uint8_t*>(text.data()), text.size());
  return true;
}

}  // namespace otakit::host
