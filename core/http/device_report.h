// The server side of the pull request's x-ESP8266-* fields (facts §6.2): the request builder
// writes them, this reads them back, with the same names, so both ends share one codec. A field
// that is malformed or too long is refused with a reason the server can send back in its 403.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "core/http/request_builder.h"

namespace otakit::http {

// The field names, as the original sends them (compared case-insensitively when read).
namespace field {
constexpr const char* kChipId = "x-ESP8266-Chip-ID";
constexpr const char* kStaMac = "x-ESP8266-STA-MAC";
constexpr const char* kApMac = "x-ESP8266-AP-MAC";
constexpr const char* kFreeSpace = "x-ESP8266-free-space";
constexpr const char* kSketchSize = "x-ESP8266-sketch-size";
constexpr const char* kSketchMd5 = "x-ESP8266-sketch-md5";
constexpr const char* kChipSize = "x-ESP8266-chip-size";
constexpr const char* kSdkVersion = "x-ESP8266-sdk-version";
constexpr const char* kMode = "x-ESP8266-mode";
constexpr const char* kVersion = "x-ESP8266-version";
constexpr const char* kImageState = "x-OTAKit-image";   // ours: "confirmed", "trial" or "rolled-back"
// Ours, on a 304 from otakit server: why nothing is offered (already_running, same_version,
// no_target, failed_here, too_large, wrong_flash, downgrade, wrong_kind), so a device knows it
// runs its target, or keeps its image after failing a rollout.
constexpr const char* kWithheld = "x-OTAKit-withheld";
constexpr const char* kUserAgent = "ESP8266-http-Update";  // the User-Agent value
}  // namespace field

// Which fields a report carries (bits of DeviceReport::present).
enum ReportField : uint16_t {
  kFieldChipId = 1 << 0,
  kFieldStaMac = 1 << 1,
  kFieldApMac = 1 << 2,
  kFieldFreeSpace = 1 << 3,
  kFieldSketchSize = 1 << 4,
  kFieldSketchMd5 = 1 << 5,
  kFieldChipSize = 1 << 6,
  kFieldSdkVersion = 1 << 7,
  kFieldMode = 1 << 8,
  kFieldVersion = 1 << 9,
  kFieldImageState = 1 << 10,
};
// The seed's server script refuses a request without any of these (Chip-ID and mode are
// optional there: the documentation's sample leaves Chip-ID out).
constexpr uint16_t kRequiredReportFields = kFieldStaMac | kFieldApMac | kFieldFreeSpace | kFieldSketchSize |
                                           kFieldSketchMd5 | kFieldChipSize | kFieldSdkVersion;

constexpr size_t kMaxSdkVersion = 63;     // the SDK strings seen are under 40 characters
constexpr size_t kMaxReportVersion = 63;  // x-ESP8266-version, a firmware author's text

struct DeviceReport {
  uint16_t present = 0;  // ReportField bits
  uint32_t chip_id = 0;
  uint8_t sta_mac[6] = {};
  uint8_t ap_mac[6] = {};
  uint32_t free_space = 0;
  uint32_t sketch_size = 0;
  char sketch_md5[33] = {};  // lowercased
  uint32_t chip_size = 0;
  char sdk_version[kMaxSdkVersion + 1] = {};
  UpdateMode mode = UpdateMode::sketch;  // sketch when the field is absent
  char version[kMaxReportVersion + 1] = {};
  ImageState image = ImageState::unreported;  // x-OTAKit-image (OTAKit devices send it)

  bool has(ReportField f) const { return (present & f) != 0; }
};

enum class ReportError : uint8_t {
  ok,
  not_a_report_field,  // some other header: the caller ignores it
  duplicate,           // the same x-ESP8266 field twice
  bad_number,          // not a decimal that fits 32 bits
  bad_mac,             // not six two-digit hex groups separated by ':'
  bad_md5,             // not 32 hex digits
  bad_mode,            // not sketch, spiffs or version
  bad_image_state,     // x-OTAKit-image is not confirmed, trial or rolled-back
  too_long,            // a text longer than its limit
  bad_text,            // a control character or non-ASCII byte in a text
  missing_field,       // check_report: a required field is absent
};
const char* describe(ReportError error);

// Reads one header field into the report. Names compare case-insensitively; surrounding spaces
// of the value must already be trimmed (HTTP parsers do).
ReportError add_report_field(DeviceReport& report, const char* name, size_t name_size, const char* value,
                             size_t value_size);

// Checks that the required fields are all there; *missing (optional) gets the first absent name.
ReportError check_report(const DeviceReport& report, const char** missing);

// The name of the field a bit stands for.
const char* report_field_name(ReportField f);

// Reads "AA:BB:CC:DD:EE:FF" (either case), as in the STA-MAC and AP-MAC fields.
bool parse_mac(const char* text, size_t size, uint8_t out[6]);

// Writes a MAC as the device sends it, "AA:BB:CC:DD:EE:FF" and a NUL (out: 18 chars).
void format_mac(const uint8_t mac[6], char out[18]);

}  // namespace otakit::http
