// The device object's mDNS advertisement follows what it serves, under one hostname: espota as
// _arduino._tcp, the upload page as _http._tcp with the web server's actual port and TXT
// path=<page path> (a sketch's MDNS.addService("http", "tcp", 80) beside ArduinoOTA). Each test in
// a private network namespace on a ManualClock, checked by browsers on their own sockets.
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "device/loopback_fleet.h"
#include "host/image_builder.h"
#include "tests/host/mdns_test_support.h"

namespace otakit {
namespace {

using std::chrono::milliseconds;
using Advertised = std::vector<std::pair<std::string, uint16_t>>;

struct FixedRandom {
  static bool fill(void*, uint8_t* out, std::size_t len) {
    for (std::size_t i = 0; i < len; ++i) out[i] = uint8_t(i);
    return true;
  }
  static proto::RandomSource source() { return {nullptr, &fill}; }
};

class DeviceMdns : public net::PrivateNetwork {
 protected:
  // A device on 127.0.0.1 with espota and/or the page on free ports, and mDNS asked for.
  device::Device& boot(bool espota, bool web, const std::string& path = "/update") {
    host::ImageSpec spec;
    spec.total_size = 60000;
    spec.size_code = 0;
    host::Bytes factory = host::build_esp_image(spec);
    EXPECT_TRUE(BootLoader(unit.flash, layout, unit.rtc).provision(factory.data(), uint32_t(factory.size())));
    device::NetworkAttachment network;
    network.io = &io;
    network.clock = &clock;
    network.espota.reset();
    if (espota) {
      net::EspotaResponderOptions options;
      options.bind_address = "127.0.0.1";
      options.port = 0;
      options.random = FixedRandom::source();
      network.espota = options;
    }
    if (web) {
      net::HttpUpdateServerOptions options;
      options.bind_address = "127.0.0.1";
      options.port = 0;
      options.path = path;
      network.web = options;
    }
    net::MdnsAdvertiserConfig mdns;
    mdns.interface_address = "127.0.0.1";
    mdns.hostname = "esp8266-00beef";
    mdns.random = FixedRandom::source();
    network.mdns = mdns;
    unit.device = std::make_unique<device::Device>(device::DeviceParts{unit.flash, unit.rtc, layout, {}, nullptr},
                                                   std::move(network));
    EXPECT_TRUE(unit.device->boot().bootable);
    return *unit.device;
  }

  static Advertised advertised(device::Device& d) {
    Advertised out;
    for (const net::MdnsAdvertisedService& s : d.mdns()->advertised()) out.emplace_back(s.instance, s.port);
    return out;
  }

  const FlashLayout& layout = *find_layout("512K");
  device::FleetMember unit{layout};
};

TEST_F(DeviceMdns, EspotaAndTheUploadPageAreAdvertisedUnderOneHostname) {
  device::Device& d = boot(true, true, "/fw");
  ASSERT_NE(d.mdns(), nullptr);
  ASSERT_NE(d.web(), nullptr);
  uint16_t ota_port = d.espota()->local_port(), web_port = d.web()->local_port();
  ASSERT_NE(web_port, 0) << "the page listens on a port the system picked";
  EXPECT_EQ(advertised(d), (Advertised{{"esp8266-00beef._arduino._tcp.local", ota_port},
                                       {"esp8266-00beef._http._tcp.local", web_port}}));
  run_for(milliseconds(6000));
  ASSERT_TRUE(d.mdns()->announced());

  net::TypeBrowser http(io, "_http"), arduino(io, "_arduino");
  http.query();
  arduino.query();
  http.enumerate();
  run_for(milliseconds(10));
  ASSERT_EQ(http.found().size(), 1u);
  EXPECT_EQ(net::TypeBrowser::dotted(http.found()[0]->target), "esp8266-00beef.local");
  EXPECT_EQ(http.found()[0]->port, web_port) << "the web server's actual port, not the configured 0";
  EXPECT_EQ(net::TypeBrowser::txt_value(*http.found()[0], "path"), "/fw");
  ASSERT_EQ(arduino.found().size(), 1u);
  EXPECT_EQ(arduino.found()[0]->port, ota_port);
  EXPECT_EQ(http.types(), (std::set<std::string>{"_arduino._tcp.local", "_http._tcp.local"}));
}

TEST_F(DeviceMdns, APageWithoutEspotaIsAdvertisedAsHttpOnly) {
  device::Device& d = boot(false, true);
  ASSERT_EQ(d.espota(), nullptr);
  ASSERT_NE(d.mdns(), nullptr) << "the page alone is worth advertising";
  EXPECT_EQ(advertised(d), (Advertised{{"esp8266-00beef._http._tcp.local", d.web()->local_port()}}));
  run_for(milliseconds(6000));
  net::TypeBrowser http(io, "_http"), arduino(io, "_arduino");
  http.query();
  arduino.query();
  run_for(milliseconds(10));
  ASSERT_EQ(http.found().size(), 1u);
  EXPECT_EQ(net::TypeBrowser::txt_value(*http.found()[0], "path"), "/update");
  EXPECT_TRUE(arduino.found().empty());
}

TEST_F(DeviceMdns, EspotaWithoutThePageIsAdvertisedAsBefore) {
  device::Device& d = boot(true, false);
  ASSERT_NE(d.mdns(), nullptr);
  EXPECT_EQ(advertised(d), (Advertised{{"esp8266-00beef._arduino._tcp.local", d.espota()->local_port()}}));
  run_for(milliseconds(6000));
  net::TypeBrowser http(io, "_http");
  http.query();
  http.enumerate();
  run_for(milliseconds(10));
  EXPECT_TRUE(http.found().empty());
  EXPECT_EQ(http.types(), std::set<std::string>{"_arduino._tcp.local"});
}

TEST_F(DeviceMdns, ARebootAdvertisesTheNewServersAgain) {
  device::Device& d = boot(true, true);
  run_for(milliseconds(6000));
  Advertised before = advertised(d);
  d.reboot();
  ASSERT_NE(d.mdns(), nullptr);
  EXPECT_EQ(advertised(d).size(), 2u);
  EXPECT_EQ(advertised(d)[0].first, before[0].first);
  EXPECT_EQ(advertised(d)[1].second, d.web()->local_port()) << "the new server's port";
  run_for(milliseconds(6000));
  EXPECT_TRUE(d.mdns()->announced());
}

}  // namespace
}  // namespace otakit
