#include "core/http/request_builder.h"

#include <string.h>

#include "core/http/basic_auth.h"
#include "core/http/device_report.h"
#include "core/http/message.h"
#include "core/util/base64.h"
#include "core/util/text.h"

namespace otakit::http {
namespace {

bool is_empty(const char* text) { return text == nullptr || text[0] == '\0'; }

// Visible ASCII only, none of the characters that end an authority.
bool is_host(const char* host) {
  if (is_empty(host)) return false;
  for (const char* p = host; *p != '\0'; ++p) {
    uint8_t c = uint8_t(*p);
    if (c <= 0x20 || c >= 0x7F || strchr("/?#@", c) != nullptr) return false;
  }
  return true;
}

bool is_path(const char* path) {
  if (path[0] != '/') return false;
  for (const char* p = path; *p != '\0'; ++p) {
    uint8_t c = uint8_t(*p);
    if (c <= 0x20 || c >= 0x7F || c == '#') return false;
  }
  return true;
}

const char* mode_name(UpdateMode mode) {
  switch (mode) {
    case UpdateMode::sketch: return "sketch";
    case UpdateMode::spiffs: return "spiffs";
    case UpdateMode::version: return "version";
  }
  return "sketch";
}

void add_field(TextBuilder& text, const char* name, const char* value) {
  text.add(name).add(": ").add(value).add("\r\n");
}

void add_field(TextBuilder& text, const char* name, uint32_t value) {
  text.add(name).add(": ").add_u32(value).add("\r\n");
}

// XX:XX:XX:XX:XX:XX in uppercase, as WiFi.macAddress() prints it.
void add_mac_field(TextBuilder& text, const char* name, const uint8_t mac[6]) {
  static const char kDigits[] = "0123456789ABCDEF";
  text.add(name).add(": ");
  for (size_t i = 0; i < 6; ++i) {
    if (i > 0) text.add_char(':');
    text.add_char(kDigits[mac[i] >> 4]).add_char(kDigits[mac[i] & 0xF]);
  }
  text.add("\r\n");
}

BuildError check_values(const UpdateRequest& request, const char* path) {
  if (!is_host(request.host)) return BuildError::bad_host;
  if (!is_path(path)) return BuildError::bad_path;
  if (request.device.sketch_md5 == nullptr || request.device.sdk_version == nullptr) return BuildError::bad_value;
  const char* values[] = {request.device.sketch_md5, request.device.sdk_version, request.version,
                          request.authorization,    request.if_range,           request.if_match};
  for (const char* value : values)
    if (value != nullptr && !is_field_value(value)) return BuildError::bad_value;
  if (!is_empty(request.if_range) && strncmp(request.if_range, "W/", 2) == 0) return BuildError::weak_etag;
  return BuildError::ok;
}

// Authorization as ESP8266HTTPClient sends it: a ready credential wins over user and password.
BuildError add_authorization(TextBuilder& text, const UpdateRequest& request) {
  if (!is_empty(request.authorization)) {
    text.add("Authorization: Basic ").add(request.authorization).add("\r\n");
    return BuildError::ok;
  }
  if (is_empty(request.user) || is_empty(request.password)) return BuildError::ok;
  char value[sizeof("Basic ") + base64_encoded_length(kMaxBasicCredentials)];
  if (format_basic_authorization(request.user, request.password, value, sizeof(value)) == 0) {
    return BuildError::bad_credentials;
  }
  add_field(text, "Authorization", value);
  return BuildError::ok;
}

void add_device_facts(TextBuilder& text, const DeviceFacts& device) {
  add_field(text, field::kChipId, device.chip_id);
  add_mac_field(text, field::kStaMac, device.sta_mac);
  add_mac_field(text, field::kApMac, device.ap_mac);
  add_field(text, field::kFreeSpace, device.free_space);
  add_field(text, field::kSketchSize, device.sketch_size);
  add_field(text, field::kSketchMd5, device.sketch_md5);
  add_field(text, field::kChipSize, device.chip_size);
  add_field(text, field::kSdkVersion, device.sdk_version);
}

void add_resume_fields(TextBuilder& text, const UpdateRequest& request) {
  if (request.has_range_start) text.add("Range: bytes=").add_u32(request.range_start).add("-\r\n");
  if (!is_empty(request.if_range)) add_field(text, "If-Range", request.if_range);
  if (!is_empty(request.if_match)) add_field(text, "If-Match", request.if_match);
}

}  // namespace

const char* describe(BuildError error) {
  switch (error) {
    case BuildError::ok: return "ok";
    case BuildError::too_small: return "the request does not fit the buffer";
    case BuildError::bad_host: return "the host is empty or has a character a host cannot have";
    case BuildError::bad_path: return "the path does not start with '/' or has a space or control character";
    case BuildError::bad_value: return "a header value has a control character";
    case BuildError::bad_credentials: return "the user name has a ':' or the credentials are too long";
    case BuildError::weak_etag: return "If-Range needs a strong ETag";
  }
  return "unknown";
}

// The order is ESP8266HTTPClient::sendHeader's, with httpUpdate's headers where it adds them.
const char* image_state_name(ImageState state) {
  switch (state) {
    case ImageState::unreported: return "";
    case ImageState::confirmed: return "confirmed";
    case ImageState::trial: return "trial";
    case ImageState::rolled_back: return "rolled-back";
  }
  return "";
}

BuildError build_update_request(const UpdateRequest& request, char* out, size_t capacity, size_t* length) {
  const char* path = is_empty(request.path) ? "/" : request.path;
  BuildError error = check_values(request, path);
  if (error != BuildError::ok) return error;
  TextBuilder text(out, capacity);
  text.add("GET ").add(path).add(" HTTP/1.0\r\n");
  text.add("Host: ").add(request.host);
  if (request.port != 80 && request.port != 443) text.add_char(':').add_u32(request.port);
  text.add("\r\n");
  add_field(text, "User-Agent", field::kUserAgent);
  error = add_authorization(text, request);
  if (error != BuildError::ok) return error;
  add_field(text, "Connection", "close");
  add_device_facts(text, request.device);
  add_field(text, field::kMode, mode_name(request.mode));
  if (!is_empty(request.version)) add_field(text, field::kVersion, request.version);
  add_field(text, "Content-Length", uint32_t(0));
  add_resume_fields(text, request);
  if (request.device.image != ImageState::unreported)
    add_field(text, field::kImageState, image_state_name(request.device.image));
  text.add("\r\n");
  if (text.truncated()) return BuildError::too_small;
  *length = text.size();
  return BuildError::ok;
}

}  // namespace otakit::http
