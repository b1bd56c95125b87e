// The public-key header of `signing.py --mode header` (Updater_Signing.h), with one fix: the key
// array ends with a 0x00 entry, because the device reads it with strlen_P (facts §10 item 22).
#pragma once
#include <string>

#include "host/bytes.h"

namespace otakit::host {

// "#include <pgmspace.h>", "#define ARDUINO_SIGNING 1", the key file's bytes one "0x%02x, " per
// line, then the terminating 0x00 entry and "};".
std::string make_signing_header(const Bytes& public_key_file);
// What signing.py writes when there is no public key: "#define ARDUINO_SIGNING 0\n".
std::string make_unsigned_header();

// Writes text to path (creating its directory) unless the file already holds exactly that text,
// so an unchanged header does not make the build redo work. True if the file was written.
bool write_text_if_changed(const std::string& path, const std::string& text);

}  // namespace otakit::host
