// One attempt to push an image to one device: resolve, listen, invite, authenticate, stream,
// read the result. Owns its sockets and timer; espota::HostSession decides everything.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <array>
#include <functional>
#include <memory>
#include <optional>

#include "core/espota/host_session.h"
#include "net/clock.h"
#include "net/espota_asio.h"
#include "net/espota_uploader.h"
#include "net/log.h"

namespace otakit::net {

class EspotaUploadAttempt : public std::enable_shared_from_this<EspotaUploadAttempt> {
 public:
  using Done = std::function<void(EspotaUploadResult)>;

  EspotaUploadAttempt(boost::asio::io_context& io, Clock& clock, const EspotaImage& image, const EspotaTarget& target,
                      const EspotaUploadOptions& options, std::optional<uint16_t> host_port, EspotaProgress progress,
                      EspotaProgressFn on_progress, Done on_done);

  void start();

 private:
  void on_resolved(const boost::asio::ip::address& device);
  bool open_listener(const boost::asio::ip::address& device, std::string* error);
  void accept();
  void receive_datagram();
  void read();
  void drain();
  void handle(const espota::HostEvent& e);
  void send_block(uint32_t offset, size_t len);
  void rearm_timer();
  void report(EspotaPhase phase);
  void fail_locally(const std::string& message);
  void finish(const espota::HostEvent& e);
  void close_all();

  boost::asio::io_context& io_;
  Clock& clock_;
  EspotaImage image_;
  EspotaTarget target_;
  EspotaUploadOptions options_;
  std::optional<uint16_t> host_port_;
  EspotaProgress progress_;
  EspotaProgressFn on_progress_;
  Done on_done_;
  Logger log_;  // in the target host's name

  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::ip::udp::socket udp_;
  boost::asio::ip::udp::endpoint device_udp_;
  boost::asio::ip::udp::endpoint sender_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::ip::tcp::socket pending_;
  boost::asio::ip::tcp::socket tcp_;
  std::unique_ptr<Timer> timer_;  // the session's next deadline
  std::array<uint8_t, 512> datagram_{};
  std::array<uint8_t, 4096> reply_{};
  std::unique_ptr<espota::HostSession> session_;
  uint16_t listen_port_ = 0;
  bool done_ = false;
};

}  // namespace otakit::net
