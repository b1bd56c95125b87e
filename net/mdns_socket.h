// The UDP socket of multicast DNS on ONE chosen interface: *:5353 with SO_REUSEADDR (so several
// responders and browsers share the port), member of 224.0.0.251 on that interface only, sending
// from that interface. Datagrams that arrived on any other interface are dropped.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/udp.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "net/log.h"

namespace otakit::net {

struct MulticastInterface {
  std::string name;                     // e.g. "lo", "eth0"
  unsigned index = 0;                   // kernel interface index
  boost::asio::ip::address_v4 address;  // the address our packets come from
};

// The interface that owns `address` (or whose subnet holds it, so 127.0.0.7 selects lo).
// Throws std::runtime_error saying what to do when there is none, or it is down or cannot multicast.
MulticastInterface find_multicast_interface(const std::string& address);

// With no address given: the first interface that is up, can multicast and has an IPv4 address,
// preferring one that is not loopback. Throws std::runtime_error when there is none.
MulticastInterface default_multicast_interface();

// "" or "0.0.0.0": a service bound to every address, which names no interface of its own.
bool names_default_interface(const std::string& address);

// names_default_interface(address): default_multicast_interface(), still one interface; anything
// else: find_multicast_interface(address).
MulticastInterface choose_multicast_interface(const std::string& address);

class MdnsSocket : public std::enable_shared_from_this<MdnsSocket> {
 public:
  using Endpoint = boost::asio::ip::udp::endpoint;
  // One datagram that arrived on our interface, sent to the group or to our own address.
  using ReceiveHandler = std::function<void(const uint8_t* data, std::size_t len, const Endpoint& from)>;

  // Opens, binds and joins; throws std::system_error naming the step that failed. Failed sends
  // are logged on log.
  static std::shared_ptr<MdnsSocket> open(boost::asio::io_context& io, const MulticastInterface& interface,
                                          Logger log);

  // Delivers datagrams until close(). The socket keeps itself alive while a receive is pending.
  void start_receiving(ReceiveHandler handler);
  // Best effort, as UDP is: a failed send is logged and dropped.
  void send_multicast(const uint8_t* data, std::size_t len);
  void send_to(const uint8_t* data, std::size_t len, const Endpoint& to);
  void close();

  const MulticastInterface& interface() const { return interface_; }

 private:
  MdnsSocket(boost::asio::io_context& io, const MulticastInterface& interface, Logger log);
  void bind_and_join();
  void wait_for_datagrams();
  void drain_datagrams();

  boost::asio::ip::udp::socket socket_;
  MulticastInterface interface_;
  Logger log_;
  ReceiveHandler handler_;
};

}  // namespace otakit::net
