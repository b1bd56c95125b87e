// The signing commands as users run them (the otakit binary in a subprocess): the signing.py
// drop-in reproduces the recorded outputs, and every bad input gives a clear message and a
// non-zero exit code from cli/exit_codes.h.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <string>

#include "cli/exit_codes.h"
#include "core/util/bytes.h"
#include "tests/host/host_test_support.h"

namespace otakit {
namespace {

using test::Bytes;
using test::quote;
using test::slurp;
using test::vector_path;

class CliTest : public ::testing::Test {
 protected:
  test::RunResult otakit(const std::string& args) {
    return test::run("cd " + quote(dir_.path()) + " && " + quote(OTAKIT_BINARY) + " " + args, dir_);
  }
  std::string path(const std::string& name) const { return dir_ / name; }
  std::string key() const { return quote(vector_path("private.key")); }
  std::string pub() const { return quote(vector_path("public.key")); }
  // A copy of the signed 4096-byte vector with one change applied.
  std::string signed_variant(const std::string& name, void (*change)(Bytes&)) {
    Bytes b = slurp(vector_path("fw_4096.bin.signed"));
    change(b);
    test::spit(path(name), b);
    return name;
  }
  test::TempDir dir_;
};

// ---- otakit sign: the signing.py drop-in -------------------------------------------------

TEST_F(CliTest, SignShortFlagsReproduceSigningPyFilesAndMessages) {
  for (const char* n : {"4096", "300001", "1048576"}) {
    std::string bin = vector_path(std::string("fw_") + n + ".bin");
    test::RunResult r =
        otakit("sign -m sign -s " + key() + " -b " + quote(bin) + " -o s.bin -l l.bin");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "Signed binary: s.bin\nLegacy signed binary: l.bin\n");
    EXPECT_EQ(slurp(path("s.bin")), slurp(bin + ".signed")) << n;
    EXPECT_EQ(slurp(path("l.bin")), slurp(bin + ".legacy_sig")) << n;
  }
}

TEST_F(CliTest, SignLongFlagsAsThePlatformTxtHookCallsThem) {
  test::RunResult r = otakit("sign --mode sign --privatekey " + key() + " --bin " +
                             quote(vector_path("fw_4096.bin")) + " --out out.signed");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "Signed binary: out.signed\n");
  EXPECT_EQ(slurp(path("out.signed")), slurp(vector_path("fw_4096.bin.signed")));
}

TEST_F(CliTest, HeaderModeWritesTheNulTerminatedHeaderOnce) {
  test::RunResult r =
      otakit("sign --mode header --publickey " + pub() + " --out core/Updater_Signing.h");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "Enabling binary signing\n");
  std::string theirs = test::slurp_text(vector_path("Updater_Signing.h"));
  std::string expected = theirs.substr(0, theirs.size() - 8) + "0x0a, \n0x00\n};\n";
  EXPECT_EQ(test::slurp_text(path("core/Updater_Signing.h")), expected);
  struct stat before {
  }, after{};
  ASSERT_EQ(stat(path("core/Updater_Signing.h").c_str(), &before), 0);
  ASSERT_EQ(otakit("sign -m header -p " + pub() + " -o core/Updater_Signing.h").exit_code, 0);
  ASSERT_EQ(stat(path("core/Updater_Signing.h").c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino) << "an unchanged header must not be rewritten";
}

TEST_F(CliTest, HeaderModeWithoutAKeyFileDisablesSigningLikeSigningPy) {
  test::RunResult r = otakit("sign -m header -p missing.key -o Updater_Signing.h");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(slurp(path("Updater_Signing.h")), slurp(vector_path("Updater_Signing.nokey.h")));
}

TEST_F(CliTest, SignFailsWhenThePrivateKeyIsMissing) {
  test::RunResult r =
      otakit("sign -m sign -s missing.key -b " + quote(vector_path("fw_4096.bin")) + " -o x");
  EXPECT_EQ(r.exit_code, cli::kExitInputError);
  EXPECT_NE(r.err.find("private key missing.key does not exist"), std::string::npos) << r.err;
  EXPECT_TRUE(slurp(path("x")).empty());
}

TEST_F(CliTest, SignSkipsQuietlyWithoutAKeyWhenAllowed) {
  test::RunResult r = otakit("sign -m sign -s missing.key -b " + quote(vector_path("fw_4096.bin")) +
                             " -o x --allow-missing-key");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err, "");
  struct stat st {};
  EXPECT_NE(stat(path("x").c_str(), &st), 0);
}

TEST_F(CliTest, SignFailsOnAnUnreadableImage) {
  test::RunResult r = otakit("sign -m sign -s " + key() + " -b nothing.bin -o x");
  EXPECT_EQ(r.exit_code, cli::kExitInputError);
  EXPECT_EQ(r.err,
            "otakit sign: cannot read the firmware image: cannot open nothing.bin: No such "
            "file or directory\n");
}

TEST_F(CliTest, SignRefusesAnEmptyImage) {
  test::spit(path("empty.bin"), {});
  test::RunResult r = otakit("sign -m sign -s " + key() + " -b empty.bin -o x -l y");
  EXPECT_EQ(r.exit_code, cli::kExitInputError);
  EXPECT_EQ(r.err, "otakit sign: input file is empty: empty.bin has no bytes to sign\n");
  struct stat st {};
  EXPECT_NE(stat(path("x").c_str(), &st), 0) << "nothing is written";
  EXPECT_NE(stat(path("y").c_str(), &st), 0);
}

// Both outputs or neither: a build must not pick up a fresh .signed beside a stale legacy file.
TEST_F(CliTest, SignWritesNoOutputWhenAnotherCannotBeWritten) {
  std::string image = quote(vector_path("fw_4096.bin"));
  for (const char* args : {" -o s.bin -l missing/l.bin", " -o missing/s.bin -l l.bin"}) {
    test::RunResult r = otakit("sign -m sign -s " + key() + " -b " + image + args);
    EXPECT_EQ(r.exit_code, cli::kExitFailure) << args;
    EXPECT_NE(r.err.find("missing/"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("Signed binary:"), std::string::npos) << "no output was announced: " << r.err;
    struct stat st {};
    EXPECT_NE(stat(path("s.bin").c_str(), &st), 0) << args;
    EXPECT_NE(stat(path("l.bin").c_str(), &st), 0) << args;
  }
  EXPECT_EQ(test::run("ls -A " + quote(dir_.path()), dir_).out, ".stderr\n.stdout\n") << "no temporary left behind";
}

TEST_F(CliTest, SignFailsOnABadKey) {
  test::RunResult r =
      otakit("sign -m sign -s " + pub() + " -b " + quote(vector_path("fw_4096.bin")) + " -o x");
  EXPECT_EQ(r.exit_code, cli::kExitInputError);
  EXPECT_NE(r.err.find("not an unencrypted PEM private key"), std::string::npos) << r.err;
}

TEST_F(CliTest, SignFailsOnAWrongOrMissingMode) {
  for (const char* args : {"sign -m verify", "sign"}) {
    test::RunResult r = otakit(args);
    EXPECT_EQ(r.exit_code, cli::kExitUsage) << args;
    EXPECT_NE(r.err.find("ERROR: Mode not specified as header or sign"), std::string::npos)
        << r.err;
  }
}

TEST_F(CliTest, SignFailsWithoutAnOutput) {
  test::RunResult r =
      otakit("sign -m sign -s " + key() + " -b " + quote(vector_path("fw_4096.bin")));
  EXPECT_EQ(r.exit_code, cli::kExitUsage);
  EXPECT_NE(r.err.find("--mode sign needs"), std::string::npos) << r.err;
}

TEST_F(CliTest, HeaderModeRefusesAKeyTheDeviceCannotParse) {
  test::RunResult r = otakit("sign -m header -p " + quote(vector_path("fw_4096.bin")) + " -o h.h");
  EXPECT_EQ(r.exit_code, cli::kExitInputError);
  EXPECT_NE(r.err.find("cannot be used by a device"), std::string::npos) << r.err;
}

// ---- otakit keygen ------------------------------------------------------------------------

TEST_F(CliTest, KeygenWritesAPrivateKeyOnlyItsOwnerCanRead) {
  test::RunResult r = otakit("keygen");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  struct stat st {};
  ASSERT_EQ(stat(path("private.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(test::slurp_text(path("public.key")).rfind("-----BEGIN PUBLIC KEY-----", 0), 0u);
  ASSERT_EQ(otakit("sign -m sign -s private.key -b " + quote(vector_path("fw_4096.bin")) + " -o s")
                .exit_code,
            0);
  EXPECT_EQ(otakit("verify -p public.key s").exit_code, 0);
}

TEST_F(CliTest, KeygenRefusesToOverwriteWithoutForce) {
  ASSERT_EQ(otakit("keygen --out-private a.pem --out-public b.pem").exit_code, 0);
  Bytes before = slurp(path("a.pem"));
  test::RunResult r = otakit("keygen --out-private a.pem --out-public b.pem");
  EXPECT_EQ(r.exit_code, cli::kExitUsage);
  EXPECT_NE(r.err.find("a.pem already exists; pass --force"), std::string::npos) << r.err;
  EXPECT_EQ(slurp(path("a.pem")), before);
  EXPECT_EQ(otakit("keygen --out-private a.pem --out-public b.pem --force").exit_code, 0);
  EXPECT_NE(slurp(path("a.pem")), before);
}

TEST_F(CliTest, Keygen4096MakesFiveHundredTwelveByteSignatures) {
  ASSERT_EQ(otakit("keygen --bits 4096").exit_code, 0);
  ASSERT_EQ(otakit("sign -m sign -s private.key -b " + quote(vector_path("fw_4096.bin")) + " -o s")
                .exit_code,
            0);
  Bytes s = slurp(path("s"));
  ASSERT_EQ(s.size(), 4096u + 512 + 4);
  EXPECT_EQ(load_le32(s.data() + s.size() - 4), 512u);
  EXPECT_EQ(otakit("verify -p public.key s").exit_code, 0);
}

TEST_F(CliTest, KeygenRefusesUnsupportedSizes) {
  test::RunResult r = otakit("keygen --bits 768");
  EXPECT_EQ(r.exit_code, cli::kExitUsage);
  EXPECT_NE(r.err.find("RSA key size 768 is not supported"), std::string::npos) << r.err;
}

// ---- otakit verify: one test per bad input ------------------------------------------------

TEST_F(CliTest, VerifyAcceptsTheSigningPyOutput) {
  test::RunResult r =
      otakit("verify -p " + pub() + " " + quote(vector_path("fw_300001.bin.signed")));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(": signed - signature valid: current (SHA-256 DigestInfo), 256-byte "
                       "signature over 300001 bytes"),
            std::string::npos)
      << r.out;
}

TEST_F(CliTest, VerifyJsonForScripts) {
  test::RunResult r =
      otakit("verify --json -p " + pub() + " " + quote(vector_path("fw_4096.bin.legacy_sig")));
  EXPECT_EQ(r.exit_code, cli::kExitFailure);
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["kind"], "legacy");
  EXPECT_EQ(j["status"], "format-mismatch");
  EXPECT_EQ(j["valid"], false);
  EXPECT_EQ(j["payload_size"], 4096);
}

struct BadInput {
  const char* name;
  void (*change)(Bytes&);
  const char* kind;
  const char* reason;
};

TEST_F(CliTest, VerifyRejectsEveryDamagedFileWithItsReason) {
  const BadInput cases[] = {
      {"tampered", [](Bytes& b) { b[1000] ^= 1; }, "signed", "signature does not match"},
      {"truncated", [](Bytes& b) { b.resize(b.size() - 2); }, "unsigned", "no signature trailer"},
      {"length0", [](Bytes& b) { store_le32(b.data() + b.size() - 4, 0); }, "unsigned",
       "signature length field is 0"},
      {"huge", [](Bytes& b) { store_le32(b.data() + b.size() - 4, 0x7FFFFFFF); }, "unsigned",
       "signature length field exceeds 512 bytes"},
      {"outside", [](Bytes& b) { b.erase(b.begin() + 10, b.end() - 4); }, "unsigned",
       "signature length points outside the file"},
  };
  for (const BadInput& c : cases) {
    std::string file = signed_variant(c.name, c.change);
    test::RunResult r = otakit("verify -p " + pub() + " " + file);
    EXPECT_EQ(r.exit_code, cli::kExitFailure) << c.name;
    EXPECT_NE(r.out.find(std::string(file) + ": " + c.kind + " - "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(c.reason), std::string::npos) << c.name << ": " << r.out;
  }
}

TEST_F(CliTest, VerifyRejectsAnotherKeyOfTheSameSize) {
  ASSERT_EQ(otakit("keygen --out-private other.key --out-public other.pub").exit_code, 0);
  test::RunResult r = otakit("verify -p other.pub " + quote(vector_path("fw_4096.bin.signed")));
  EXPECT_EQ(r.exit_code, cli::kExitFailure);
  EXPECT_NE(r.out.find("signature does not match"), std::string::npos) << r.out;
}

TEST_F(CliTest, VerifyRejectsAKeyOfAnotherSize) {
  ASSERT_EQ(otakit("keygen --bits 3072 --out-private other.key --out-public other.pub").exit_code,
            0);
  test::RunResult r = otakit("verify -p other.pub " + quote(vector_path("fw_4096.bin.signed")));
  EXPECT_EQ(r.exit_code, cli::kExitFailure);
  EXPECT_NE(r.out.find("announces a 256-byte signature, this key makes 384-byte ones"),
            std::string::npos)
      << r.out;
}

TEST_F(CliTest, VerifyLegacyGivenWhereCurrentExpected) {
  test::RunResult r =
      otakit("verify -p " + pub() + " " + quote(vector_path("fw_4096.bin.legacy_sig")));
  EXPECT_EQ(r.exit_code, cli::kExitFailure);
  EXPECT_NE(
      r.out.find("legacy - signature is in the legacy (bare SHA-256) format, but the current"),
      std::string::npos)
      << r.out;
  EXPECT_EQ(
      otakit("verify --legacy -p " + pub() + " " + quote(vector_path("fw_4096.bin.legacy_sig")))
          .exit_code,
      0);
}

TEST_F(CliTest, VerifyCurrentGivenWhereLegacyExpected) {
  test::RunResult r =
      otakit("verify --legacy -p " + pub() + " " + quote(vector_path("fw_4096.bin.signed")));
  EXPECT_EQ(r.exit_code, cli::kExitFailure);
  EXPECT_NE(r.out.find("(drop --legacy to accept it)"), std::string::npos) << r.out;
}

TEST_F(CliTest, VerifyUnsignedImage) {
  test::RunResult r = otakit("verify -p " + pub() + " " + quote(vector_path("fw_4096.bin")));
  EXPECT_EQ(r.exit_code, cli::kExitFailure);
  EXPECT_NE(r.out.find(": unsigned - "), std::string::npos) << r.out;
}

TEST_F(CliTest, VerifyEmptyFile) {
  test::spit(path("empty"), Bytes());
  test::RunResult r = otakit("verify -p " + pub() + " empty");
  EXPECT_EQ(r.exit_code, cli::kExitInputError);
  EXPECT_EQ(r.out, "empty: empty - the file is empty\n");
}

TEST_F(CliTest, VerifyWarnsWhenTheSignedPayloadIsNoImageTheDeviceAccepts) {
  Bytes payload(100, 0x42);
  test::spit(path("p.bin"), payload);
  ASSERT_EQ(otakit("sign -m sign -s " + key() + " -b p.bin -o p.signed").exit_code, 0);
  test::RunResult r = otakit("verify -p " + pub() + " p.signed");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.err.find("devices refuse the signed payload: byte at offset 0x0 is 0x42"), std::string::npos) << r.err;
  Bytes e9(100000, 0x5A);  // issue 10: magic right, 124 segments
  e9[0] = 0xE9;
  e9[1] = 124;
  test::spit(path("e9.bin"), e9);
  ASSERT_EQ(otakit("sign -m sign -s " + key() + " -b e9.bin -o e9.signed").exit_code, 0);
  r = otakit("verify --json -p " + pub() + " e9.signed");
  EXPECT_EQ(r.exit_code, 0) << "the signature itself is valid";
  EXPECT_NE(r.out.find("\"image_accepted\": false"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("124 segments"), std::string::npos) << r.out;
}

TEST_F(CliTest, VerifyMissingFilesAreInputErrors) {
  EXPECT_EQ(otakit("verify -p nokey.pem " + quote(vector_path("fw_4096.bin.signed"))).exit_code,
            cli::kExitInputError);
  EXPECT_EQ(otakit("verify -p " + pub() + " nofile").exit_code, cli::kExitInputError);
}

// ---- otakit mkimage and inspect -----------------------------------------------------------

TEST_F(CliTest, MkimageThenInspectAndSignRoundTrip) {
  test::RunResult r =
      otakit("mkimage --size 300001 --version 4.2 --security-version 5 --seed 9 --out a.bin");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(slurp(path("a.bin")).size(), 300001u);
  ASSERT_EQ(otakit("mkimage --size 300001 --version 4.2 --security-version 5 --seed 9 --out b.bin")
                .exit_code,
            0);
  EXPECT_EQ(slurp(path("a.bin")), slurp(path("b.bin")));
  ASSERT_EQ(otakit("sign -m sign -s " + key() + " -b a.bin -o a.signed").exit_code, 0);
  r = otakit("inspect --json a.signed");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["trailer"]["payload_size"], 300001);
  EXPECT_EQ(j["image"]["descriptor"]["version"], "4.2");
  EXPECT_EQ(j["image"]["descriptor"]["security_version"], 5);
  EXPECT_EQ(j["image"]["crc_stamp"]["state"], "valid");
  EXPECT_EQ(otakit("verify -p " + pub() + " a.signed").exit_code, 0);
}

TEST_F(CliTest, MkimageGzipAndFlashSettings) {
  ASSERT_EQ(
      otakit("mkimage --size 64K --gzip --flash-size 4M --flash-mode qio --out a.bin.gz").exit_code,
      0);
  test::RunResult r = otakit("inspect --json a.bin.gz");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["image"]["gzip"]["isize"], 65536);
  EXPECT_EQ(j["image"]["gzip"]["inner"]["app"]["header"]["flash_size"], 4 << 20);
  EXPECT_EQ(j["image"]["gzip"]["inner"]["app"]["header"]["flash_mode"], "QIO");
}

TEST_F(CliTest, MkimageRefusesATooSmallSize) {
  test::RunResult r = otakit("mkimage --size 4096 --out a.bin");
  EXPECT_EQ(r.exit_code, cli::kExitUsage);
  EXPECT_NE(r.err.find("image size 4096 is too small"), std::string::npos) << r.err;
  EXPECT_EQ(otakit("mkimage --size 4096 --app-only --out a.bin").exit_code, 0);
}

TEST_F(CliTest, InspectWrongMagic) {
  ASSERT_EQ(otakit("mkimage --size 8192 --out a.bin").exit_code, 0);
  Bytes b = slurp(path("a.bin"));
  b[0] = 0x00;
  test::spit(path("a.bin"), b);
  test::RunResult r = otakit("inspect a.bin");
  EXPECT_EQ(r.exit_code, cli::kExitInputError);
  EXPECT_NE(r.err.find("a.bin is not a valid ESP8266 image: byte at offset 0x0 is 0x0, not the "
                       "image magic 0xe9"),
            std::string::npos)
      << r.err;
}

TEST_F(CliTest, InspectEmptyAndMissingFiles) {
  test::spit(path("empty"), Bytes());
  test::RunResult r = otakit("inspect empty");
  EXPECT_EQ(r.exit_code, cli::kExitInputError);
  EXPECT_NE(r.err.find("the file is empty"), std::string::npos) << r.err;
  EXPECT_EQ(otakit("inspect nofile").exit_code, cli::kExitInputError);
}

TEST_F(CliTest, InspectRandomVectorReportsTheBrokenSegmentWalk) {
  test::RunResult r = otakit("inspect " + quote(vector_path("fw_1048576.bin")));
  EXPECT_EQ(r.exit_code, cli::kExitInputError);
  EXPECT_NE(r.out.find("structure:  INVALID"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("md5:        702f42c0e07b37dee6cbde956f84b463"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace otakit
