// Reading a check off a request (403 for each refusal) and picking the range to send.
#include <gtest/gtest.h>

#include <algorithm>

#include "server/protocol/check_request.h"

using namespace otakit::server;

namespace {

Request check() {
  Request r;
  r.method = "GET";
  r.path = "/update";
  r.peer = "10.0.0.5";
  r.headers = {{"Host", "fleet"},
               {"User-Agent", "ESP8266-http-Update"},
               {"Connection", "close"},
               {"x-ESP8266-Chip-ID", "15602487"},
               {"x-ESP8266-STA-MAC", "DE:BA:7A:B1:E0:42"},
               {"x-ESP8266-AP-MAC", "DE:BA:7A:B1:E0:43"},
               {"x-ESP8266-free-space", "4194304"},
               {"x-ESP8266-sketch-size", "400000"},
               {"x-ESP8266-sketch-md5", "a43ad019932b627ab90ee35a94a764ee"},
               {"x-ESP8266-chip-size", "4194304"},
               {"x-ESP8266-sdk-version", "2.5.0"},
               {"x-ESP8266-mode", "sketch"},
               {"x-ESP8266-version", "1.2.3"},
               {"Content-Length", "0"}};
  return r;
}

void set(Request& r, const std::string& name, const std::string& value) {
  for (auto& [k, v] : r.headers)
    if (k == name) v = value;
}

void drop(Request& r, const std::string& name) {
  r.headers.erase(std::remove_if(r.headers.begin(), r.headers.end(), [&](const auto& h) { return h.first == name; }),
                  r.headers.end());
}

std::string refusal(const Request& r) {
  auto result = read_check(r);
  const Response* response = std::get_if<Response>(&result);
  if (response == nullptr) return "";
  EXPECT_EQ(response->status, 403);
  return response->body;
}

TEST(CheckRequest, TheOriginalClientsRequestIsRead) {
  auto result = read_check(check());
  ASSERT_TRUE(std::holds_alternative<CheckReport>(result));
  const CheckReport& c = std::get<CheckReport>(result);
  EXPECT_EQ(c.sta_mac, "DE:BA:7A:B1:E0:42");
  EXPECT_EQ(c.ap_mac, "DE:BA:7A:B1:E0:43");
  EXPECT_EQ(c.chip_id, 15602487u);
  EXPECT_EQ(c.free_space, 4194304u);
  EXPECT_EQ(c.sketch_md5, "a43ad019932b627ab90ee35a94a764ee");
  EXPECT_EQ(c.version, "1.2.3");
  EXPECT_EQ(c.mode, CheckReport::Mode::sketch);
  EXPECT_EQ(c.address, "10.0.0.5");
}

TEST(CheckRequest, WithoutTheUserAgentItIsForbiddenAsBySeedScript) {
  Request r = check();
  drop(r, "User-Agent");
  EXPECT_NE(refusal(r).find("only for ESP8266 updater!"), std::string::npos);
  set(r = check(), "User-Agent", "curl/7.88");
  EXPECT_NE(refusal(r).find("User-Agent"), std::string::npos);
}

TEST(CheckRequest, EachMissingHeaderIsNamed) {
  for (const char* name : {"x-ESP8266-STA-MAC", "x-ESP8266-AP-MAC", "x-ESP8266-free-space", "x-ESP8266-sketch-size",
                           "x-ESP8266-sketch-md5", "x-ESP8266-chip-size", "x-ESP8266-sdk-version"}) {
    Request r = check();
    drop(r, name);
    EXPECT_NE(refusal(r).find(name), std::string::npos) << name;
  }
}

TEST(CheckRequest, GarbageValuesAreForbiddenWithTheHeaderAndReason) {
  struct Case {
    const char* name;
    std::string value;
    const char* says;
  };
  for (const Case& c : {Case{"x-ESP8266-STA-MAC", "18:FE:34", "MAC"},
                        Case{"x-ESP8266-STA-MAC", "'; DROP TABLE devices; --", "MAC"},
                        Case{"x-ESP8266-free-space", "lots", "decimal"},
                        Case{"x-ESP8266-sketch-md5", "xyz", "MD5"},
                        Case{"x-ESP8266-mode", "firmware", "sketch, spiffs, version"},
                        Case{"x-ESP8266-version", std::string(5000, 'a'), "longer"},
                        Case{"x-ESP8266-sdk-version", "a\tb", "control"}}) {
    Request r = check();
    set(r, c.name, c.value);
    const std::string body = refusal(r);
    EXPECT_NE(body.find(c.name), std::string::npos) << c.name;
    EXPECT_NE(body.find(c.says), std::string::npos) << body;
  }
}

TEST(CheckRequest, ARepeatedHeaderIsForbidden) {
  Request r = check();
  r.headers.emplace_back("x-ESP8266-STA-MAC", "DE:BA:7A:B1:E0:99");
  EXPECT_NE(refusal(r).find("twice"), std::string::npos);
}

Request with_range(const std::string& range, const std::string& if_range = "") {
  Request r = check();
  r.headers.emplace_back("Range", range);
  if (!if_range.empty()) r.headers.emplace_back("If-Range", if_range);
  return r;
}

TEST(Range, NoRangeIsTheWholeBody) { EXPECT_EQ(select_range(check(), 1000, "\"e\"").answer, RangeAnswer::whole); }

TEST(Range, AnOpenRangeIsTheRestOfTheBody) {
  const RangeResult r = select_range(with_range("bytes=400-"), 1000, "\"e\"");
  EXPECT_EQ(r.answer, RangeAnswer::partial);
  EXPECT_EQ(r.range.first, 400u);
  EXPECT_EQ(r.range.length, 600u);
}

TEST(Range, AClosedRangeIsClampedToTheBody) {
  RangeResult r = select_range(with_range("bytes=10-19"), 1000, "\"e\"");
  EXPECT_EQ(r.range.first, 10u);
  EXPECT_EQ(r.range.length, 10u);
  r = select_range(with_range("bytes=990-5000"), 1000, "\"e\"");
  EXPECT_EQ(r.range.length, 10u);
}

TEST(Range, IfRangeWithTheCurrentEtagKeepsTheRange) {
  EXPECT_EQ(select_range(with_range("bytes=5-", "\"e\""), 1000, "\"e\"").answer, RangeAnswer::partial);
}

TEST(Range, IfRangeWithAnotherEtagSendsTheWholeNewBody) {
  EXPECT_EQ(select_range(with_range("bytes=5-", "\"old\""), 1000, "\"e\"").answer, RangeAnswer::whole);
}

TEST(Range, AStartPastTheEndIsUnsatisfiable) {
  EXPECT_EQ(select_range(with_range("bytes=1000-"), 1000, "\"e\"").answer, RangeAnswer::unsatisfiable);
}

TEST(Range, MalformedOrMultipleRangesAreIgnored) {
  for (const char* bad : {"bytes=", "bytes=a-", "bytes=5-2", "items=0-", "bytes=0-1,5-6", "bytes=-500",
                          "bytes=99999999999999999999-"})
    EXPECT_EQ(select_range(with_range(bad), 1000, "\"e\"").answer, RangeAnswer::whole) << bad;
}

}  // namespace
