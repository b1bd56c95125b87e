#include "net/mdns_service.h"

#include <random>
#include <stdexcept>

#include "core/mdns/mdns_responder.h"
#include "net/mdns_socket.h"

namespace otakit::net {

namespace asio = boost::asio;

class MdnsAdvertiser::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::io_context& io, Clock& clock, MdnsAdvertiserConfig config)
      : io_(io), clock_(clock), config_(std::move(config)), timer_(clock.make_timer(io)) {}

  void start() {
    if (socket_) return;
    MulticastInterface interface = choose_multicast_interface(config_.interface_address);
    configure_responder(interface);
    socket_ = MdnsSocket::open(io_, interface, config_.log);
    std::weak_ptr<Impl> weak = shared_from_this();
    socket_->start_receiving([weak](const uint8_t* data, std::size_t len, const MdnsSocket::Endpoint& from) {
      if (auto self = weak.lock()) self->on_datagram(data, len, from);
    });
    // RFC 6762 §8.1: a random 0-250 ms before the first probe keeps devices that power up
    // together from probing in lockstep.
    std::uniform_int_distribution<uint32_t> delay(0, 250);
    std::random_device seed;
    std::minstd_rand random(seed());
    responder_.start(clock_.now_ms(), delay(random));
    schedule_timer();
    config_.log.debug("mDNS: advertising {}._arduino._tcp.local on {} ({})", config_.hostname, interface.name,
                      interface.address.to_string());
  }

  void stop() {
    if (!socket_) return;
    uint8_t packet[mdns::Responder::kMaxPacket];
    std::size_t len = responder_.goodbye(packet, sizeof(packet));
    socket_->send_multicast(packet, len);
    socket_->close();
    socket_.reset();
    timer_->cancel();
  }

  std::string hostname() const { return responder_.hostname(); }
  bool announced() const {
    auto state = responder_.state();
    return state == mdns::ResponderState::announcing || state == mdns::ResponderState::running;
  }

 private:
  void configure_responder(const MulticastInterface& interface) {
    // The TXT order a real ESP8266 puts on the wire (LEAmDNS sends the entry added last first;
    // ArduinoOTA adds tcp_check, ssh_upload, board, auth_upload), see vectors/espota/mdns-*.txt.
    const mdns::TxtEntry txt[] = {{"auth_upload", config_.auth ? "yes" : "no"},
                                  {"board", config_.board.c_str()},
                                  {"ssh_upload", "no"},
                                  {"tcp_check", "no"}};
    mdns::ServiceDescription description;
    description.hostname = config_.hostname.c_str();
    auto address = interface.address.to_bytes();
    for (int i = 0; i < 4; ++i) description.ipv4[i] = address[i];
    description.port = config_.port;
    description.txt = txt;
    description.txt_count = 4;
    mdns::ConfigError error = responder_.configure(description);
    if (error != mdns::ConfigError::ok)
      throw std::runtime_error("mDNS advertisement of '" + config_.hostname + "': " + mdns::describe(error));
  }

  void schedule_timer() {
    if (!responder_.timer_pending()) return;
    armed_due_ms_ = responder_.timer_due_ms();
    timer_->start_at(armed_due_ms_, [self = shared_from_this()] {
      if (self->socket_) self->on_timer();
    });
  }

  void on_timer() {
    uint8_t packet[mdns::Responder::kMaxPacket];
    std::size_t len = responder_.on_timer(clock_.now_ms(), packet, sizeof(packet));
    socket_->send_multicast(packet, len);
    if (responder_.state() == mdns::ResponderState::running)
      config_.log.debug("mDNS: {}.local announced", responder_.hostname());
    schedule_timer();
  }

  void on_datagram(const uint8_t* data, std::size_t len, const MdnsSocket::Endpoint& from) {
    if (!socket_) return;
    uint32_t conflicts_before = responder_.conflict_count();
    uint8_t packet[mdns::Responder::kMaxPacket];
    mdns::Reply reply = responder_.on_packet(data, len, from.port(), clock_.now_ms(), packet, sizeof(packet));
    if (reply.unicast) {
      socket_->send_to(packet, reply.length, from);
    } else {
      socket_->send_multicast(packet, reply.length);
    }
    if (responder_.conflict_count() != conflicts_before)
      config_.log.warn("mDNS: another host on {} uses the name {}.local; advertising as {}.local instead",
                       socket_->interface().name, config_.hostname, responder_.hostname());
    // A conflict or a lost probe tie-break restarts probing at a new time: re-arm the timer.
    if (responder_.timer_pending() && responder_.timer_due_ms() != armed_due_ms_) schedule_timer();
  }

  asio::io_context& io_;
  Clock& clock_;
  MdnsAdvertiserConfig config_;
  std::unique_ptr<Timer> timer_;
  std::shared_ptr<MdnsSocket> socket_;
  mdns::Responder responder_;
  uint32_t armed_due_ms_ = 0;  // what timer_ waits for
};

MdnsAdvertiser::MdnsAdvertiser(asio::io_context& io, Clock& clock, MdnsAdvertiserConfig config)
    : impl_(std::make_shared<Impl>(io, clock, std::move(config))) {}

MdnsAdvertiser::~MdnsAdvertiser() { impl_->stop(); }

void MdnsAdvertiser::start() { impl_->start(); }
void MdnsAdvertiser::stop() { impl_->stop(); }
std::string MdnsAdvertiser::hostname() const { return impl_->hostname(); }
bool MdnsAdvertiser::announced() const { return impl_->announced(); }

}  // namespace otakit::net
