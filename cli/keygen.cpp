// `otakit keygen`: makes an RSA signing key pair as PEM files that openssl and signing.py read.
#include <fmt/core.h>
#include <sys/stat.h>

#include <memory>
#include <string>

#include "cli/command_failure.h"
#include "cli/commands.h"
#include "files/file_io.h"
#include "host/rsa_key.h"

namespace otakit::cli {
namespace {

struct KeygenOptions {
  unsigned bits = host::RsaPrivateKey::kDefaultBits;
  std::string private_path = "private.key";
  std::string public_path = "public.key";
  bool force = false;
};

void write_key_file(const std::string& path, const std::string& pem, mode_t umask_bits) {
  mode_t old = ::umask(umask_bits);  // the file is created with these permissions from the start
  try {
    files::write_file_atomic(path, reinterpret_cast<const uint8_t*>(pem.data()), pem.size());
  } catch (const std::exception& e) {
    ::umask(old);
    throw CommandFailure(kExitFailure, e.what());
  }
  ::umask(old);
}

int run_keygen(const KeygenOptions& o) {
  if (o.private_path == o.public_path)
    throw CommandFailure(kExitUsage, "--out-private and --out-public must be different files");
  for (const std::string& path : {o.private_path, o.public_path})
    if (!o.force && files::file_exists(path))
      throw CommandFailure(kExitUsage, path +
                                           " already exists; pass --force to replace it "
                                           "(images signed with the old key stop verifying)");
  host::RsaPrivateKey key = [&] {
    try {
      return host::RsaPrivateKey::generate(o.bits);
    } catch (const std::invalid_argument& e) {
      throw CommandFailure(kExitUsage, e.what());
    }
  }();
  write_key_file(o.private_path, key.private_pem(), 077);  // 0600: only the owner may read it
  write_key_file(o.public_path, key.public_pem(), 022);
  fmt::print(stderr, "Wrote RSA-{} private key {} (keep it secret) and public key {}\n", key.bits(),
             o.private_path, o.public_path);
  return kExitOk;
}

}  // namespace

void add_keygen_command(CLI::App& app, RunState& state) {
  auto o = std::make_shared<KeygenOptions>();
  CLI::App* cmd = app.add_subcommand("keygen", "Generate an RSA key pair for signing firmware");
  cmd->footer(
      "Writes a PKCS#8 private key and a SubjectPublicKeyInfo public key, both PEM, as\n"
      "`openssl genrsa` and `openssl rsa -pubout` do. Put public.key next to the sketch to enable\n"
      "signing in the device build; keep private.key secret.\n"
      "  otakit keygen --bits 3072");
  cmd->add_option("--bits", o->bits, "RSA modulus size in bits (1024-4096, multiple of 8)")
      ->capture_default_str();
  cmd->add_option("--out-private", o->private_path, "Private key file (created mode 0600)")
      ->capture_default_str();
  cmd->add_option("--out-public", o->public_path, "Public key file")->capture_default_str();
  cmd->add_flag("--force", o->force, "Replace existing key files");
  cmd->callback(
      [o, &state] { state.exit_code = run_reporting("keygen", [&] { return run_keygen(*o); }); });
}

}  // namespace otakit::cli
