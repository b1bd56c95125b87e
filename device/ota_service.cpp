#include "device/ota_service.h"

#include <stdexcept>

namespace otakit::device {

struct OtaService::Impl {};

OtaService::OtaService(boost::asio::io_context&, VirtualDevice&, const OtaServiceConfig&, std::function<void()>) {
  throw std::runtime_error("the OTA service is not wired yet");  // replaced when the responder lands
}

OtaService::~OtaService() = default;

}  // namespace otakit::device
