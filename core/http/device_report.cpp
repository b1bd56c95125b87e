// Reading the x-ESP8266-* fields of a pull request (the server's half of request_builder).
#include "core/http/device_report.h"

#include <string.h>

#include "core/util/hex.h"

namespace otakit::http {
namespace {

bool name_is(const char* name, size_t size, const char* expected) {
  if (strlen(expected) != size) return false;
  for (size_t i = 0; i < size; ++i) {
    char a = name[i], b = expected[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
    if (a != b) return false;
  }
  return true;
}

bool parse_u32(const char* value, size_t size, uint32_t* out) {
  if (size == 0 || size > 10) return false;
  uint64_t n = 0;
  for (size_t i = 0; i < size; ++i) {
    if (value[i] < '0' || value[i] > '9') return false;
    n = n * 10 + static_cast<uint64_t>(value[i] - '0');
  }
  if (n > 0xFFFFFFFFu) return false;
  *out = static_cast<uint32_t>(n);
  return true;
}

ReportError copy_text(const char* value, size_t size, char* out, size_t limit) {
  if (size > limit) return ReportError::too_long;
  for (size_t i = 0; i < size; ++i) {
    const unsigned char c = static_cast<unsigned char>(value[i]);
    if (c < 0x20 || c > 0x7E) return ReportError::bad_text;
  }
  memcpy(out, value, size);
  out[size] = '\0';
  return ReportError::ok;
}

ReportError parse_mode(const char* value, size_t size, UpdateMode* mode) {
  if (size == 6 && memcmp(value, "sketch", 6) == 0) *mode = UpdateMode::sketch;
  else if (size == 6 && memcmp(value, "spiffs", 6) == 0) *mode = UpdateMode::spiffs;
  else if (size == 7 && memcmp(value, "version", 7) == 0) *mode = UpdateMode::version;
  else return ReportError::bad_mode;
  return ReportError::ok;
}

ReportError parse_md5(const char* value, size_t size, char out[33]) {
  if (size != 32 || !is_hex(value, size)) return ReportError::bad_md5;
  for (size_t i = 0; i < 32; ++i) out[i] = (value[i] >= 'A' && value[i] <= 'F') ? static_cast<char>(value[i] + 32) : value[i];
  out[32] = '\0';
  return ReportError::ok;
}

struct FieldName {
  ReportField bit;
  const char* name;
};
constexpr FieldName kFields[] = {
    {kFieldChipId, field::kChipId},         {kFieldStaMac, field::kStaMac},
    {kFieldApMac, field::kApMac},           {kFieldFreeSpace, field::kFreeSpace},
    {kFieldSketchSize, field::kSketchSize}, {kFieldSketchMd5, field::kSketchMd5},
    {kFieldChipSize, field::kChipSize},     {kFieldSdkVersion, field::kSdkVersion},
    {kFieldMode, field::kMode},             {kFieldVersion, field::kVersion},
    {kFieldImageState, field::kImageState},
};

constexpr ImageState kReportedImageStates[] = {ImageState::confirmed, ImageState::trial, ImageState::rolled_back};

ReportError parse_value(DeviceReport& r, ReportField bit, const char* v, size_t n) {
  switch (bit) {
    case kFieldChipId: return parse_u32(v, n, &r.chip_id) ? ReportError::ok : ReportError::bad_number;
    case kFieldStaMac: return parse_mac(v, n, r.sta_mac) ? ReportError::ok : ReportError::bad_mac;
    case kFieldApMac: return parse_mac(v, n, r.ap_mac) ? ReportError::ok : ReportError::bad_mac;
    case kFieldFreeSpace: return parse_u32(v, n, &r.free_space) ? ReportError::ok : ReportError::bad_number;
    case kFieldSketchSize: return parse_u32(v, n, &r.sketch_size) ? ReportError::ok : ReportError::bad_number;
    case kFieldSketchMd5: return parse_md5(v, n, r.sketch_md5);
    case kFieldChipSize: return parse_u32(v, n, &r.chip_size) ? ReportError::ok : ReportError::bad_number;
    case kFieldSdkVersion: return copy_text(v, n, r.sdk_version, kMaxSdkVersion);
    case kFieldMode: return parse_mode(v, n, &r.mode);
    case kFieldVersion: return copy_text(v, n, r.version, kMaxReportVersion);
    case kFieldImageState:
      for (const ImageState s : kReportedImageStates) {
        const char* name = image_state_name(s);
        if (n == strlen(name) && memcmp(v, name, n) == 0) {
          r.image = s;
          return ReportError::ok;
        }
      }
      return ReportError::bad_image_state;
  }
  return ReportError::not_a_report_field;
}

}  // namespace

const char* describe(ReportError error) {
  switch (error) {
    case ReportError::ok: return "ok";
    case ReportError::not_a_report_field: return "not an x-ESP8266 field";
    case ReportError::duplicate: return "the field is sent twice";
    case ReportError::bad_number: return "not a decimal number of at most 32 bits";
    case ReportError::bad_mac: return "not a MAC address like 18:FE:34:AA:BB:CC";
    case ReportError::bad_md5: return "not an MD5 of 32 hex digits";
    case ReportError::bad_mode: return "not one of sketch, spiffs, version";
    case ReportError::bad_image_state: return "not trial or confirmed";
    case ReportError::too_long: return "longer than 63 characters";
    case ReportError::bad_text: return "has a control or non-ASCII character";
    case ReportError::missing_field: return "a required x-ESP8266 field is missing";
  }
  return "unknown";
}

const char* report_field_name(ReportField f) {
  for (const FieldName& entry : kFields)
    if (entry.bit == f) return entry.name;
  return "";
}

ReportError add_report_field(DeviceReport& report, const char* name, size_t name_size, const char* value,
                             size_t value_size) {
  for (const FieldName& entry : kFields) {
    if (!name_is(name, name_size, entry.name)) continue;
    if (report.has(entry.bit)) return ReportError::duplicate;
    const ReportError error = parse_value(report, entry.bit, value, value_size);
    if (error == ReportError::ok) report.present = static_cast<uint16_t>(report.present | entry.bit);
    return error;
  }
  return ReportError::not_a_report_field;
}

ReportError check_report(const DeviceReport& report, const char** missing) {
  for (const FieldName& entry : kFields) {
    if ((kRequiredReportFields & entry.bit) == 0 || report.has(entry.bit)) continue;
    if (missing != nullptr) *missing = entry.name;
    return ReportError::missing_field;
  }
  return ReportError::ok;
}

// The original prints %02X; lowercase is accepted too, and stored as bytes.
bool parse_mac(const char* value, size_t size, uint8_t out[6]) {
  if (size != 17) return false;
  for (size_t i = 0; i < 6; ++i) {
    const char* p = value + i * 3;
    if (i < 5 && p[2] != ':') return false;
    const int hi = hex_digit_value(p[0]), lo = hex_digit_value(p[1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return true;
}

void format_mac(const uint8_t mac[6], char out[18]) {
  static const char kDigits[] = "0123456789ABCDEF";
  for (size_t i = 0; i < 6; ++i) {
    out[i * 3] = kDigits[mac[i] >> 4];
    out[i * 3 + 1] = kDigits[mac[i] & 0xF];
    out[i * 3 + 2] = i < 5 ? ':' : '\0';
  }
}

}  // namespace otakit::http
