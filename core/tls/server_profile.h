// The server profile: what a browser or curl negotiates with the device's HTTPS upload page.
// TLS 1.2 only, ECDHE key exchange signed with the certificate's key (ECDSA or RSA PKCS#1),
// ChaCha20-Poly1305 or AES-GCM records: the suites of client_profile.h, seen from the other end.
#pragma once
#include <bearssl_ssl.h>

namespace otakit::tls {

// Sets up a zeroed server context (br_ssl_server_zero) with this profile. The chain and key are
// set apart (br_ssl_server_set_single_ec / _rsa), which keeps only the suites of their key type.
void configure_server_profile(br_ssl_server_context* server);

}  // namespace otakit::tls
