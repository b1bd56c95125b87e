#include "cli/demo/firmware_kit.h"

#include <sys/stat.h>

#include <stdexcept>

#include "core/crypto/rsa_public_key.h"
#include "core/image/signature_check.h"
#include "files/file_io.h"
#include "host/image_builder.h"
#include "host/rsa_key.h"
#include "host/signer.h"

namespace otakit::cli::demo {
namespace {

host::Bytes build_image(const std::string& version, uint32_t size, uint64_t seed) {
  host::ImageSpec spec;
  spec.total_size = size;
  spec.version = version;
  spec.seed = seed;
  return host::build_esp_image(spec);
}

// Signed as `otakit sign` does it, and checked with the device's verifier before anyone sees it.
host::Bytes sign(const host::Bytes& image, const host::RsaPrivateKey& key, const crypto::RsaPublicKey& public_key) {
  host::Bytes signed_file = host::make_signed_file(image, host::sign_sha256(key, image.data(), image.size()));
  const SignatureCheck check =
      check_signed_file(signed_file.data(), uint32_t(signed_file.size()), public_key, SignatureFormat::current);
  if (!check.ok()) throw std::runtime_error("a demo image's signature does not verify with the device's verifier");
  return signed_file;
}

void write_text(const std::string& path, const std::string& text) {
  files::write_file_atomic(path, reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

}  // namespace

FirmwareKit make_firmware_kit(const std::string& dir) {
  FirmwareKit kit;
  const host::RsaPrivateKey key = host::RsaPrivateKey::generate(2048);
  kit.public_key_pem = key.public_pem();
  crypto::RsaPublicKey public_key;
  if (public_key.load(reinterpret_cast<const uint8_t*>(kit.public_key_pem.data()), kit.public_key_pem.size()) !=
      crypto::KeyError::ok)
    throw std::runtime_error("the generated public key cannot be read by the device's verifier");
  kit.public_key_path = dir + "/public.key";
  write_text(dir + "/private.key", key.private_pem());
  ::chmod((dir + "/private.key").c_str(), 0600);  // a throwaway key, yet a key: only its owner reads it
  write_text(kit.public_key_path, kit.public_key_pem);
  // Different sizes and seeds: the two versions differ in every byte a device checks.
  kit.factory = sign(build_image(kit.factory_version, 200000, 1), key, public_key);
  kit.update = sign(build_image(kit.update_version, 300000, 2), key, public_key);
  kit.update_path = dir + "/update.bin.signed";
  files::write_file_atomic(dir + "/factory.bin.signed", kit.factory);
  files::write_file_atomic(kit.update_path, kit.update);
  return kit;
}

}  // namespace otakit::cli::demo
