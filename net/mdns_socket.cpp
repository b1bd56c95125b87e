#include "net/mdns_socket.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/ip/multicast.hpp>
#include <boost/asio/ip/unicast.hpp>
#include <cerrno>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "core/mdns/dns_message.h"

namespace otakit::net {
namespace {

namespace asio = boost::asio;
using asio::ip::address_v4;
using asio::ip::udp;

const address_v4 kGroup = address_v4({224, 0, 0, 251});
constexpr int kReceiveBufferBytes = 4 << 20;  // doubled by the kernel for its bookkeeping

struct InterfaceEntry {
  std::string name;
  unsigned flags = 0;
  address_v4 address;
  address_v4 netmask;
};

std::vector<InterfaceEntry> ipv4_interfaces() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) throw std::system_error(errno, std::generic_category(), "cannot list network interfaces");
  std::vector<InterfaceEntry> out;
  for (ifaddrs* it = list; it != nullptr; it = it->ifa_next) {
    if (it->ifa_addr == nullptr || it->ifa_addr->sa_family != AF_INET) continue;
    auto to_v4 = [](const sockaddr* sa) {
      return sa ? address_v4(ntohl(reinterpret_cast<const sockaddr_in*>(sa)->sin_addr.s_addr)) : address_v4();
    };
    out.push_back({it->ifa_name, it->ifa_flags, to_v4(it->ifa_addr), to_v4(it->ifa_netmask)});
  }
  freeifaddrs(list);
  return out;
}

std::string list_addresses(const std::vector<InterfaceEntry>& interfaces) {
  std::string text;
  for (const InterfaceEntry& e : interfaces)
    text += (text.empty() ? "" : ", ") + e.address.to_string() + " (" + e.name + ")";
  return text.empty() ? "none" : text;
}

MulticastInterface usable(const InterfaceEntry& e, address_v4 address) {
  if (!(e.flags & IFF_UP))
    throw std::runtime_error("interface " + e.name + " is down: bring it up (ip link set " + e.name + " up)");
  if (!(e.flags & IFF_MULTICAST))
    throw std::runtime_error("interface " + e.name + " cannot multicast: enable it (ip link set " + e.name +
                             " multicast on) or choose another interface address");
  unsigned index = if_nametoindex(e.name.c_str());
  if (index == 0) throw std::runtime_error("interface " + e.name + " disappeared");
  return {e.name, index, address};
}

void set_ip_option(int fd, int option, const void* value, socklen_t len, const char* what) {
  if (setsockopt(fd, IPPROTO_IP, option, value, len) != 0)
    throw std::system_error(errno, std::generic_category(), std::string("mDNS socket: cannot ") + what);
}

}  // namespace

MulticastInterface find_multicast_interface(const std::string& address) {
  boost::system::error_code ec;
  address_v4 wanted = asio::ip::make_address_v4(address, ec);
  if (ec) throw std::runtime_error("'" + address + "' is not an IPv4 address");
  std::vector<InterfaceEntry> interfaces = ipv4_interfaces();
  for (const InterfaceEntry& e : interfaces) {
    if (e.address == wanted) return usable(e, wanted);
  }
  for (const InterfaceEntry& e : interfaces) {  // e.g. 127.0.0.7 lives on lo's 127.0.0.1/8
    if ((e.address.to_uint() & e.netmask.to_uint()) == (wanted.to_uint() & e.netmask.to_uint()))
      return usable(e, wanted);
  }
  throw std::runtime_error("no network interface has address " + address + "; interface addresses here: " +
                           list_addresses(interfaces));
}

MulticastInterface default_multicast_interface() {
  std::vector<InterfaceEntry> interfaces = ipv4_interfaces();
  for (bool loopback : {false, true}) {
    for (const InterfaceEntry& e : interfaces) {
      bool is_loopback = (e.flags & IFF_LOOPBACK) != 0;
      if (is_loopback == loopback && (e.flags & IFF_UP) && (e.flags & IFF_MULTICAST)) return usable(e, e.address);
    }
  }
  throw std::runtime_error("no interface that is up and can multicast has an IPv4 address (" +
                           list_addresses(interfaces) + "); pass --interface-address");
}

bool names_default_interface(const std::string& address) { return address.empty() || address == "0.0.0.0"; }

MulticastInterface choose_multicast_interface(const std::string& address) {
  return names_default_interface(address) ? default_multicast_interface() : find_multicast_interface(address);
}

std::shared_ptr<MdnsSocket> MdnsSocket::open(asio::io_context& io, const MulticastInterface& interface, Logger log) {
  std::shared_ptr<MdnsSocket> socket(new MdnsSocket(io, interface, std::move(log)));
  socket->bind_and_join();
  return socket;
}

MdnsSocket::MdnsSocket(asio::io_context& io, const MulticastInterface& interface, Logger log)
    : socket_(io), interface_(interface), log_(std::move(log)) {}

void MdnsSocket::bind_and_join() {
  socket_.open(udp::v4());
  socket_.set_option(udp::socket::reuse_address(true));
  int fd = socket_.native_handle();
  int off = 0;
  int on = 1;
  // Linux would otherwise deliver the group's traffic from every interface some other socket joined.
  set_ip_option(fd, IP_MULTICAST_ALL, &off, sizeof(off), "turn off IP_MULTICAST_ALL");
  set_ip_option(fd, IP_PKTINFO, &on, sizeof(on), "enable IP_PKTINFO");
  boost::system::error_code ec;
  socket_.bind(udp::endpoint(address_v4::any(), mdns::kMdnsPort), ec);
  if (ec) throw std::system_error(ec, "mDNS socket: cannot bind UDP port 5353");
  ip_mreqn membership{};
  membership.imr_multiaddr.s_addr = htonl(kGroup.to_uint());
  membership.imr_address.s_addr = htonl(interface_.address.to_uint());
  membership.imr_ifindex = int(interface_.index);
  set_ip_option(fd, IP_ADD_MEMBERSHIP, &membership, sizeof(membership),
                ("join 224.0.0.251 on " + interface_.name).c_str());
  set_ip_option(fd, IP_MULTICAST_IF, &membership, sizeof(membership),
                ("send multicast through " + interface_.name).c_str());
  // A query for `_arduino._tcp` makes every device of a hub answer at once, before any socket on
  // this host reads: Linux's default 208 KiB holds about 250 of those answers, this about 10,000.
  // The kernel caps it at net.core.rmem_max.
  socket_.set_option(udp::socket::receive_buffer_size(kReceiveBufferBytes));
  socket_.set_option(asio::ip::multicast::enable_loopback(true));  // peers on this host hear us
  socket_.set_option(asio::ip::multicast::hops(255));                // RFC 6762 §11
  socket_.set_option(asio::ip::unicast::hops(255));
}

void MdnsSocket::start_receiving(ReceiveHandler handler) {
  handler_ = std::move(handler);
  wait_for_datagrams();
}

void MdnsSocket::wait_for_datagrams() {
  socket_.async_wait(udp::socket::wait_read, [self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || !self->socket_.is_open()) return;
    self->drain_datagrams();
    if (self->socket_.is_open()) self->wait_for_datagrams();
  });
}

void MdnsSocket::drain_datagrams() {
  // recvmsg rather than Asio's receive_from: only the IP_PKTINFO ancillary data tells which
  // interface a datagram came in on and where it was sent to.
  ReceiveHandler handler = handler_;  // a copy: the handler may close() this socket, which drops handler_
  for (int budget = 64; budget > 0 && socket_.is_open(); --budget) {  // bounded: a busy socket must not starve the loop
    uint8_t data[9000];
    sockaddr_in from{};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(in_pktinfo))];
    iovec iov{data, sizeof(data)};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof(from);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    ssize_t n = ::recvmsg(socket_.native_handle(), &msg, MSG_DONTWAIT);
    if (n < 0) return;  // EAGAIN: drained; anything else: the next wait reports it
    if (msg.msg_flags & MSG_TRUNC) continue;
    const in_pktinfo* info = nullptr;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO)
        info = reinterpret_cast<const in_pktinfo*>(CMSG_DATA(c));
    }
    if (info == nullptr || info->ipi_ifindex != int(interface_.index)) continue;
    address_v4 destination(ntohl(info->ipi_addr.s_addr));
    if (destination != kGroup && destination != interface_.address) continue;
    Endpoint sender(address_v4(ntohl(from.sin_addr.s_addr)), ntohs(from.sin_port));
    if (handler) handler(data, std::size_t(n), sender);
  }
}

void MdnsSocket::send_multicast(const uint8_t* data, std::size_t len) {
  send_to(data, len, Endpoint(kGroup, mdns::kMdnsPort));
}

void MdnsSocket::send_to(const uint8_t* data, std::size_t len, const Endpoint& to) {
  if (!socket_.is_open() || len == 0) return;
  boost::system::error_code ec;
  socket_.send_to(asio::buffer(data, len), to, 0, ec);
  if (ec) log_.warn("mDNS: send to {} on {} failed: {}", to.address().to_string(), interface_.name, ec.message());
}

void MdnsSocket::close() {
  handler_ = nullptr;  // drops whatever the handler captured (it may own this socket's owner)
  boost::system::error_code ignored;
  socket_.close(ignored);
}

}  // namespace otakit::net
