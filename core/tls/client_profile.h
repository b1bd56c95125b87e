// The algorithms the client offers: TLS 1.2 only, ECDHE key exchange signed with RSA or ECDSA,
// ChaCha20-Poly1305 or AES-GCM records. Less code than br_ssl_client_init_full (no CBC, no RSA
// key exchange, no 3DES, no TLS 1.0/1.1), and what every current HTTPS server offers.
#pragma once
#include <bearssl_ssl.h>
#include <bearssl_x509.h>

namespace otakit::tls {

// Sets up a zeroed client context (br_ssl_client_zero) with this profile.
void configure_client_profile(br_ssl_client_context* client);

// Sets up the X.509 validation of anchors mode with the hashes and signature algorithms a
// certificate chain uses (RSA PKCS#1 and ECDSA with SHA-256, SHA-384, SHA-512).
void configure_chain_validation(br_x509_minimal_context* validator, const br_x509_trust_anchor* anchors,
                                size_t anchor_count);

}  // namespace otakit::tls
