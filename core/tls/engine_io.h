// The byte moves TlsClient and TlsServer share: records between the network and a BearSSL engine,
// plaintext between the engine and the application, and the engine's flags as a connection state.
// Each call does one move; the classes add their guards and their own error tracking.
#pragma once
#include <bearssl_ssl.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tls/tls_state.h"

namespace otakit::tls {

// Copies what fits of the network's bytes into the engine's record buffer; how many it took.
size_t engine_take_records(br_ssl_engine_context* engine, const uint8_t* data, size_t len);
// Records for the network (0 when none) and the acknowledgement of n of them sent.
size_t engine_pending_records(br_ssl_engine_context* engine, const uint8_t** data);
void engine_records_sent(br_ssl_engine_context* engine, size_t n);
// Copies what fits of the application's bytes into the next record; how many it took.
size_t engine_write(br_ssl_engine_context* engine, const uint8_t* data, size_t len);
// Decrypted bytes (0 when none) and the acknowledgement of n of them used.
size_t engine_readable(br_ssl_engine_context* engine, const uint8_t** data);
void engine_consumed(br_ssl_engine_context* engine, size_t n);
// After the caller's own checks (its error, whether it started): closed, failed or the handshake.
TlsState engine_state(const br_ssl_engine_context* engine, bool established);

}  // namespace otakit::tls
