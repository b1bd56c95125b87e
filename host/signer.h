// Signing as signing.py does it, in process: the current format is byte-identical to
// `openssl dgst -sha256 -sign`, the legacy one to `openssl rsautl -sign` of the bare digest.
#pragma once
#include <cstdint>

#include "host/bytes.h"
#include "host/rsa_key.h"

namespace otakit::host {

// RSASSA-PKCS1-v1_5 with SHA-256 (DigestInfo) over the bytes.
Bytes sign_sha256(const RsaPrivateKey& key, const uint8_t* data, size_t len);
// PKCS#1 v1.5 type-1 padding around the bare 32-byte SHA-256 of the bytes (no DigestInfo).
Bytes sign_legacy(const RsaPrivateKey& key, const uint8_t* data, size_t len);

// image || signature || u32le(signature length): the layout the Updater expects (facts §3.2).
Bytes make_signed_file(const Bytes& image, const Bytes& signature);

}  // namespace otakit::host
