#include "net/mdns_discovery.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/steady_timer.hpp>

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
  Impl(asio::io_context& io, DiscoveryOptions options)
      : io_(io),
        options_(std::move(options)),
        slots_(std::max<std::size_t>(options_.max_devices, 1)),
        browser_(slots_.data(), slots_.size()),
        query_timer_(io),
        deadline_(io) {}

  void start(Done done) {
    MulticastInterface interface = choose_multicast_interface(options_.interface_address);
    socket_ = MdnsSocket::open(io_, interface);
    done_ = std::move(done);
    std::weak_ptr<Impl> weak = shared_from_this();
    socket_->start_receiving([weak](const uint8_t* data, std::size_t len, const MdnsSocket::Endpoint& from) {
      if (auto self = weak.lock()) self->on_datagram(data, len, from);
    });
    deadline_.expires_after(options_.timeout);
    deadline_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->finish();
    });
    send_query(std::chrono::milliseconds(500));
  }

  void cancel() {
    done_ = nullptr;
    close();
  }

 private:
  // Queries at growing intervals (RFC 6762 §5.2): early ones find devices fast, later ones pick
  // up what was lost, and known answers keep the devices already found quiet.
  void send_query(std::chrono::milliseconds next_interval) {
    if (!socket_) return;
    uint8_t packet[1460];
    std::size_t len = browser_.build_query(mdns_clock_ms(), packet, sizeof(packet));
    socket_->send_multicast(packet, len);
    query_timer_.expires_after(next_interval);
    query_timer_.async_wait([self = shared_from_this(), next_interval](const boost::system::error_code& ec) {
      if (!ec) self->send_query(next_interval * 2);
    });
  }

  void on_datagram(const uint8_t* data, std::size_t len, const MdnsSocket::Endpoint& from) {
    mdns::ParseError error = browser_.on_packet(data, len, from.port(), mdns_clock_ms());
    if (error != mdns::ParseError::ok)
      spdlog::debug("mDNS: malformed packet from {}: {}", from.address().to_string(), mdns::describe(error));
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
      spdlog::warn("mDNS: more than {} devices answered; the rest were not kept", slots_.size());
    close();
    Done done = std::move(done_);
    done_ = nullptr;
    if (done) done(std::move(result));
  }

  void close() {
    if (socket_) socket_->close();
    socket_.reset();
    query_timer_.cancel();
    deadline_.cancel();
  }

  asio::io_context& io_;
  DiscoveryOptions options_;
  std::vector<mdns::DiscoveredService> slots_;
  mdns::Browser browser_;
  asio::steady_timer query_timer_;
  asio::steady_timer deadline_;
  std::shared_ptr<MdnsSocket> socket_;
  Done done_;
};

MdnsDiscovery::MdnsDiscovery(asio::io_context& io, DiscoveryOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(options))) {}

MdnsDiscovery::~MdnsDiscovery() { impl_->cancel(); }

void MdnsDiscovery::start(Done done) { impl_->start(std::move(done)); }
void MdnsDiscovery::cancel() { impl_->cancel(); }

DiscoveryResult discover_devices(const DiscoveryOptions& options) {
  asio::io_context io;
  DiscoveryResult result;
  MdnsDiscovery discovery(io, options);
  discovery.start([&result](DiscoveryResult r) { result = std::move(r); });
  io.run();
  return result;
}

}  // namespace otakit::net
