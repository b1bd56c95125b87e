// Why a TLS connection failed, in words that tell the user what to do, mapped from BearSSL's
// BR_ERR_* codes and from the client's and the server's own checks.
#pragma once
#include <stdint.h>

namespace otakit::tls {

// How the client decides to trust the server.
enum class TrustMode : uint8_t {
  anchors,           // a CA chain to one of the caller's trust anchors, the server name, the dates
  public_key_pin,    // SHA-256 of the server certificate's SubjectPublicKeyInfo (curl --pinnedpubkey)
  sha1_fingerprint,  // SHA-1 of the server certificate (WiFiClientSecure::setFingerprint)
};

enum class TlsError : uint8_t {
  ok,
  // the caller's setup
  missing_server_name,   // no server name, or one longer than 255 bytes
  no_trust_anchors,      // anchors mode with an empty anchor list
  buffer_too_small,      // smaller than tls_buffer_size(512) (or the half-duplex size)
  not_enough_entropy,    // fewer than kEntropySize random bytes given to start()
  time_unknown,          // anchors mode without the time: the dates cannot be checked
  missing_identity,      // a server without a certificate chain, or without exactly one private key
  // the connection
  connection_closed,     // TCP closed during the handshake or without close_notify
  not_tls,               // the server's bytes are not TLS records
  unsupported_version,   // the server does not speak TLS 1.2
  no_common_cipher,      // the server chose a suite or algorithm this client does not offer
  fragment_too_large,    // the server ignored MFLN: its records may not fit the buffer
  bad_fragment_length,   // the server answered MFLN with another length
  alert_received,        // the server aborted with a fatal alert (TlsClient::alert())
  handshake_failed,      // any other violation of the protocol by the server
  // the server's certificate
  certificate_expired,       // outside its validity dates at the time given
  name_mismatch,             // not issued for the server name
  unknown_issuer,            // does not chain to any trust anchor
  public_key_mismatch,       // public_key_pin mode: another key
  fingerprint_mismatch,      // sha1_fingerprint mode: another certificate
  empty_chain,               // the server sent no certificate
  bad_certificate,           // not a well-formed certificate
  bad_certificate_signature, // a signature in the chain does not verify
  unsupported_certificate,   // a key type, algorithm or critical extension BearSSL does not handle
  not_a_ca,                  // an intermediate that is not allowed to issue certificates
  wrong_key_usage,           // the key may not be used for this key exchange
  weak_key,                  // an RSA key shorter than BearSSL accepts (1017 bits)
  bad_server_signature,      // the key exchange signature does not verify with the certificate
};

const char* describe(TlsError error);

// The same errors as a server sees them: the peer is the client (a browser, curl). Setup errors
// read as describe() says them.
const char* describe_from_server(TlsError error);

// RFC 5246 §7.2 / RFC 8446 §6 name of an alert number ("unknown_ca"), or "unknown alert".
const char* alert_name(int alert);
// What a fatal alert from a client tells the device's owner to do, e.g. 48 unknown_ca: the client
// does not trust the certificate.
const char* describe_client_alert(int alert);

// The error behind a BearSSL code; the mode tells apart the meanings of "not trusted".
TlsError error_from_bearssl(int code, TrustMode mode);

}  // namespace otakit::tls
