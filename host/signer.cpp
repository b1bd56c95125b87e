#include "host/signer.h"

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <memory>
#include <stdexcept>

#include "core/util/bytes.h"

namespace otakit::host {
namespace {

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};

[[noreturn]] void fail(const char* what) {
  throw std::runtime_error(std::string(what) + ": " + openssl_errors());
}

}  // namespace

Bytes sign_sha256(const RsaPrivateKey& key, const uint8_t* data, size_t len) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  if (!ctx || EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)
    fail("cannot start RSA-SHA256 signing");
  size_t sig_len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &sig_len, data, len) != 1)
    fail("cannot size the signature");
  Bytes sig(sig_len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &sig_len, data, len) != 1)
    fail("RSA-SHA256 signing failed");
  sig.resize(sig_len);
  return sig;
}

Bytes sign_legacy(const RsaPrivateKey& key, const uint8_t* data, size_t len) {
  uint8_t digest[EVP_MAX_MD_SIZE];
  unsigned digest_len = 0;
  if (EVP_Digest(data, len, digest, &digest_len, EVP_sha256(), nullptr) != 1)
    fail("SHA-256 failed");
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new(key.get(), nullptr));
  // No signature digest is set, so OpenSSL pads the 32 bytes as they are (type 1, no DigestInfo).
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1)
    fail("cannot start legacy RSA signing");
  size_t sig_len = 0;
  if (EVP_PKEY_sign(ctx.get(), nullptr, &sig_len, digest, digest_len) != 1)
    fail("cannot size the legacy signature");
  Bytes sig(sig_len);
  if (EVP_PKEY_sign(ctx.get(), sig.data(), &sig_len, digest, digest_len) != 1)
    fail("legacy RSA signing failed");
  sig.resize(sig_len);
  return sig;
}

Bytes make_signed_file(const Bytes& image, const Bytes& signature) {
  Bytes out;
  out.reserve(image.size() + signature.size() + 4);
  out.insert(out.end(), image.begin(), image.end());
  out.insert(out.end(), signature.begin(), signature.end());
  uint8_t length[4];
  store_le32(length, uint32_t(signature.size()));
  out.insert(out.end(), length, length + 4);
  return out;
}

}  // namespace otakit::host
