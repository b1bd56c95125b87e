// The lossy link between the simulated devices and the server: a TCP relay on loopback that
// passes each connection to the server and hurts some of them, at the fleet's rates: dropped
// after a random part of the server's answer, stalled for longer than the device waits, or slowed
// to a trickle. Faults only, in the server's answers; the requests pass untouched.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <memory>

#include "net/clock.h"
#include "sim/fault_dice.h"
#include "sim/fleet_config.h"
#include "sim/fleet_stats.h"

namespace otakit::sim {

struct LinkFaults {
  FaultRates rates;
  uint32_t answer_bytes = 65536;  // drops and stalls come within this many bytes of the answer
  uint32_t stall_ms = 6000;       // longer than the devices' idle limit
};

class FaultLink {
 public:
  // Listens on 127.0.0.1 (any free port) and relays to server. Throws on a bind failure.
  FaultLink(boost::asio::io_context& io, net::Clock& clock, boost::asio::ip::tcp::endpoint server, LinkFaults faults,
            uint64_t seed, FleetCounters& counters);
  ~FaultLink();
  uint16_t port() const;
  void stop();

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace otakit::sim
