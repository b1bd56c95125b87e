#include "net/mdns_discovery.h"

#include <algorithm>
#include <boost/asio/ip/address_v4.hpp>

#include "core/mdns/mdns_browser.h"
#include "net/mdns_socket.h"

namespace otakit::net {

namespace asio = boost::asio;

namespace {

std::string dotted(const mdns::DnsName& name) {
  char text[4 * mdns::kMaxNameLength + 1];
  name.to_dotted(text, sizeof(text));
  return text;
}

std::string instance_label(const mdns::DnsName& instance) {
  std::size_t len = 0;
  const uint8_t* label = instance.label(0, len);
  mdns::DnsName first;
  if (label != nullptr) first.append_label(reinterpret_cast<const char*>(label), len);
  return dotted(first);
}

std::string text(const uint8_t* data, std::size_t len) { return std::string(reinterpret_cast<const char*>(data), len); }

DiscoveredDevice to_device(const mdns::DiscoveredService& s) {
  DiscoveredDevice d;
  d.name = instance_label(s.instance);
  d.hostname = dotted(s.target);
  d.address = asio::ip::address_v4({s.ipv4[0], s.ipv4[1], s.ipv4[2], s.ipv4[3]}).to_string();
  d.port = s.port;
  mdns::TxtReader reader(s.txt, s.txt_length);
  const uint8_t* entry;
  std::size_t entry_len;
  while (reader.next(entry, entry_len)) {
    const uint8_t *key, *value;
    std::size_t key_len, value_len;
    bool has_value;
    mdns::split_txt_entry(entry, entry_len, key, key_len, value, value_len, has_value);
    if (key_len > 0) d.txt.emplace_back(text(key, key_len), text(value, value_len));
  }
  const uint8_t* value;
  std::size_t value_len;
  if (s.txt_value("board", value, value_len)) d.board = text(value, value_len);
  if (s.txt_value("auth_upload", value, value_len)) {
    std::string auth = text(value, value_len);
    if (auth == "yes") d.auth = true;
    if (auth == "no") d.auth = false;
  }
  return d;
}

}  // namespace

class MdnsDiscovery::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::io_context& io, Clock& clock, DiscoveryOptions options)
      : io_(io),
        clock_(clock),
        options_(std::move(options)),
        slots_(std::max<std::size_t>(options_.max_devices, 1)),
        browser_(slots_.data(), slots_.size()),
        query_timer_(clock.make_timer(io)),
        deadline_(clock.make_timer(io)) {}

  void start(Done done) {
    MulticastInterface interface = choose_multicast_interface(options_.interface_address);
    socket_ = MdnsSocket::open(io_, interface, options_.log);
    done_ = std::move(done);
    std::weak_ptr<Impl> weak = shared_from_this();
    socket_->start_receiving([weak](const uint8_t* data, std::size_t len, const MdnsSocket::Endpoint& from) {
      if (auto self = weak.lock()) self->on_datagram(data, len, from);
    });
    deadline_->start_after(uint32_t(options_.timeout.count()), [self = shared_from_this()] { self->finish(); });
    send_query(500);
  }

  void cancel() {
    done_ = nullptr;
    close();
  }

 private:
  // Queries at growing intervals up to an hour (RFC 6762 §5.2): early ones find devices fast,
  // later ones pick up what was lost, and known answers keep the devices already found quiet.
  void send_query(uint32_t next_interval_ms) {
    if (!socket_) return;
    uint8_t packet[1460];
    std::size_t len = browser_.build_query(clock_.now_ms(), packet, sizeof(packet));
    socket_->send_multicast(packet, len);
    query_timer_->start_after(next_interval_ms, [self = shared_from_this(), next_interval_ms] {
      constexpr uint32_t kLongestInterval = 3600 * 1000;
      self->send_query(std::min(next_interval_ms * 2, kLongestInterval));
    });
  }

  void on_datagram(const uint8_t* data, std::size_t len, const MdnsSocket::Endpoint& from) {
    mdns::ParseError error = browser_.on_packet(data, len, from.port(), clock_.now_ms());
    if (error != mdns::ParseError::ok)
      options_.log.debug("mDNS: malformed packet from {}: {}", from.address().to_string(), mdns::describe(error));
  }

  void finish() {
    DiscoveryResult result;
    result.interface_name = socket_ ? socket_->interface().name : "";
    result.interface_address = socket_ ? socket_->interface().address.to_string() : "";
    for (std::size_t i = 0; i < browser_.count(); ++i) {
      const mdns::DiscoveredService& s = browser_.at(i);
      if (s.complete()) {
        result.devices.push_back(to_device(s));
      } else if (!s.removed) {
        ++result.incomplete;
      }
    }
    std::sort(result.devices.begin(), result.devices.end(),
              [](const DiscoveredDevice& a, const DiscoveredDevice& b) { return a.name < b.name; });
    if (browser_.overflowed() > 0)
      options_.log.warn("mDNS: more than {} devices answered; the rest were not kept", slots_.size());
    close();
    Done done = std::move(done_);
    done_ = nullptr;
    if (done) done(std::move(result));
  }

  void close() {
    if (socket_) socket_->close();
    socket_.reset();
    query_timer_->cancel();
    deadline_->cancel();
  }

  asio::io_context& io_;
  Clock& clock_;
  DiscoveryOptions options_;
  std::vector<mdns::DiscoveredService> slots_;
  mdns::Browser browser_;
  std::unique_ptr<Timer> query_timer_;
  std::unique_ptr<Timer> deadline_;
  std::shared_ptr<MdnsSocket> socket_;
  Done done_;
};

MdnsDiscovery::MdnsDiscovery(asio::io_context& io, Clock& clock, DiscoveryOptions options)
    : impl_(std::make_shared<Impl>(io, clock, std::move(options))) {}

MdnsDiscovery::~MdnsDiscovery() { impl_->cancel(); }

void MdnsDiscovery::start(Done done) { impl_->start(std::move(done)); }
void MdnsDiscovery::cancel() { impl_->cancel(); }

DiscoveryResult discover_devices(const DiscoveryOptions& options) {
  asio::io_context io;
  SteadyClock clock;
  DiscoveryResult result;
  MdnsDiscovery discovery(io, clock, options);
  discovery.start([&result](DiscoveryResult r) { result = std::move(r); });
  io.run();
  return result;
}

}  // namespace otakit::net
