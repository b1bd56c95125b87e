// The server's reading of the x-ESP8266-* fields: the recorded request, one test per malformed
// value, and a round trip through the device's request builder.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "core/http/device_report.h"
#include "core/http/request_builder.h"

using namespace otakit::http;

namespace {

ReportError add(DeviceReport& r, const std::string& name, const std::string& value) {
  return add_report_field(r, name.data(), name.size(), value.data(), value.size());
}

// Reads "Name: value" lines of a recorded request head.
DeviceReport read_head(const std::string& head) {
  DeviceReport r;
  std::istringstream lines(head);
  std::string line;
  std::getline(lines, line);  // request line
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    EXPECT_NE(add(r, line.substr(0, colon), line.substr(colon + 2)), ReportError::duplicate);
  }
  return r;
}

std::string recorded(const std::string& name) {
  std::ifstream in(std::string(OTAKIT_VECTORS_DIR) + "/httpupdate/" + name, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

DeviceReport complete_report() {
  DeviceReport r;
  EXPECT_EQ(add(r, "x-ESP8266-STA-MAC", "18:FE:34:AA:BB:CC"), ReportError::ok);
  EXPECT_EQ(add(r, "x-ESP8266-AP-MAC", "1A:FE:34:AA:BB:CC"), ReportError::ok);
  EXPECT_EQ(add(r, "x-ESP8266-free-space", "1044480"), ReportError::ok);
  EXPECT_EQ(add(r, "x-ESP8266-sketch-size", "300000"), ReportError::ok);
  EXPECT_EQ(add(r, "x-ESP8266-sketch-md5", "a43ad019932b627ab90ee35a94a764ee"), ReportError::ok);
  EXPECT_EQ(add(r, "x-ESP8266-chip-size", "4194304"), ReportError::ok);
  EXPECT_EQ(add(r, "x-ESP8266-sdk-version", "2.2.2-dev(38a443e)"), ReportError::ok);
  return r;
}

TEST(DeviceReport, ReadsTheRecordedRequestOfTheOriginalClient) {
  const DeviceReport r = read_head(recorded("update-version-304.request.http"));
  ASSERT_EQ(check_report(r, nullptr), ReportError::ok);
  EXPECT_EQ(r.chip_id, 15602487u);
  const uint8_t mac[6] = {0xDE, 0xBA, 0x7A, 0xB1, 0xE0, 0x42};
  EXPECT_EQ(memcmp(r.sta_mac, mac, 6), 0);
  EXPECT_EQ(memcmp(r.ap_mac, mac, 6), 0);
  EXPECT_EQ(r.free_space, 4194304u);
  EXPECT_EQ(r.sketch_size, 400000u);
  EXPECT_STREQ(r.sketch_md5, "a43ad019932b627ab90ee35a94a764ee");
  EXPECT_EQ(r.chip_size, 4194304u);
  EXPECT_STREQ(r.sdk_version, "2.5.0");
  EXPECT_EQ(r.mode, UpdateMode::sketch);
  EXPECT_STREQ(r.version, "1.2.3");
  EXPECT_TRUE(r.has(kFieldVersion));
}

TEST(DeviceReport, ReadsTheFsModeRecording) {
  const DeviceReport r = read_head(recorded("update-fs-mode.request.http"));
  ASSERT_EQ(check_report(r, nullptr), ReportError::ok);
  EXPECT_EQ(r.mode, UpdateMode::spiffs);
  EXPECT_FALSE(r.has(kFieldVersion));
}

TEST(DeviceReport, NamesCompareWithoutCase) {
  DeviceReport r;
  EXPECT_EQ(add(r, "X-esp8266-sta-mac", "18:FE:34:AA:BB:CC"), ReportError::ok);
  EXPECT_TRUE(r.has(kFieldStaMac));
}

TEST(DeviceReport, OtherHeadersAreNotReportFields) {
  DeviceReport r;
  EXPECT_EQ(add(r, "Host", "fleet"), ReportError::not_a_report_field);
  EXPECT_EQ(add(r, "x-ESP8266-STA-MACX", "18:FE:34:AA:BB:CC"), ReportError::not_a_report_field);
  EXPECT_EQ(r.present, 0);
}

TEST(DeviceReport, LowercaseMacAndMd5AreNormalised) {
  DeviceReport r;
  EXPECT_EQ(add(r, "x-ESP8266-STA-MAC", "18:fe:34:aa:bb:cc"), ReportError::ok);
  EXPECT_EQ(add(r, "x-ESP8266-sketch-md5", "A43AD019932B627AB90EE35A94A764EE"), ReportError::ok);
  char mac[18];
  format_mac(r.sta_mac, mac);
  EXPECT_STREQ(mac, "18:FE:34:AA:BB:CC");
  EXPECT_STREQ(r.sketch_md5, "a43ad019932b627ab90ee35a94a764ee");
}

struct Malformed {
  std::string name;
  std::string value;
  ReportError error;
};

class DeviceReportMalformed : public ::testing::TestWithParam<Malformed> {};

TEST_P(DeviceReportMalformed, IsRefusedWithItsReason) {
  DeviceReport r;
  EXPECT_EQ(add(r, GetParam().name, GetParam().value), GetParam().error);
  EXPECT_EQ(r.present, 0) << "a refused field must not count as present";
}

INSTANTIATE_TEST_SUITE_P(
    Cases, DeviceReportMalformed,
    ::testing::Values(Malformed{"x-ESP8266-STA-MAC", "", ReportError::bad_mac},
                      Malformed{"x-ESP8266-STA-MAC", "18:FE:34:AA:BB", ReportError::bad_mac},
                      Malformed{"x-ESP8266-STA-MAC", "18:FE:34:AA:BB:CC:DD", ReportError::bad_mac},
                      Malformed{"x-ESP8266-STA-MAC", "18-FE-34-AA-BB-CC", ReportError::bad_mac},
                      Malformed{"x-ESP8266-STA-MAC", "18:FE:34:AA:BB:CG", ReportError::bad_mac},
                      Malformed{"x-ESP8266-AP-MAC", "not a mac at all!", ReportError::bad_mac},
                      Malformed{"x-ESP8266-Chip-ID", "", ReportError::bad_number},
                      Malformed{"x-ESP8266-Chip-ID", "-1", ReportError::bad_number},
                      Malformed{"x-ESP8266-Chip-ID", "12a", ReportError::bad_number},
                      Malformed{"x-ESP8266-free-space", "4294967296", ReportError::bad_number},
                      Malformed{"x-ESP8266-free-space", "99999999999999999999", ReportError::bad_number},
                      Malformed{"x-ESP8266-sketch-size", " 5", ReportError::bad_number},
                      Malformed{"x-ESP8266-chip-size", "4M", ReportError::bad_number},
                      Malformed{"x-ESP8266-sketch-md5", "a43ad019932b627ab90ee35a94a764e", ReportError::bad_md5},
                      Malformed{"x-ESP8266-sketch-md5", "a43ad019932b627ab90ee35a94a764eez", ReportError::bad_md5},
                      Malformed{"x-ESP8266-sketch-md5", "z43ad019932b627ab90ee35a94a764ee", ReportError::bad_md5},
                      Malformed{"x-ESP8266-mode", "fs", ReportError::bad_mode},
                      Malformed{"x-ESP8266-mode", "SKETCH", ReportError::bad_mode},
                      Malformed{"x-ESP8266-mode", "", ReportError::bad_mode},
                      Malformed{"x-ESP8266-sdk-version", "2.2.2\x01", ReportError::bad_text},
                      Malformed{"x-ESP8266-version", "caf\xC3\xA9", ReportError::bad_text},
                      Malformed{"x-ESP8266-version", std::string(64, 'v'), ReportError::too_long},
                      Malformed{"x-ESP8266-sdk-version", std::string(200, 's'), ReportError::too_long}));

TEST(DeviceReport, LongestTextsFit) {
  DeviceReport r;
  EXPECT_EQ(add(r, "x-ESP8266-version", std::string(63, 'v')), ReportError::ok);
  EXPECT_EQ(strlen(r.version), 63u);
}

TEST(DeviceReport, LargestNumbersFit) {
  DeviceReport r;
  EXPECT_EQ(add(r, "x-ESP8266-free-space", "4294967295"), ReportError::ok);
  EXPECT_EQ(r.free_space, 4294967295u);
}

TEST(DeviceReport, ADuplicateFieldIsRefused) {
  DeviceReport r;
  EXPECT_EQ(add(r, "x-ESP8266-STA-MAC", "18:FE:34:AA:BB:CC"), ReportError::ok);
  EXPECT_EQ(add(r, "x-esp8266-sta-mac", "18:FE:34:AA:BB:DD"), ReportError::duplicate);
  EXPECT_EQ(r.sta_mac[5], 0xCC);
}

TEST(DeviceReport, EachMissingRequiredFieldIsNamed) {
  const char* required[] = {"x-ESP8266-STA-MAC",     "x-ESP8266-AP-MAC",     "x-ESP8266-free-space",
                            "x-ESP8266-sketch-size", "x-ESP8266-sketch-md5", "x-ESP8266-chip-size",
                            "x-ESP8266-sdk-version"};
  for (const char* name : required) {
    DeviceReport r = complete_report();
    for (uint16_t bit = 1; bit != 0; bit = static_cast<uint16_t>(bit << 1))
      if (strcmp(report_field_name(static_cast<ReportField>(bit)), name) == 0) r.present &= static_cast<uint16_t>(~bit);
    const char* missing = nullptr;
    EXPECT_EQ(check_report(r, &missing), ReportError::missing_field) << name;
    EXPECT_STREQ(missing, name);
  }
}

TEST(DeviceReport, ChipIdAndModeAreOptionalAsInTheSeedScript) {
  const DeviceReport r = complete_report();
  EXPECT_EQ(check_report(r, nullptr), ReportError::ok);
  EXPECT_EQ(r.mode, UpdateMode::sketch);
}

TEST(DeviceReport, WhatTheBuilderWritesReadsBackTheSame) {
  UpdateRequest request;
  request.host = "fleet.example";
  request.device.chip_id = 0xEE1337;
  const uint8_t sta[6] = {0x18, 0xFE, 0x34, 0x01, 0x02, 0x03};
  memcpy(request.device.sta_mac, sta, 6);
  memcpy(request.device.ap_mac, sta, 6);
  request.device.ap_mac[0] = 0x1A;
  request.device.free_space = 1044480;
  request.device.sketch_size = 301234;
  request.device.sketch_md5 = "0123456789abcdef0123456789abcdef";
  request.device.chip_size = 1048576;
  request.device.sdk_version = "2.2.2-dev(38a443e)";
  request.mode = UpdateMode::version;
  request.version = "door-7";
  char head[1024];
  size_t length = 0;
  ASSERT_EQ(build_update_request(request, head, sizeof(head), &length), BuildError::ok);
  const DeviceReport r = read_head(std::string(head, length));
  ASSERT_EQ(check_report(r, nullptr), ReportError::ok);
  EXPECT_EQ(r.chip_id, 0xEE1337u);
  EXPECT_EQ(memcmp(r.sta_mac, sta, 6), 0);
  EXPECT_EQ(r.ap_mac[0], 0x1A);
  EXPECT_EQ(r.free_space, 1044480u);
  EXPECT_EQ(r.sketch_size, 301234u);
  EXPECT_STREQ(r.sketch_md5, request.device.sketch_md5);
  EXPECT_EQ(r.chip_size, 1048576u);
  EXPECT_STREQ(r.sdk_version, request.device.sdk_version);
  EXPECT_EQ(r.mode, UpdateMode::version);
  EXPECT_STREQ(r.version, "door-7");
}

}  // namespace

namespace {

TEST(DeviceReport, EachImageStateIsSaidAfterTheOriginalsFieldsAndReadBack) {
  UpdateRequest request;
  request.host = "fleet";
  request.device.sketch_md5 = "0123456789abcdef0123456789abcdef";
  request.device.sdk_version = "2.2.2";
  char head[1024];
  size_t length = 0;
  for (ImageState state : {ImageState::confirmed, ImageState::trial, ImageState::rolled_back}) {
    request.device.image = state;
    ASSERT_EQ(build_update_request(request, head, sizeof(head), &length), BuildError::ok);
    const std::string text(head, length);
    ASSERT_NE(text.find(std::string("x-OTAKit-image: ") + image_state_name(state) + "\r\n"), std::string::npos);
    EXPECT_GT(text.find("x-OTAKit-image"), text.find("Content-Length: 0")) << "ours come after the original's";
    EXPECT_EQ(read_head(text).image, state);
  }
  request.device.image = ImageState::unreported;
  ASSERT_EQ(build_update_request(request, head, sizeof(head), &length), BuildError::ok);
  EXPECT_EQ(std::string(head, length).find("x-OTAKit"), std::string::npos) << "as the original: nothing added";
}

TEST(DeviceReport, AnUnknownImageStateIsRefused) {
  DeviceReport r;
  EXPECT_EQ(add(r, "x-OTAKit-image", "rolled-back"), ReportError::ok);
  EXPECT_EQ(r.image, ImageState::rolled_back);
  for (const char* bad : {"maybe", "Trial", "rolled_back", "confirmed ", ""}) {
    DeviceReport s;
    EXPECT_EQ(add(s, "x-OTAKit-image", bad), ReportError::bad_image_state) << bad;
  }
}

}  // namespace
