// The pull client's request, byte for byte as ESP8266httpUpdate sends it (facts §6.2, recorded in
// vectors/httpupdate), so servers written for the original see the same thing from every
// platform. The headers our client adds to resume a download come after all of the original's.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace otakit::http {

// x-ESP8266-mode: update(), updateFS() ("spiffs", not "fs"), getAvailableVersion().
enum class UpdateMode : uint8_t { sketch, spiffs, version };

// Our addition, sent after the original's fields as x-OTAKit-image: what the running image is, so
// that a fleet server counts an update as healthy only once the device confirms it, and as failed
// only when the device says it rolled back. The original sends nothing (unreported).
enum class ImageState : uint8_t { unreported, confirmed, trial, rolled_back };
const char* image_state_name(ImageState state);  // "confirmed", "trial", "rolled-back"; "" for unreported

// What the device reports about itself in the x-ESP8266-* headers.
struct DeviceFacts {
  uint32_t chip_id = 0;
  uint8_t sta_mac[6] = {};
  uint8_t ap_mac[6] = {};
  uint32_t free_space = 0;      // ESP.getFreeSketchSpace()
  uint32_t sketch_size = 0;     // ESP.getSketchSize()
  const char* sketch_md5 = "";  // MD5 of the running sketch, 32 lowercase hex digits
  uint32_t chip_size = 0;       // ESP.getFlashChipRealSize(), from the JEDEC id
  const char* sdk_version = "";
  ImageState image = ImageState::unreported;
};

struct UpdateRequest {
  const char* host = "";   // name or address; an IPv6 address in brackets
  uint16_t port = 80;      // omitted from Host when 80 or 443, as the original does
  const char* path = "/";  // path and query, already percent-encoded; empty means "/"
  DeviceFacts device;
  UpdateMode mode = UpdateMode::sketch;
  const char* version = nullptr;   // x-ESP8266-version, sent only when non-empty
  const char* user = nullptr;      // Basic authorization only when user and password are
  const char* password = nullptr;  //   both non-empty
  const char* authorization = nullptr;  // a ready base64 credential (setAuthorization(auth)): wins

  // Resuming (our additions): Range: bytes=<range_start>-, and the ETag the first part came with.
  bool has_range_start = false;
  uint32_t range_start = 0;
  const char* if_range = nullptr;  // a strong ETag: the rest if unchanged, else the whole file
  const char* if_match = nullptr;  // an ETag: the request fails (412) if the file changed
};

enum class BuildError : uint8_t {
  ok,
  too_small,        // the request does not fit the buffer
  bad_host,         // empty, or a character that cannot be in a host
  bad_path,         // not starting with '/', or a space or control character in it
  bad_value,        // a control character in a header value (header injection), or a missing one
  bad_credentials,  // a ':' in the user name, or credentials too long to encode
  weak_etag,        // If-Range needs a strong ETag (RFC 9110 §13.1.5)
};

const char* describe(BuildError error);

// Writes the request head (ending in the blank line) and a NUL into out; *length excludes the NUL.
BuildError build_update_request(const UpdateRequest& request, char* out, size_t capacity, size_t* length);

}  // namespace otakit::http
