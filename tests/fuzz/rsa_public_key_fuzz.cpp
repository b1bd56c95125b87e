// Public keys come from files users hand us: the PEM/DER reader must never misbehave.
#include <stddef.h>
#include <stdint.h>

#include "core/crypto/rsa_public_key.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static otakit::crypto::RsaPublicKey key;
  if (key.load(data, size) == otakit::crypto::KeyError::ok) {
    if (key.modulus_bytes() == 0 || key.modulus_bytes() > key.kMaxModulusBytes) __builtin_trap();
  }
  return 0;
}
