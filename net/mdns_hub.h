// One mDNS socket (MdnsSocket: *:5353 on ONE interface) shared by every advertiser of a process:
// each datagram received goes to every member, and every member sends through the hub's socket.
//
// A process simulating 10,000 devices opens one hub per interface and passes it to each
// MdnsAdvertiser, rather than 10,000 sockets on port 5353. Members hear each other's packets as they
// would on a LAN, because the hub's own multicasts come back to it (multicast loopback): a probe for
// a name another member holds meets that member's defence, and each responder recognises its own
// looped-back packets by their identical data.
//
// Cost: every member's responder parses every datagram, O(members) per packet: the sans-IO
// responder has no cheaper test for "this packet cannot concern me", and a query for
// `_arduino._tcp` concerns every member anyway (each answers with its own packet).
#pragma once
#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "net/log.h"
#include "net/mdns_socket.h"

namespace otakit::net {

class MdnsHub {
 public:
  using Endpoint = MdnsSocket::Endpoint;

  // What a hub delivers to. A member must leave() before it goes away, and keeps the hub alive
  // (holds its shared_ptr) while it is a member.
  class Member {
   public:
    virtual void on_datagram(const uint8_t* data, std::size_t len, const Endpoint& from) = 0;

   protected:
    Member() = default;
    ~Member() = default;
    Member(const Member&) = delete;
    Member& operator=(const Member&) = delete;

   private:
    friend class MdnsHub;
    static constexpr std::size_t kNotJoined = std::numeric_limits<std::size_t>::max();
    std::size_t slot_ = kNotJoined;  // where the hub keeps it
  };

  // interface_address as choose_multicast_interface() takes it ("" or "0.0.0.0": the default
  // interface); the hub's packets come from the address it yields. Throws like
  // choose_multicast_interface() and MdnsSocket::open(). Failed sends are logged on log.
  static std::shared_ptr<MdnsHub> open(boost::asio::io_context& io, const std::string& interface_address, Logger log);
  ~MdnsHub();
  MdnsHub(const MdnsHub&) = delete;
  MdnsHub& operator=(const MdnsHub&) = delete;

  // Both may be called from a member's on_datagram(), for itself or another member. A member that
  // joins during a delivery gets the next datagram; one that leaves gets nothing more. Idempotent.
  void join(Member& member);
  void leave(Member& member);

  // Best effort, as MdnsSocket's: no-ops once closed.
  void send_multicast(const uint8_t* data, std::size_t len);
  void send_to(const uint8_t* data, std::size_t len, const Endpoint& to);
  // Closes the socket now (the destructor does it when the last shared_ptr goes); members stay
  // joined but receive nothing and their sends are dropped.
  void close();

  boost::asio::io_context& io() const { return io_; }
  const MulticastInterface& interface() const { return socket_->interface(); }
  std::size_t member_count() const { return members_.size() - vacant_; }

 private:
  MdnsHub(boost::asio::io_context& io, std::shared_ptr<MdnsSocket> socket);
  void deliver(const uint8_t* data, std::size_t len, const Endpoint& from);
  void compact_if_sparse();

  boost::asio::io_context& io_;
  std::shared_ptr<MdnsSocket> socket_;
  // In joining order. A member leaving marks its slot vacant (nullptr) rather than shifting the
  // others, so a delivery can walk the vector while members leave; vacant slots are squeezed out
  // outside deliveries once they are half of it, which keeps leave() O(1) amortised.
  std::vector<Member*> members_;
  std::size_t vacant_ = 0;
  bool delivering_ = false;
};

}  // namespace otakit::net
