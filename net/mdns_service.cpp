// MdnsAdvertiser: one mdns::Responder on a hub (the host and its services), its probe and
// announcement times on a Timer.
#include "net/mdns_service.h"

#include <fmt/format.h>

#include <stdexcept>

#include "core/mdns/mdns_responder.h"
#include "net/mdns_hub.h"

namespace otakit::net {

namespace asio = boost::asio;

MdnsServiceConfig http_service(uint16_t port, const std::string& path) {
  return MdnsServiceConfig{"_http", "_tcp", port, {{"path", path}}};
}

class MdnsAdvertiser::Impl final : private MdnsHub::Member {
 public:
  // shared_hub: the hub to join, or nullptr to open one at start().
  Impl(asio::io_context& io, std::shared_ptr<MdnsHub> shared_hub, Clock& clock, MdnsAdvertiserConfig config)
      : io_(io),
        shared_hub_(std::move(shared_hub)),
        clock_(clock),
        config_(std::move(config)),
        timer_(clock.make_timer(io)) {}

  void start() {
    if (hub_) return;
    std::shared_ptr<MdnsHub> hub =
        shared_hub_ ? shared_hub_ : MdnsHub::open(io_, config_.interface_address, config_.log);
    configure_responder(advertised_address(*hub));
    uint32_t first_probe_delay_ms = random_probe_delay_ms();
    hub_ = std::move(hub);
    hub_->join(*this);
    responder_.start(clock_.now_ms(), first_probe_delay_ms);
    schedule_timer();
    std::string what;
    for (const MdnsAdvertisedService& service : advertised())
      what += fmt::format("{}{} (port {})", what.empty() ? "" : ", ", service.instance, service.port);
    config_.log.debug("mDNS: advertising {} on {} ({})", what, hub_->interface().name,
                      hub_->interface().address.to_string());
  }

  void stop() {
    if (!hub_) return;
    uint8_t packet[mdns::Responder::kMaxPacket];
    std::size_t len = responder_.goodbye(packet, sizeof(packet));
    hub_->send_multicast(packet, len);
    hub_->leave(*this);
    hub_.reset();  // a hub of our own closes here
    timer_->cancel();
  }

  std::string hostname() const { return responder_.hostname(); }

  std::vector<MdnsAdvertisedService> advertised() const {
    std::vector<MdnsAdvertisedService> out;
    if (responder_.service_count() > 0) {  // configured by start(): the names as they are now
      for (std::size_t i = 0; i < responder_.service_count(); ++i) {
        char name[4 * mdns::kMaxNameLength + 1];
        responder_.service_instance(i).to_dotted(name, sizeof(name));
        out.push_back({name, responder_.service_port(i)});
      }
      return out;
    }
    if (config_.arduino_service) out.push_back({config_.hostname + "._arduino._tcp.local", config_.port});
    for (const MdnsServiceConfig& service : config_.services)
      out.push_back({config_.hostname + "." + service.service + "." + service.protocol + ".local", service.port});
    return out;
  }
  bool announced() const {
    auto state = responder_.state();
    return state == mdns::ResponderState::announcing || state == mdns::ResponderState::running;
  }

 private:
  // The A record's address. A configured address is the device's own, even on a hub whose socket
  // has another (the hub of an advertiser on its own was opened on it, so there they agree). With
  // none (""/"0.0.0.0"), the hub's.
  asio::ip::address_v4 advertised_address(const MdnsHub& hub) const {
    if (names_default_interface(config_.interface_address)) return hub.interface().address;
    MulticastInterface own = find_multicast_interface(config_.interface_address);
    if (own.index != hub.interface().index)
      throw std::runtime_error("mDNS advertisement of '" + config_.hostname + "': " + config_.interface_address +
                               " is on " + own.name + ", but the mDNS hub is on " + hub.interface().name +
                               ": give the device an address on " + hub.interface().name + " or a hub on " + own.name);
    return own.address;
  }

  void configure_responder(const asio::ip::address_v4& ipv4) {
    // The TXT order a real ESP8266 puts on the wire (LEAmDNS sends the entry added last first;
    // ArduinoOTA adds tcp_check, ssh_upload, board, auth_upload), see vectors/espota/mdns-*.txt.
    const mdns::TxtEntry arduino_txt[] = {{"auth_upload", config_.auth ? "yes" : "no"},
                                          {"board", config_.board.c_str()},
                                          {"ssh_upload", "no"},
                                          {"tcp_check", "no"}};
    if (!config_.arduino_service && config_.services.empty())
      throw std::runtime_error("mDNS advertisement of '" + config_.hostname +
                               "': no service to advertise (neither _arduino._tcp nor another)");
    std::vector<mdns::ServiceEntry> services;
    if (config_.arduino_service) services.push_back({"_arduino", "_tcp", config_.port, arduino_txt, 4});
    // The responder copies the strings in configure(): these only need to live until then.
    std::vector<std::vector<mdns::TxtEntry>> txts;
    txts.reserve(config_.services.size());
    for (const MdnsServiceConfig& service : config_.services) {
      std::vector<mdns::TxtEntry>& txt = txts.emplace_back();
      for (const auto& [key, value] : service.txt) txt.push_back({key.c_str(), value.c_str()});
      services.push_back({service.service.c_str(), service.protocol.c_str(), service.port, txt.data(), txt.size()});
    }
    mdns::HostDescription description;
    description.hostname = config_.hostname.c_str();
    auto address = ipv4.to_bytes();
    for (int i = 0; i < 4; ++i) description.ipv4[i] = address[i];
    description.services = services.data();
    description.service_count = services.size();
    mdns::ConfigError error = responder_.configure(description);
    if (error != mdns::ConfigError::ok)
      throw std::runtime_error("mDNS advertisement of '" + config_.hostname + "': " + mdns::describe(error));
  }

  // RFC 6762 §8.1: a random 0-250 ms before the first probe keeps devices that power up together
  // from probing in lockstep.
  uint32_t random_probe_delay_ms() const {
    uint8_t bytes[4];
    if (config_.random.fill == nullptr || !config_.random.fill(config_.random.ctx, bytes, sizeof(bytes)))
      throw std::runtime_error("mDNS advertisement of '" + config_.hostname +
                               "': the random source gave no bytes for the probe delay");
    uint32_t value = uint32_t(bytes[0]) << 24 | uint32_t(bytes[1]) << 16 | uint32_t(bytes[2]) << 8 | bytes[3];
    return value % 251;  // the bias of a 32-bit value over 251 is far below what a delay can show
  }

  void schedule_timer() {
    if (!responder_.timer_pending()) return;
    armed_due_ms_ = responder_.timer_due_ms();
    // `this` is safe: the timer belongs to this object and never runs a handler after cancel() or
    // its destruction.
    timer_->start_at(armed_due_ms_, [this] { on_timer(); });
  }

  void on_timer() {
    uint8_t packet[mdns::Responder::kMaxPacket];
    std::size_t len = responder_.on_timer(clock_.now_ms(), packet, sizeof(packet));
    hub_->send_multicast(packet, len);
    if (responder_.state() == mdns::ResponderState::running)
      config_.log.debug("mDNS: {}.local announced", responder_.hostname());
    schedule_timer();
  }

  void on_datagram(const uint8_t* data, std::size_t len, const MdnsHub::Endpoint& from) override {
    uint32_t conflicts_before = responder_.conflict_count();
    uint8_t packet[mdns::Responder::kMaxPacket];
    mdns::Reply reply = responder_.on_packet(data, len, from.port(), clock_.now_ms(), packet, sizeof(packet));
    if (reply.unicast) {
      hub_->send_to(packet, reply.length, from);
    } else {
      hub_->send_multicast(packet, reply.length);
    }
    if (responder_.conflict_count() != conflicts_before)
      config_.log.warn("mDNS: another host on {} uses the name {}.local; advertising as {}.local instead",
                       hub_->interface().name, config_.hostname, responder_.hostname());
    // A conflict or a lost probe tie-break restarts probing at a new time: re-arm the timer.
    if (responder_.timer_pending() && responder_.timer_due_ms() != armed_due_ms_) schedule_timer();
  }

  asio::io_context& io_;
  const std::shared_ptr<MdnsHub> shared_hub_;
  Clock& clock_;
  MdnsAdvertiserConfig config_;
  std::unique_ptr<Timer> timer_;
  std::shared_ptr<MdnsHub> hub_;  // while started: shared_hub_ or one of our own
  mdns::Responder responder_;
  uint32_t armed_due_ms_ = 0;  // what timer_ waits for
};

MdnsAdvertiser::MdnsAdvertiser(asio::io_context& io, Clock& clock, MdnsAdvertiserConfig config)
    : impl_(std::make_unique<Impl>(io, nullptr, clock, std::move(config))) {}

MdnsAdvertiser::MdnsAdvertiser(std::shared_ptr<MdnsHub> hub, Clock& clock, MdnsAdvertiserConfig config)
    : impl_(std::make_unique<Impl>(hub->io(), hub, clock, std::move(config))) {}

MdnsAdvertiser::~MdnsAdvertiser() { impl_->stop(); }

void MdnsAdvertiser::start() { impl_->start(); }
void MdnsAdvertiser::stop() { impl_->stop(); }
std::string MdnsAdvertiser::hostname() const { return impl_->hostname(); }
bool MdnsAdvertiser::announced() const { return impl_->announced(); }
std::vector<MdnsAdvertisedService> MdnsAdvertiser::advertised() const { return impl_->advertised(); }

}  // namespace otakit::net
