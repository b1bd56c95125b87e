// The simple mode's mapping file: what it maps, and one test per bad line.
#include <gtest/gtest.h>

#include <fstream>

#include "files/file_io.h"
#include "host/image_report.h"
#include "server/protocol/simple_map.h"
#include "tests/server/server_test_support.h"

using namespace otakit;
using namespace otakit::server;

namespace {

class SimpleMapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::temp_dir("simple");
    std::filesystem::create_directories(dir_ + "/bin");
    door_ = test::image(100000, "door-7", 0, 1);
    app_ = test::image(100000, "app-2", 0, 2);
    files::write_file_atomic(dir_ + "/bin/door.bin", door_);
    files::write_file_atomic(dir_ + "/bin/app.bin", app_);
    files::write_file_atomic(dir_ + "/outside.bin", app_);
  }
  std::string map(const std::string& text) {
    std::ofstream(dir_ + "/devices.map") << text;
    return dir_ + "/devices.map";
  }
  std::string error_of(const std::string& text) {
    try {
      load_simple_map(map(text), dir_ + "/bin");
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "";
  }
  std::string dir_;
  std::vector<uint8_t> door_, app_;
};

TEST_F(SimpleMapTest, MacsChipIdsAndTheDefaultPickTheirBinaries) {
  const SimpleMap m = load_simple_map(map("# the seed's array\n"
                                          "18:FE:AA:AA:AA:AA door.bin\n"
                                          "1234567 door.bin door-7b\n"
                                          "default app.bin   # everyone else\n"),
                                      dir_ + "/bin");
  SimpleCheckService service(m);
  CheckReport r = test::device_check(1, "00000000000000000000000000000000");
  r.sta_mac = "18:FE:AA:AA:AA:AA";
  CheckOutcome o = service.check(r, 0);
  ASSERT_EQ(o.decision.answer, Answer::offer);
  EXPECT_EQ(o.firmware->md5, host::md5_hex(door_.data(), door_.size()));
  EXPECT_EQ(o.firmware->version, "door-7");
  EXPECT_EQ(service.file_of(*o.firmware), std::filesystem::weakly_canonical(dir_ + "/bin/door.bin").string());

  r = test::device_check(2, "00000000000000000000000000000000");
  r.chip_id = 1234567;
  o = service.check(r, 0);
  ASSERT_EQ(o.decision.answer, Answer::offer);
  EXPECT_EQ(o.firmware->version, "door-7b") << "the line's version overrides the image's";

  r = test::device_check(3, "00000000000000000000000000000000");
  o = service.check(r, 0);
  ASSERT_EQ(o.decision.answer, Answer::offer);
  EXPECT_EQ(o.firmware->md5, host::md5_hex(app_.data(), app_.size()));
}

TEST_F(SimpleMapTest, ADeviceRunningItsBinaryGets304NotTheSeeds500) {
  const SimpleMap m = load_simple_map(map("default app.bin\n"), dir_ + "/bin");
  SimpleCheckService service(m);
  const CheckOutcome o = service.check(test::device_check(1, host::md5_hex(app_.data(), app_.size())), 0);
  EXPECT_EQ(o.decision.answer, Answer::not_modified);
  EXPECT_EQ(o.decision.why, Withheld::already_running);
}

TEST_F(SimpleMapTest, AnUnmappedDeviceWithoutADefaultGets304) {
  const SimpleMap m = load_simple_map(map("18:FE:AA:AA:AA:AA door.bin\n"), dir_ + "/bin");
  SimpleCheckService service(m);
  EXPECT_EQ(service.check(test::device_check(9, "00000000000000000000000000000000"), 0).decision.why, Withheld::no_target);
}

TEST_F(SimpleMapTest, LowercaseMacsMatchTheDevicesUppercase) {
  const SimpleMap m = load_simple_map(map("18:fe:aa:aa:aa:aa door.bin\n"), dir_ + "/bin");
  EXPECT_EQ(m.by_mac.count("18:FE:AA:AA:AA:AA"), 1u);
}

TEST_F(SimpleMapTest, EachBadLineIsNamedWithItsNumber) {
  EXPECT_NE(error_of("default app.bin\n18:FE:AA:AA:AA:AA\n").find(":2: a device needs a binary"), std::string::npos);
  EXPECT_NE(error_of("not-a-key app.bin\n").find(":1: 'not-a-key' is neither"), std::string::npos);
  EXPECT_NE(error_of("default app.bin 1.0 extra\n").find("unexpected 'extra'"), std::string::npos);
  EXPECT_NE(error_of("default app.bin\ndefault door.bin\n").find(":2: a second default"), std::string::npos);
  EXPECT_NE(error_of("18:FE:AA:AA:AA:AA app.bin\n18:fe:aa:aa:aa:aa door.bin\n").find("mapped twice"), std::string::npos);
  EXPECT_NE(error_of("default missing.bin\n").find(":1:"), std::string::npos);
  EXPECT_NE(error_of("99999999999 app.bin\n").find("neither"), std::string::npos) << "chip ids are 32 bits";
}

TEST_F(SimpleMapTest, FilesOutsideTheServedFolderAreRefused) {
  EXPECT_NE(error_of("default ../outside.bin\n").find("outside the served folder"), std::string::npos);
  EXPECT_NE(error_of("default /etc/passwd\n").find("outside the served folder"), std::string::npos);
  EXPECT_NE(error_of("default ../bin/../../outside.bin\n").find("outside the served folder"), std::string::npos);
}

TEST_F(SimpleMapTest, AFileThatIsNotAnImageIsRefused) {
  std::ofstream(dir_ + "/bin/notes.txt") << "hello";
  EXPECT_NE(error_of("default notes.txt\n").find("not an ESP8266 firmware image"), std::string::npos);
}

TEST_F(SimpleMapTest, AMissingMapFileIsNamed) {
  try {
    load_simple_map(dir_ + "/nope.map", dir_ + "/bin");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("nope.map"), std::string::npos);
  }
}

}  // namespace
