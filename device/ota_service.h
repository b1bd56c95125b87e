// The device's network OTA: the ArduinoOTA (espota) responder feeding the device's Updater, and
// the mDNS advertisement of _arduino._tcp, both on the runtime's io_context.
#pragma once
#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>

#include "device/device_runtime.h"
#include "device/virtual_device.h"

namespace otakit::device {

class OtaService {
 public:
  // on_success runs after an update was staged and acknowledged: the runtime reboots.
  OtaService(boost::asio::io_context& io, VirtualDevice& device, const OtaServiceConfig& config,
             std::function<void()> on_success);
  ~OtaService();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace otakit::device
