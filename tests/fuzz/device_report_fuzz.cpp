// The x-ESP8266-* fields come from anything that reaches the fleet server. Fed "name: value"
// lines, the reader must stay in its buffers, keep every text NUL-terminated and printable, and
// a report it accepted must survive the request builder and a second read unchanged.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cstdlib>
#include <string>

#include "core/http/device_report.h"
#include "core/http/request_builder.h"

using namespace otakit::http;

namespace {

void read_lines(DeviceReport& report, const char* data, size_t size) {
  size_t start = 0;
  while (start < size) {
    size_t end = start;
    while (end < size && data[end] != '\n') ++end;
    size_t colon = start;
    while (colon < end && data[colon] != ':') ++colon;
    if (colon < end) {
      size_t value = colon + 1;
      while (value < end && data[value] == ' ') ++value;
      add_report_field(report, data + start, colon - start, data + value, end - value);
    }
    start = end + 1;
  }
}

void check_text(const char* text, size_t capacity) {
  const size_t n = strnlen(text, capacity);
  if (n == capacity) abort();
  for (size_t i = 0; i < n; ++i)
    if (static_cast<unsigned char>(text[i]) < 0x20 || static_cast<unsigned char>(text[i]) > 0x7E) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  DeviceReport report;
  read_lines(report, reinterpret_cast<const char*>(data), size);
  check_text(report.sketch_md5, sizeof(report.sketch_md5));
  check_text(report.sdk_version, sizeof(report.sdk_version));
  check_text(report.version, sizeof(report.version));
  if (check_report(report, nullptr) != ReportError::ok) return 0;

  // Round trip through the device's own request builder.
  UpdateRequest request;
  request.host = "fleet";
  request.device.chip_id = report.chip_id;
  memcpy(request.device.sta_mac, report.sta_mac, 6);
  memcpy(request.device.ap_mac, report.ap_mac, 6);
  request.device.free_space = report.free_space;
  request.device.sketch_size = report.sketch_size;
  request.device.sketch_md5 = report.sketch_md5;
  request.device.chip_size = report.chip_size;
  request.device.sdk_version = report.sdk_version;
  request.mode = report.mode;
  request.version = report.version;
  request.device.image = report.image;
  char head[1024];
  size_t length = 0;
  if (build_update_request(request, head, sizeof(head), &length) != BuildError::ok) abort();
  const char* body = strstr(head, "\r\n") + 2;  // skip the request line
  std::string lines(body, static_cast<size_t>(head + length - body));
  for (size_t at; (at = lines.find('\r')) != std::string::npos;) lines.erase(at, 1);
  DeviceReport again;
  read_lines(again, lines.data(), lines.size());
  if (check_report(again, nullptr) != ReportError::ok) abort();
  if (memcmp(again.sta_mac, report.sta_mac, 6) != 0 || strcmp(again.sketch_md5, report.sketch_md5) != 0 ||
      strcmp(again.sdk_version, report.sdk_version) != 0 || again.free_space != report.free_space ||
      again.chip_size != report.chip_size || again.mode != report.mode || again.image != report.image)
    abort();
  return 0;
}
