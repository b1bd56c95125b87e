// The server's suites in the order it picks them (the server's order wins, not the client's), and
// the implementations BearSSL picks as the fastest constant-time ones for the target ("default").
#include "core/tls/server_profile.h"

namespace otakit::tls {
namespace {

// ChaCha20 first: the ESP8266's lx106 has no AES instructions, and constant-time AES costs it
// several times ChaCha20's cycles; every current browser and curl offer both. The key type picks
// the ECDSA or the RSA half of the list.
const uint16_t kServerSuites[] = {
  BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
  BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
  BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
  BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
  BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
  BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
};

}  // namespace

void configure_server_profile(br_ssl_server_context* server) {
  br_ssl_engine_context* engine = &server->eng;
  br_ssl_engine_set_versions(engine, BR_TLS12, BR_TLS12);
  br_ssl_engine_set_suites(engine, kServerSuites, sizeof kServerSuites / sizeof kServerSuites[0]);
  // SHA-256 and SHA-384 run the PRFs and the handshake hash; with SHA-512 they are the hashes the
  // server may sign its key exchange with, whichever of them the client lists first.
  br_ssl_engine_set_hash(engine, br_sha256_ID, &br_sha256_vtable);
  br_ssl_engine_set_hash(engine, br_sha384_ID, &br_sha384_vtable);
  br_ssl_engine_set_hash(engine, br_sha512_ID, &br_sha512_vtable);
  br_ssl_engine_set_prf_sha256(engine, &br_tls12_sha256_prf);
  br_ssl_engine_set_prf_sha384(engine, &br_tls12_sha384_prf);
  br_ssl_engine_set_default_chapol(engine);
  br_ssl_engine_set_default_aes_gcm(engine);
  // The ECDHE curves: X25519 (what browsers and curl offer first), P-256, P-384, P-521.
  br_ssl_engine_set_default_ec(engine);
  br_ssl_engine_add_flags(engine, BR_OPT_ENFORCE_SERVER_PREFERENCES | BR_OPT_NO_RENEGOTIATION);
}

}  // namespace otakit::tls
