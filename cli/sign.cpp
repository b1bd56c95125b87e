// `otakit sign`: a drop-in for the ESP8266 core's tools/signing.py (same flags, outputs and
// messages), except that every failure prints why and exits non-zero.
#include <fmt/core.h>

#include <cerrno>
#include <memory>
#include <stdexcept>
#include <string>

#include "cli/command_failure.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "core/crypto/rsa_public_key.h"
#include "core/crypto/signature_verifier.h"
#include "core/image/signature_check.h"
#include "files/file_io.h"
#include "host/key_header.h"
#include "host/rsa_key.h"
#include "host/signer.h"

namespace otakit::cli {
namespace {

struct SignOptions {
  std::string mode, bin, out, legacy, public_key, private_key;
  bool allow_missing_key = false;
};

using Failure = CommandFailure;

host::Bytes read_input(const std::string& path, const char* what) {
  try {
    return files::read_file(path);
  } catch (const std::exception& e) {
    throw Failure(kExitInputError, std::string("cannot read the ") + what + ": " + e.what());
  }
}

crypto::RsaPublicKey parse_public_key(const host::Bytes& pem, const std::string& source) {
  crypto::RsaPublicKey key;
  crypto::KeyError error = key.load(pem.data(), pem.size());
  if (error != crypto::KeyError::ok)
    throw Failure(kExitInputError, "public key " + source +
                                       " cannot be used by a device: " + crypto::describe(error));
  return key;
}

int run_header(const SignOptions& o) {
  if (o.public_key.empty() || o.out.empty())
    throw Failure(kExitUsage, "--mode header needs --publickey KEY and --out HEADER");
  std::string text;
  if (!files::file_exists(o.public_key)) {
    text = host::make_unsigned_header();  // signing is simply off, as with signing.py
  } else {
    host::Bytes pem = read_input(o.public_key, "public key");
    parse_public_key(pem, o.public_key);  // refuse what the device could not parse
    text = host::make_signing_header(pem);
    fmt::print(stderr, "Enabling binary signing\n");
  }
  try {
    host::write_text_if_changed(o.out, text);
  } catch (const std::exception& e) {
    throw Failure(kExitFailure, std::string("cannot write the header: ") + e.what());
  }
  return kExitOk;
}

// Checks the new signature with the device's verifier (BearSSL), not with OpenSSL that made it.
void self_check(const host::Bytes& signed_file, const crypto::RsaPublicKey& key,
                SignatureFormat format) {
  SignatureCheck check =
      check_signed_file(signed_file.data(), uint32_t(signed_file.size()), key, format);
  if (!check.ok()) {
    char why[200];
    throw Failure(kExitFailure, std::string("the new signature does not verify on the device "
                                            "side: ") +
                                    describe(check, format, why, sizeof(why)));
  }
}

host::Bytes sign_one(const host::Bytes& image, const host::RsaPrivateKey& key,
                     const crypto::RsaPublicKey& public_key, SignatureFormat format) {
  host::Bytes signature = format == SignatureFormat::current
                              ? host::sign_sha256(key, image.data(), image.size())
                              : host::sign_legacy(key, image.data(), image.size());
  host::Bytes signed_file = host::make_signed_file(image, signature);
  self_check(signed_file, public_key, format);
  return signed_file;
}

// Both outputs appear together or not at all: a build must never pair a new signed image with a
// stale legacy one because the second path was unwritable.
void write_outputs(const SignOptions& o, const host::Bytes& current, const host::Bytes& legacy) {
  try {
    files::FileBatch batch;
    if (!o.out.empty()) batch.add(o.out, current);
    if (!o.legacy.empty()) batch.add(o.legacy, legacy);
    batch.commit();
  } catch (const std::exception& e) {
    throw Failure(kExitFailure, std::string("cannot write the signed binary: ") + e.what());
  }
  if (!o.out.empty()) fmt::print(stderr, "Signed binary: {}\n", o.out);
  if (!o.legacy.empty()) fmt::print(stderr, "Legacy signed binary: {}\n", o.legacy);
}

int run_sign(const SignOptions& o) {
  if (o.private_key.empty() || o.bin.empty() || (o.out.empty() && o.legacy.empty()))
    throw Failure(kExitUsage,
                  "--mode sign needs --privatekey KEY, --bin IMAGE and --out SIGNED "
                  "(and/or --legacy LEGACY_SIGNED)");
  if (!files::file_exists(o.private_key)) {
    if (o.allow_missing_key) return kExitOk;  // signing.py's quiet skip, for build hooks
    throw Failure(
        kExitInputError,
        "private key " + o.private_key +
            " does not exist. Create one with `otakit "
            "keygen`, or pass --allow-missing-key to skip signing silently as signing.py did");
  }
  host::Bytes image = read_input(o.bin, "firmware image");
  if (image.empty()) throw Failure(kExitInputError, "input file is empty: " + o.bin + " has no bytes to sign");
  if (image.size() > UINT32_MAX - kTrailerLengthField - kMaxSignatureLength)
    throw Failure(kExitInputError, o.bin + " is larger than 4 GiB: not a firmware image");
  host::RsaPrivateKey key = [&] {
    try {
      return host::RsaPrivateKey::load(o.private_key);
    } catch (const std::exception& e) {
      throw Failure(kExitInputError, e.what());
    }
  }();
  std::string public_pem = key.public_pem();
  crypto::RsaPublicKey public_key = parse_public_key(
      host::Bytes(public_pem.begin(), public_pem.end()), "derived from " + o.private_key);
  host::Bytes current, legacy;
  if (!o.out.empty()) current = sign_one(image, key, public_key, SignatureFormat::current);
  if (!o.legacy.empty()) legacy = sign_one(image, key, public_key, SignatureFormat::legacy);
  write_outputs(o, current, legacy);
  return kExitOk;
}

}  // namespace

void add_sign_command(CLI::App& app, RunState& state) {
  auto o = std::make_shared<SignOptions>();
  CLI::App* cmd =
      app.add_subcommand("sign", "Sign an image or write the key header (drop-in for signing.py)");
  cmd->footer(
      "Same flags, outputs and messages as the ESP8266 core's signing.py; unlike it, every "
      "failure\n"
      "exits non-zero with the reason (docs/signing.md lists the differences). Examples:\n"
      "  otakit sign --mode header --publickey public.key --out core/Updater_Signing.h\n"
      "  otakit sign --mode sign --privatekey private.key --bin app.bin --out app.bin.signed");
  cmd->add_option("-m,--mode", o->mode, "header: write the key header; sign: sign --bin");
  cmd->add_option("-b,--bin", o->bin, "Firmware image to sign (.bin or .bin.gz)");
  cmd->add_option("-o,--out", o->out, "Output: the signed image, or the header file");
  cmd->add_option("-l,--legacy", o->legacy,
                  "Also write a legacy-format signed image (cores <= 2.5.2) to this path");
  cmd->add_option("-p,--publickey", o->public_key,
                  "Public key PEM for --mode header (missing file: signing disabled)");
  cmd->add_option("-s,--privatekey", o->private_key, "Private key PEM for --mode sign");
  cmd->add_flag("--allow-missing-key", o->allow_missing_key,
                "--mode sign: exit 0 without output when the private key file does not exist");
  cmd->callback([o, &state] {
    state.exit_code = run_reporting("sign", [&] {
      if (o->mode == "header") return run_header(*o);
      if (o->mode == "sign") return run_sign(*o);
      throw Failure(kExitUsage,
                    "ERROR: Mode not specified as header or sign (use --mode header "
                    "or --mode sign)");
    });
  });
}

}  // namespace otakit::cli
