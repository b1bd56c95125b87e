// What TlsClient and TlsServer share: the entropy each connection needs and the connection states.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace otakit::tls {

constexpr size_t kEntropySize = 32;  // random bytes start() needs, fresh for every connection

enum class TlsState : uint8_t {
  idle,         // before start()
  handshaking,
  ready,        // application data flows both ways
  closed,       // close_notify exchanged: every byte the peer sent has arrived
  failed,       // see error()
};

}  // namespace otakit::tls
