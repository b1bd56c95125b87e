// The client profile: suites in the order the client prefers them, and the implementations
// BearSSL picks as the fastest constant-time ones for the target ("default").
#include "core/tls/client_profile.h"

namespace otakit::tls {
namespace {

// ChaCha20 first: a chip without AES instructions (the ESP8266's lx106) runs it faster than
// constant-time AES. ECDSA before RSA for the same reason: smaller keys, less work.
const uint16_t kSuites[] = {
  BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
  BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
  BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
  BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
  BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
  BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
};

}  // namespace

void configure_client_profile(br_ssl_client_context* client) {
  br_ssl_engine_context* engine = &client->eng;
  br_ssl_engine_set_versions(engine, BR_TLS12, BR_TLS12);
  br_ssl_engine_set_suites(engine, kSuites, sizeof kSuites / sizeof kSuites[0]);
  // SHA-256 and SHA-384 run the PRFs and the handshake hash; together with SHA-512 they are also
  // the hashes the client accepts in the server's key exchange signature.
  br_ssl_engine_set_hash(engine, br_sha256_ID, &br_sha256_vtable);
  br_ssl_engine_set_hash(engine, br_sha384_ID, &br_sha384_vtable);
  br_ssl_engine_set_hash(engine, br_sha512_ID, &br_sha512_vtable);
  br_ssl_engine_set_prf_sha256(engine, &br_tls12_sha256_prf);
  br_ssl_engine_set_prf_sha384(engine, &br_tls12_sha384_prf);
  br_ssl_engine_set_default_chapol(engine);
  br_ssl_engine_set_default_aes_gcm(engine);
  br_ssl_engine_set_default_ec(engine);
  br_ssl_engine_set_default_rsavrfy(engine);
  br_ssl_engine_set_default_ecdsa(engine);
  // A renegotiation is never needed to download a file, and refusing it removes a whole class
  // of attacks on the handshake state.
  br_ssl_engine_add_flags(engine, BR_OPT_NO_RENEGOTIATION);
}

void configure_chain_validation(br_x509_minimal_context* validator, const br_x509_trust_anchor* anchors,
                                size_t anchor_count) {
  br_x509_minimal_init(validator, &br_sha256_vtable, anchors, anchor_count);
  br_x509_minimal_set_hash(validator, br_sha256_ID, &br_sha256_vtable);
  br_x509_minimal_set_hash(validator, br_sha384_ID, &br_sha384_vtable);
  br_x509_minimal_set_hash(validator, br_sha512_ID, &br_sha512_vtable);
  br_x509_minimal_set_rsa(validator, br_rsa_pkcs1_vrfy_get_default());
  br_x509_minimal_set_ecdsa(validator, br_ec_get_default(), br_ecdsa_vrfy_asn1_get_default());
}

}  // namespace otakit::tls
