// MdnsHub: one MdnsSocket, its datagrams delivered to every member in joining order.
#include "net/mdns_hub.h"

#include <algorithm>

namespace otakit::net {

std::shared_ptr<MdnsHub> MdnsHub::open(boost::asio::io_context& io, const std::string& interface_address, Logger log) {
  MulticastInterface interface = choose_multicast_interface(interface_address);
  std::shared_ptr<MdnsHub> hub(new MdnsHub(io, MdnsSocket::open(io, interface, std::move(log))));
  // Weak: the socket keeps itself (and so its handler) alive while a receive is pending, and the
  // hub must still go when its last user drops it.
  std::weak_ptr<MdnsHub> weak = hub;
  hub->socket_->start_receiving([weak](const uint8_t* data, std::size_t len, const Endpoint& from) {
    if (auto self = weak.lock()) self->deliver(data, len, from);
  });
  return hub;
}

MdnsHub::MdnsHub(boost::asio::io_context& io, std::shared_ptr<MdnsSocket> socket)
    : io_(io), socket_(std::move(socket)) {}

MdnsHub::~MdnsHub() { close(); }

void MdnsHub::join(Member& member) {
  if (member.slot_ != Member::kNotJoined) return;
  member.slot_ = members_.size();
  members_.push_back(&member);
}

void MdnsHub::leave(Member& member) {
  if (member.slot_ == Member::kNotJoined) return;
  members_[member.slot_] = nullptr;
  member.slot_ = Member::kNotJoined;
  ++vacant_;
  compact_if_sparse();
}

void MdnsHub::deliver(const uint8_t* data, std::size_t len, const Endpoint& from) {
  delivering_ = true;
  // Up to the size at the start: members joining meanwhile are appended and wait for the next
  // datagram. Indexing (not iterators) because a join may reallocate the vector.
  for (std::size_t i = 0, end = members_.size(); i < end; ++i) {
    if (Member* member = members_[i]) member->on_datagram(data, len, from);
  }
  delivering_ = false;
  compact_if_sparse();
}

void MdnsHub::compact_if_sparse() {
  if (delivering_ || vacant_ * 2 <= members_.size()) return;
  auto end = std::remove(members_.begin(), members_.end(), nullptr);
  members_.erase(end, members_.end());
  for (std::size_t i = 0; i < members_.size(); ++i) members_[i]->slot_ = i;
  vacant_ = 0;
}

void MdnsHub::send_multicast(const uint8_t* data, std::size_t len) { socket_->send_multicast(data, len); }

void MdnsHub::send_to(const uint8_t* data, std::size_t len, const Endpoint& to) { socket_->send_to(data, len, to); }

void MdnsHub::close() { socket_->close(); }

}  // namespace otakit::net
