// The page the device serves: the original's forms (so it works without JavaScript and with
// scripts that post to it), no external resource, the ids the browser test relies on, and a size
// that fits a device's flash.
#include <gtest/gtest.h>

#include <string>

#include "core/webupdate/web_update_server.h"

namespace otakit::webupdate {
namespace {

const std::string kPage(kUpdatePage, kUpdatePageSize);  // kUpdatePageSize is sizeof - 1: no NUL inside

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(UpdatePage, KeepsTheOriginalsTwoForms) {
  EXPECT_EQ(count(kPage, "<form "), 2u);
  EXPECT_EQ(count(kPage, "method=\"POST\" action=\"\" enctype=\"multipart/form-data\""), 2u);
  EXPECT_EQ(count(kPage, "accept=\".bin,.bin.gz\" name=\"firmware\""), 1u);
  EXPECT_EQ(count(kPage, "accept=\".bin,.bin.gz\" name=\"filesystem\""), 1u);
  EXPECT_NE(kPage.find("value=\"Update Firmware\""), std::string::npos);
  EXPECT_NE(kPage.find("value=\"Update FileSystem\""), std::string::npos);
}

TEST(UpdatePage, FitsAndNeedsNothingFromTheNetwork) {
  EXPECT_LT(kUpdatePageSize, 8u * 1024u);
  EXPECT_EQ(kPage.find("http:"), std::string::npos);
  EXPECT_EQ(kPage.find("https:"), std::string::npos);
  EXPECT_EQ(kPage.find("//cdn"), std::string::npos);
  for (unsigned char c : kPage) EXPECT_LT(c, 0x80u) << "ASCII only: the size in bytes is the size in characters";
}

TEST(UpdatePage, HasTheIdsTheBrowserTestUses) {
  for (const char* id : {"version", "md5", "free", "file", "drop", "progress", "message", "upload"})
    EXPECT_NE(kPage.find(std::string("id=\"") + id + "\""), std::string::npos) << id;
}

}  // namespace
}  // namespace otakit::webupdate
