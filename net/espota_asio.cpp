#include "net/espota_asio.h"

#include <fcntl.h>
#include <sys/random.h>

#include <cerrno>
#include <cstring>

namespace otakit::net {

proto::PeerAddress to_peer(const boost::asio::ip::address& address, uint16_t port) {
  proto::PeerAddress peer;
  peer.port = port;
  boost::asio::ip::address_v4::bytes_type v4;
  if (address.is_v4()) {
    v4 = address.to_v4().to_bytes();
  } else if (address.to_v6().is_v4_mapped()) {
    v4 = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6()).to_bytes();
  } else {
    auto v6 = address.to_v6().to_bytes();
    std::memcpy(peer.ip, v6.data(), v6.size());
    peer.ip_length = 16;
    return peer;
  }
  std::memcpy(peer.ip, v4.data(), v4.size());
  peer.ip_length = 4;
  return peer;
}

boost::asio::ip::address to_address(const proto::PeerAddress& peer) {
  if (peer.ip_length == 4) {
    boost::asio::ip::address_v4::bytes_type v4;
    std::memcpy(v4.data(), peer.ip, 4);
    return boost::asio::ip::address_v4(v4);
  }
  boost::asio::ip::address_v6::bytes_type v6;
  std::memcpy(v6.data(), peer.ip, 16);
  return boost::asio::ip::address_v6(v6);
}

std::string peer_label(const proto::PeerAddress& peer) {
  std::string ip = to_address(peer).to_string();
  if (peer.ip_length == 16) ip = "[" + ip + "]";
  return ip + ":" + std::to_string(peer.port);
}

void set_close_on_exec(int fd) {
  int flags = ::fcntl(fd, F_GETFD);
  if (flags >= 0) ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

bool fill_secure_random(void*, uint8_t* out, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = getrandom(out + done, len - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace otakit::net
