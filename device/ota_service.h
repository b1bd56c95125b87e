// The device's network OTA: the ArduinoOTA (espota) responder feeding the device's Updater, and
// the mDNS advertisement of _arduino._tcp, both on the runtime's io_context and clock.
#pragma once
#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>

#include "device/device_runtime.h"
#include "device/virtual_device.h"
#include "net/clock.h"
#include "net/log.h"

namespace otakit::device {

class OtaService {
 public:
  // on_success runs after an update was staged and acknowledged: the runtime reboots. The
  // drivers log on log; what the sketch's ArduinoOTA callbacks print goes to console.
  OtaService(boost::asio::io_context& io, net::Clock& clock, VirtualDevice& device, const OtaServiceConfig& config,
             const net::Logger& log, const net::Logger& console, std::function<void()> on_success);
  ~OtaService();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace otakit::device
