// `otakit verify`: checks a signed firmware file against a public key with the device's own
// verifier (BearSSL), so what the host signed is confirmed by an independent implementation, and
// the signed payload against the device's own acceptance rule (core/image/acceptance.h).
#include <fmt/core.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/command_failure.h"
#include "cli/commands.h"
#include "core/crypto/rsa_public_key.h"
#include "core/image/acceptance.h"
#include "core/image/signature_check.h"
#include "files/file_io.h"
#include "host/gzip.h"
#include "host/image_report.h"

namespace otakit::cli {
namespace {

struct VerifyOptions {
  std::string public_key;
  std::string file;
  bool legacy = false;
  bool json = false;
};

// signed / legacy / unsigned as signing.py's outputs are called; "signed" also covers signatures
// that do not verify, since their trailer is well formed.
const char* kind_of(const SignatureCheck& c) {
  switch (c.status) {
    case SignatureStatus::valid:
    case SignatureStatus::format_mismatch:
      return c.found == SignatureFormat::current ? "signed" : "legacy";
    case SignatureStatus::wrong_key_size:
    case SignatureStatus::bad_signature: return "signed";
    case SignatureStatus::no_trailer: return "unsigned";
    case SignatureStatus::empty_file: return "empty";
    case SignatureStatus::no_key: break;
  }
  return "unknown";
}

const char* status_name(SignatureStatus status) {
  switch (status) {
    case SignatureStatus::valid: return "valid";
    case SignatureStatus::no_key: return "no-key";
    case SignatureStatus::empty_file: return "empty-file";
    case SignatureStatus::no_trailer: return "no-trailer";
    case SignatureStatus::wrong_key_size: return "wrong-key-size";
    case SignatureStatus::format_mismatch: return "format-mismatch";
    case SignatureStatus::bad_signature: return "bad-signature";
  }
  return "unknown";
}

// The device's rule over the signed payload (a gzip is inflated and its image checked).
// Chip size, free space and security floor are the device's: unknown here, so not applied.
ImageAcceptance check_payload(const host::Bytes& file, uint32_t payload_size) {
  BufferReader payload(file.data(), payload_size);
  ImageAcceptance a = check_image(payload, ImageRules());
  if (a.verdict != ImageVerdict::needs_inflation) return a;
  constexpr size_t kMaxInflated = 16u << 20;  // the largest flash chip
  host::Bytes inflated;
  try {
    inflated = host::gzip_decompress(host::Bytes(file.begin(), file.begin() + payload_size), kMaxInflated);
  } catch (const std::exception& e) {
    a.verdict = ImageVerdict::malformed;
    std::snprintf(a.detail, sizeof(a.detail), "%s", e.what());
    return a;
  }
  BufferReader image(inflated.data(), uint32_t(inflated.size()));
  return check_inflated_image(image, ImageRules());
}

int run_verify(const VerifyOptions& o) {
  host::Bytes pem, file;
  try {
    pem = files::read_file(o.public_key);
    file = files::read_file(o.file);
  } catch (const std::exception& e) {
    throw CommandFailure(kExitInputError, e.what());
  }
  auto key = std::make_unique<crypto::RsaPublicKey>();
  crypto::KeyError key_error = key->load(pem.data(), pem.size());
  if (key_error != crypto::KeyError::ok)
    throw CommandFailure(kExitInputError,
                         "public key " + o.public_key + ": " + crypto::describe(key_error));
  if (file.size() > UINT32_MAX)
    throw CommandFailure(kExitInputError, o.file + " is larger than 4 GiB: not a firmware image");

  SignatureFormat expected = o.legacy ? SignatureFormat::legacy : SignatureFormat::current;
  SignatureCheck c = check_signed_file(file.data(), uint32_t(file.size()), *key, expected);
  char reason[256];
  describe(c, expected, reason, sizeof(reason));
  bool has_layout = c.status == SignatureStatus::valid ||
                    c.status == SignatureStatus::format_mismatch ||
                    c.status == SignatureStatus::bad_signature;
  ImageAcceptance image;
  if (has_layout) image = check_payload(file, c.layout.payload_size);

  if (o.json) {
    nlohmann::json j = {{"file", o.file},
                        {"size", file.size()},
                        {"kind", kind_of(c)},
                        {"status", status_name(c.status)},
                        {"valid", c.ok()},
                        {"reason", reason},
                        {"expected_format", o.legacy ? "legacy" : "current"},
                        {"key_bits", key->modulus_bytes() * 8}};
    if (has_layout) {
      j["payload_size"] = c.layout.payload_size;
      j["signature_length"] = c.layout.signature_length;
      j["payload_sha256"] = host::sha256_hex(file.data(), c.layout.payload_size);
      j["image_accepted"] = image.ok();
      if (!image.ok()) j["image_reason"] = image.detail;
    }
    fmt::print("{}\n", j.dump(2));
  } else {
    fmt::print("{}: {} - {}\n", o.file, kind_of(c), reason);
    if (has_layout && !image.ok())
      fmt::print(stderr, "warning: devices refuse the signed payload: {} ({})\n", image.detail,
                 describe(image.verdict));
  }
  if (c.ok()) return kExitOk;
  return c.status == SignatureStatus::empty_file ? kExitInputError : kExitFailure;
}

}  // namespace

void add_verify_command(CLI::App& app, RunState& state) {
  auto o = std::make_shared<VerifyOptions>();
  CLI::App* cmd =
      app.add_subcommand("verify", "Check a signed image against a public key, as the device does");
  cmd->footer(
      "Checks image || signature || u32le length with the BearSSL verifier the device runs. Says\n"
      "whether the file is signed, legacy-signed or unsigned and, if the check fails, exactly "
      "why.\n"
      "Exit 0 only for a valid signature in the expected format.\n"
      "  otakit verify --publickey public.key app.bin.signed");
  cmd->add_option("-p,--publickey", o->public_key, "Public key PEM (or DER)")->required();
  cmd->add_option("file", o->file, "Signed firmware file")->required();
  cmd->add_flag("-l,--legacy", o->legacy,
                "Expect the legacy format (bare SHA-256, cores <= 2.5.2) instead of the current");
  cmd->add_flag("--json", o->json, "Print the result as JSON on stdout");
  cmd->callback(
      [o, &state] { state.exit_code = run_reporting("verify", [&] { return run_verify(*o); }); });
}

}  // namespace otakit::cli
