#include "core/tls/engine_io.h"

#include <string.h>

namespace otakit::tls {
namespace {

size_t copy_into(unsigned char* to, size_t room, const uint8_t* from, size_t len) {
  size_t n = len < room ? len : room;
  memcpy(to, from, n);
  return n;
}

}  // namespace

size_t engine_take_records(br_ssl_engine_context* engine, const uint8_t* data, size_t len) {
  size_t used = 0;
  while (used < len) {
    size_t room = 0;
    unsigned char* buf = br_ssl_engine_recvrec_buf(engine, &room);
    if (buf == nullptr) break;
    size_t n = copy_into(buf, room, data + used, len - used);
    br_ssl_engine_recvrec_ack(engine, n);
    used += n;
  }
  return used;
}

size_t engine_pending_records(br_ssl_engine_context* engine, const uint8_t** data) {
  size_t len = 0;
  *data = br_ssl_engine_sendrec_buf(engine, &len);
  return *data != nullptr ? len : 0;
}

void engine_records_sent(br_ssl_engine_context* engine, size_t n) { br_ssl_engine_sendrec_ack(engine, n); }

size_t engine_write(br_ssl_engine_context* engine, const uint8_t* data, size_t len) {
  size_t room = 0;
  unsigned char* buf = br_ssl_engine_sendapp_buf(engine, &room);
  if (buf == nullptr) return 0;
  size_t n = copy_into(buf, room, data, len);
  br_ssl_engine_sendapp_ack(engine, n);
  return n;
}

size_t engine_readable(br_ssl_engine_context* engine, const uint8_t** data) {
  size_t len = 0;
  *data = br_ssl_engine_recvapp_buf(engine, &len);
  return *data != nullptr ? len : 0;
}

void engine_consumed(br_ssl_engine_context* engine, size_t n) { br_ssl_engine_recvapp_ack(engine, n); }

TlsState engine_state(const br_ssl_engine_context* engine, bool established) {
  if (br_ssl_engine_current_state(engine) & BR_SSL_CLOSED)
    return br_ssl_engine_last_error(engine) == BR_ERR_OK ? TlsState::closed : TlsState::failed;
  return established ? TlsState::ready : TlsState::handshaking;
}

}  // namespace otakit::tls
