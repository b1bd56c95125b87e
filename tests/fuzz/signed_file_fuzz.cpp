// Signed files arrive over the network: the trailer parser and the whole verify path (SHA-256,
// BearSSL RSA) must handle any bytes, and must never call a random file valid.
#include <stddef.h>
#include <stdint.h>

#include "core/image/signature_check.h"
#include "core/util/bytes.h"

namespace {

// The public key of the recorded signing vectors (RSA-2048); public data.
const char kPublicKey[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtgXkl+t+FcwUjDQwPIcu\n"
    "W8b6yfjJhMRkR8GEPouRf7VuRRUOcEkxifrJNtDSlq0Ba1F57rKsSzvd8j/3Txgf\n"
    "dPWPkpkkAvUGMWNZB70fPrH8mqDgaly1H3kzxe5ki41xEmz6+ILjiuiR+mkeMD1E\n"
    "4NMx9YInm6dnsBy82/pMdB7DeWDHRPTR7Maq0GQqxnaJ2Otb8OgV72e/WVkXf3dI\n"
    "Gfam4YFzIQVoH/34bLeiqTt9Onj3RQD1PvC/mXIzFSLTgpt7rnKIaieqa0oG/Gmg\n"
    "nNoQcAwL98224mV1GlvYR5eeKMHtYEEsIhlS9ufSHOb5G98Gp0HoRF1aIlgvGg3+\n"
    "TwIDAQAB\n"
    "-----END PUBLIC KEY-----\n";

const otakit::crypto::RsaPublicKey& key() {
  static otakit::crypto::RsaPublicKey k;
  static bool loaded = false;
  if (!loaded) {
    if (k.load(reinterpret_cast<const uint8_t*>(kPublicKey), sizeof(kPublicKey) - 1) !=
        otakit::crypto::KeyError::ok)
      __builtin_trap();
    loaded = true;
  }
  return k;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 0xFFFFFFFFu) return 0;
  const otakit::SignatureFormat formats[] = {otakit::SignatureFormat::current,
                                             otakit::SignatureFormat::legacy};
  for (otakit::SignatureFormat f : formats) {
    otakit::SignatureCheck c = otakit::check_signed_file(data, uint32_t(size), key(), f);
    if (c.ok()) __builtin_trap();  // forging RSA-2048 by fuzzing would be news
    char text[256];
    otakit::describe(c, f, text, sizeof(text));
  }
  // The trailer parser alone, with the length field taken from the input's first bytes.
  if (size >= 8) {
    otakit::SignedLayout layout;
    uint32_t total = otakit::load_le32(data), field = otakit::load_le32(data + 4);
    if (otakit::parse_signed_trailer(total, field, 0, &layout) == otakit::TrailerError::ok &&
        uint64_t(layout.payload_size) + layout.signature_length + 4 != total)
      __builtin_trap();
  }
  return 0;
}
