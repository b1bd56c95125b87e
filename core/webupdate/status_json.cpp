#include "core/webupdate/status_json.h"

#include "core/util/text.h"

namespace otakit::webupdate {
namespace {

// A JSON string (RFC 8259 §7): quotes, backslashes and control characters escaped.
void add_string(TextBuilder& json, const char* text) {
  static constexpr char kHex[] = "0123456789abcdef";
  json.add_char('"');
  for (const char* at = text; *at != '\0'; ++at) {
    const unsigned char c = static_cast<unsigned char>(*at);
    if (c == '"' || c == '\\') {
      json.add_char('\\').add_char(char(c));
    } else if (c < 0x20) {
      json.add("\\u00").add_char(kHex[c >> 4]).add_char(kHex[c & 15]);
    } else {
      json.add_char(char(c));
    }
  }
  json.add_char('"');
}

}  // namespace

size_t format_status_json(const DeviceStatus& status, bool uploading, char* out, size_t capacity) {
  TextBuilder json(out, capacity);
  json.add("{\"hostname\":");
  add_string(json, status.hostname);
  json.add(",\"version\":");
  add_string(json, status.version);
  json.add(",\"md5\":");
  add_string(json, status.md5);
  json.add(",\"sketch_size\":").add_u32(status.sketch_size);
  json.add(",\"free_space\":").add_u32(status.free_space);
  json.add(",\"filesystem_size\":").add_u32(status.filesystem_size);
  json.add(",\"chip_id\":").add_u32(status.chip_id);
  json.add(",\"boots\":").add_u32(status.boots);
  json.add(",\"on_trial\":").add(status.on_trial ? "true" : "false");
  json.add(",\"uploading\":").add(uploading ? "true" : "false");
  json.add_char('}');
  return json.truncated() ? 0 : json.size();
}

}  // namespace otakit::webupdate
