// The device side of mDNS: advertises an espota endpoint as a real ESP8266 does (ArduinoOTA +
// LEAmDNS: `_arduino._tcp`, instance = hostname, TXT tcp_check/ssh_upload/board/auth_upload), and
// the further services a sketch adds with MDNS.addService() (e.g. `_http._tcp` for its upload
// page), every one under the same hostname; answers A queries for HOST.local, on one interface,
// driven by an io_context.
//
// Use from the virtual device (one io_context, one advertiser per device):
//
//   otakit::net::MdnsAdvertiser mdns(io, clock, {"127.0.0.1", "esp8266-ee1337", 8266, "generic", true});
//   mdns.start();   // throws std::runtime_error / std::system_error (bad address, port 5353 busy...)
//   io.run();       // probes 3 x 250 ms, announces at 0, 1, 3 s, then answers queries
//   mdns.stop();    // multicasts the goodbye (TTL 0) and leaves; the destructor does it too
//
// With the upload page beside espota (MDNS.addService("http", "tcp", 80) in a sketch):
//
//   config.services.push_back(otakit::net::http_service(8080, "/update"));
//
// Many devices in one process share one socket per interface, an MdnsHub (mdns_hub.h):
//
//   auto hub = otakit::net::MdnsHub::open(io, "127.0.0.1", log);
//   otakit::net::MdnsAdvertiser mdns(hub, clock, {"127.0.3.7", "esp8266-000307", 8266, "generic", false});
//
// interface_address is the device's IPv4 address and the address in the A record. On its own
// (first constructor) the advertiser opens a hub of its own on that address: it picks the
// interface (the one holding that address, or whose subnet holds it, so 127.0.0.N selects lo) and is
// the source of every packet. On a shared hub it must lie on the hub's interface; packets come from
// the hub's address. "" or "0.0.0.0" means the hub's address, and for an advertiser on its own the
// default interface and its address (the first one up and multicast-capable, non-loopback
// preferred): still exactly one interface. Several advertisers on their own can share a host and
// interface (SO_REUSEADDR); give each its own hostname. If another host (or another member of the
// hub) already owns the name, the advertiser renames itself "<hostname>-2", "-3", ... as RFC 6762 §9
// asks; hostname() tells the current name.
#pragma once
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/proto/random_source.h"
#include "net/clock.h"
#include "net/espota_asio.h"
#include "net/log.h"

namespace otakit::net {

// A DNS-SD service of the device besides _arduino._tcp, as MDNS.addService(service, protocol,
// port) and MDNS.addServiceTxt() make one; its instance is named after the hostname too.
struct MdnsServiceConfig {
  std::string service;            // one label with its underscore, e.g. "_http"
  std::string protocol = "_tcp";  // "_tcp" or "_udp"
  uint16_t port = 0;              // put in the SRV record
  std::vector<std::pair<std::string, std::string>> txt = {};  // key=value entries, in wire order
};

// `_http._tcp` on `port` with TXT path=<path>, the usual way to point browsers at a page.
MdnsServiceConfig http_service(uint16_t port, const std::string& path);

struct MdnsAdvertiserConfig {
  std::string interface_address;  // the device's IPv4 address (see above)
  std::string hostname;           // one DNS label, e.g. "esp8266-ee1337"; also the service instance name
  uint16_t port = 8266;           // the espota UDP port, put in the SRV record
  std::string board = "generic";  // TXT board= (ARDUINO_BOARD_ID, e.g. nodemcuv2)
  bool auth = false;              // TXT auth_upload=yes when the device wants a password
  Logger log;                     // "mDNS: ..." lines, in the device's name
  // Draws the random 0-250 ms before the first probe (RFC 6762 §8.1); a seeded one makes a
  // simulated fleet repeatable.
  proto::RandomSource random = secure_random_source();
  // Advertise _arduino._tcp (port, board, auth above); false: only `services`, e.g. a device that
  // serves its upload page but no espota.
  bool arduino_service = true;
  // Further services, in the order they are announced (at most 3 beside _arduino._tcp, each type
  // once). start() throws if there is nothing to advertise.
  std::vector<MdnsServiceConfig> services = {};
};

// One advertised service instance, as the advertiser names it now.
struct MdnsAdvertisedService {
  std::string instance;  // e.g. "esp8266-ee1337._http._tcp.local" (the hostname changes after a conflict)
  uint16_t port = 0;
};

class MdnsHub;

class MdnsAdvertiser {
 public:
  // Probes, announcements and record times run on clock. This one sends through a hub of its own,
  // opened by start() on config.interface_address and closed by stop().
  MdnsAdvertiser(boost::asio::io_context& io, Clock& clock, MdnsAdvertiserConfig config);
  // Joins hub at start() and leaves it at stop(); runs on the hub's io_context. Keeps the hub alive.
  MdnsAdvertiser(std::shared_ptr<MdnsHub> hub, Clock& clock, MdnsAdvertiserConfig config);
  ~MdnsAdvertiser();
  MdnsAdvertiser(const MdnsAdvertiser&) = delete;
  MdnsAdvertiser& operator=(const MdnsAdvertiser&) = delete;

  // Opens the hub (or joins the given one) and schedules probing; returns at once. Throws if the
  // configuration, the socket or the random source is unusable (the message says what to change).
  void start();
  // Says goodbye (if anything was announced) and leaves the hub. Idempotent.
  void stop();

  std::string hostname() const;  // may differ from the configured one after a name conflict
  bool announced() const;        // probing is over and the records are live
  // What start() advertises: _arduino._tcp first (when configured), then `services` in order.
  std::vector<MdnsAdvertisedService> advertised() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace otakit::net
