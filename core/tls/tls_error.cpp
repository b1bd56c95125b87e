// BearSSL's error codes, grouped by what the user can do about them.
#include <bearssl_ssl.h>
#include <bearssl_x509.h>

#include "core/tls/tls_error.h"

namespace otakit::tls {
namespace {

TlsError certificate_error(int code, TrustMode mode) {
  switch (code) {
    case BR_ERR_X509_EXPIRED: return TlsError::certificate_expired;
    case BR_ERR_X509_TIME_UNKNOWN: return TlsError::time_unknown;
    case BR_ERR_X509_BAD_SERVER_NAME: return TlsError::name_mismatch;
    case BR_ERR_X509_EMPTY_CHAIN: return TlsError::empty_chain;
    case BR_ERR_X509_BAD_SIGNATURE: return TlsError::bad_certificate_signature;
    case BR_ERR_X509_NOT_CA: return TlsError::not_a_ca;
    case BR_ERR_X509_FORBIDDEN_KEY_USAGE: return TlsError::wrong_key_usage;
    case BR_ERR_X509_WEAK_PUBLIC_KEY: return TlsError::weak_key;
    case BR_ERR_X509_UNSUPPORTED:
    case BR_ERR_X509_CRITICAL_EXTENSION:
    case BR_ERR_X509_WRONG_KEY_TYPE: return TlsError::unsupported_certificate;
    case BR_ERR_X509_NOT_TRUSTED:
    case BR_ERR_X509_DN_MISMATCH:
      if (mode == TrustMode::public_key_pin) return TlsError::public_key_mismatch;
      if (mode == TrustMode::sha1_fingerprint) return TlsError::fingerprint_mismatch;
      return TlsError::unknown_issuer;
    default: return TlsError::bad_certificate;  // the decoding errors, 33 to 50
  }
}

TlsError engine_error(int code) {
  switch (code) {
    case BR_ERR_OK: return TlsError::ok;
    case BR_ERR_IO: return TlsError::connection_closed;
    case BR_ERR_UNKNOWN_TYPE:
    case BR_ERR_BAD_VERSION:
    case BR_ERR_BAD_LENGTH: return TlsError::not_tls;
    case BR_ERR_UNSUPPORTED_VERSION: return TlsError::unsupported_version;
    case BR_ERR_TOO_LARGE: return TlsError::fragment_too_large;
    case BR_ERR_BAD_FRAGLEN: return TlsError::bad_fragment_length;
    case BR_ERR_BAD_CIPHER_SUITE:
    case BR_ERR_BAD_COMPRESSION:
    case BR_ERR_INVALID_ALGORITHM: return TlsError::no_common_cipher;
    case BR_ERR_BAD_SIGNATURE: return TlsError::bad_server_signature;
    case BR_ERR_WRONG_KEY_USAGE: return TlsError::wrong_key_usage;
    case BR_ERR_NO_RANDOM: return TlsError::not_enough_entropy;
    default: return TlsError::handshake_failed;  // BR_ERR_BAD_PARAM included: a malformed message
  }
}

}  // namespace

TlsError error_from_bearssl(int code, TrustMode mode) {
  if (code >= BR_ERR_RECV_FATAL_ALERT && code < BR_ERR_SEND_FATAL_ALERT) return TlsError::alert_received;
  if (code >= BR_ERR_SEND_FATAL_ALERT) return TlsError::handshake_failed;
  if (code >= BR_ERR_X509_OK && code < BR_ERR_RECV_FATAL_ALERT) return certificate_error(code, mode);
  return engine_error(code);
}

const char* describe(TlsError error) {
  switch (error) {
    case TlsError::ok: return "no error";
    case TlsError::missing_server_name: return "no server name given (or longer than 255 bytes): give the host name of the URL";
    case TlsError::no_trust_anchors: return "no trust anchors given: load the CA certificates (--ca-file) or use a pin";
    case TlsError::buffer_too_small: return "the TLS buffer is too small: give at least tls_buffer_size(512) bytes";
    case TlsError::not_enough_entropy: return "not enough random bytes to seed TLS: give 32 bytes from a hardware random source";
    case TlsError::time_unknown: return "the time is unknown, so certificate dates cannot be checked: set the clock (NTP) first or use a pin";
    case TlsError::missing_identity: return "no server certificate chain or private key given (or both an EC and an RSA key): give the certificate and its key";
    case TlsError::connection_closed: return "the server closed the connection before TLS finished (handshake or close_notify missing): the data may be truncated";
    case TlsError::not_tls: return "the server does not speak TLS on this port (plain HTTP?): check the URL's scheme and port";
    case TlsError::unsupported_version: return "the server does not support TLS 1.2";
    case TlsError::no_common_cipher: return "no common cipher suite: the server must offer ECDHE with AES-GCM or ChaCha20-Poly1305";
    case TlsError::fragment_too_large: return "the server does not support the max fragment length extension (MFLN): its records of up to 16 KB do not fit the TLS buffer; give the device a larger TLS buffer (kTlsBufferFull)";
    case TlsError::bad_fragment_length: return "the server answered the max fragment length extension with another length";
    case TlsError::alert_received: return "the server aborted the connection with a fatal alert (see alert())";
    case TlsError::handshake_failed: return "TLS protocol error from the server";
    case TlsError::certificate_expired: return "the server certificate has expired or is not yet valid: renew it, or check the device clock";
    case TlsError::name_mismatch: return "the server certificate does not match the server name: use the name the certificate was issued for";
    case TlsError::unknown_issuer: return "the server certificate is not issued by a trusted CA: add its CA to the trust anchors (--ca-file)";
    case TlsError::public_key_mismatch: return "the server public key does not match the pin: the server has a new key, or this is not the server";
    case TlsError::fingerprint_mismatch: return "the server certificate SHA-1 fingerprint does not match: the certificate was renewed, or this is not the server";
    case TlsError::empty_chain: return "the server sent no certificate";
    case TlsError::bad_certificate: return "the server certificate is malformed";
    case TlsError::bad_certificate_signature: return "a signature in the server certificate chain does not verify";
    case TlsError::unsupported_certificate: return "the server certificate uses a key type, algorithm or critical extension this client does not support";
    case TlsError::not_a_ca: return "a certificate in the chain is not a CA but signs another one";
    case TlsError::wrong_key_usage: return "the server certificate key may not be used for this key exchange";
    case TlsError::weak_key: return "the server certificate has an RSA key too short to be safe (under 1017 bits)";
    case TlsError::bad_server_signature: return "the server's key exchange signature does not verify: this is not the server of the certificate";
  }
  return "unknown";
}

const char* describe_from_server(TlsError error) {
  switch (error) {
    case TlsError::buffer_too_small: return "the TLS buffer is too small for a server: clients send records of 16 KB, so give at least tls_server_buffer_size(512) bytes (17,306), or 16,709 half duplex";
    case TlsError::connection_closed: return "the client closed the connection before TLS finished (during the handshake, or without close_notify); a browser that does not trust the certificate may just close";
    case TlsError::not_tls: return "the client does not speak TLS (plain HTTP to the HTTPS port?): the URL must start with https://";
    case TlsError::unsupported_version: return "the client does not offer TLS 1.2";
    case TlsError::no_common_cipher: return "nothing in common with the client: it offers no TLS 1.2 ECDHE suite with AES-GCM or ChaCha20-Poly1305 for the certificate's key type (or no curve of X25519, P-256, P-384, P-521)";
    case TlsError::fragment_too_large: return "the client sent a record larger than the TLS buffer takes";
    case TlsError::bad_fragment_length: return "the client's max fragment length extension is malformed";
    case TlsError::alert_received: return "the client aborted the connection with a fatal alert (see alert())";
    case TlsError::handshake_failed: return "TLS protocol error from the client";
    case TlsError::bad_server_signature: return "a signature from the client does not verify";
    case TlsError::wrong_key_usage: return "the certificate's key may not be used for this key exchange";
    default: return describe(error);
  }
}

const char* alert_name(int alert) {
  switch (alert) {
    case 0: return "close_notify";
    case 10: return "unexpected_message";
    case 20: return "bad_record_mac";
    case 22: return "record_overflow";
    case 40: return "handshake_failure";
    case 42: return "bad_certificate";
    case 43: return "unsupported_certificate";
    case 44: return "certificate_revoked";
    case 45: return "certificate_expired";
    case 46: return "certificate_unknown";
    case 47: return "illegal_parameter";
    case 48: return "unknown_ca";
    case 49: return "access_denied";
    case 50: return "decode_error";
    case 51: return "decrypt_error";
    case 70: return "protocol_version";
    case 71: return "insufficient_security";
    case 80: return "internal_error";
    case 86: return "inappropriate_fallback";
    case 90: return "user_canceled";
    case 100: return "no_renegotiation";
    case 109: return "missing_extension";
    case 110: return "unsupported_extension";
    case 112: return "unrecognized_name";
    case 116: return "certificate_required";
    case 120: return "no_application_protocol";
  }
  return "unknown alert";
}

const char* describe_client_alert(int alert) {
  switch (alert) {
    case 42:
    case 43:
    case 44:
    case 45:
    case 46:
    case 48:
      return "the client does not trust the device's certificate: give it the certificate (curl --cacert cert.pem) or "
             "accept it in the browser, and use a host name the certificate names (subjectAltName)";
    case 40:
    case 70:
    case 71: return "the client found no TLS version or cipher suite in common with the device (it needs TLS 1.2 with ECDHE)";
    case 51: return "the client could not verify the device's key exchange: the private key may not belong to the certificate";
    case 90: return "the user cancelled the connection";
  }
  return "the client aborted the handshake";
}

}  // namespace otakit::tls
