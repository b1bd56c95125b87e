// An image full of CR bytes reaches the server as many small multipart slices: one read's worth of
// them must not overflow the server's event queue (whose lost events were the answer, the close
// and the reboot: the browser waited for ever).
#include <gtest/gtest.h>

#include <string>

#include "core/webupdate/web_update_server.h"
#include "tests/core/fake_update_sink.h"

namespace otakit::webupdate {
namespace {

class RoomyStatus final : public StatusSource {
 public:
  DeviceStatus device_status() override {
    DeviceStatus status;
    status.free_space = 1 << 20;
    return status;
  }
};

std::string upload_request(const std::string& image) {
  const std::string boundary = "----WebKitFormBoundaryx7Gq2Lm9Rt4Vb8Ke";
  const std::string body = "--" + boundary +
                           "\r\nContent-Disposition: form-data; name=\"firmware\"; filename=\"fw.bin\"\r\n"
                           "Content-Type: application/octet-stream\r\n\r\n" +
                           image + "\r\n--" + boundary + "--\r\n";
  return "POST /update HTTP/1.1\r\nHost: esp8266\r\nContent-Type: multipart/form-data; boundary=" + boundary +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST(WebUploadSlices, AReadFullOfCarriageReturnsIsAnsweredAndRebootsTheDevice) {
  testing::FakeUpdateSink sink;
  RoomyStatus status;
  WebUpdateServer server(ServerConfig{}, sink, status);
  std::string image(2048, 'x');
  for (size_t at = 0; at < image.size(); at += 64) image[at] = '\r';  // 32 slices in one read
  const std::string request = upload_request(image);

  const uint8_t slot = server.on_accept(0);
  std::string sent;
  bool reboot = false;
  const auto* bytes = reinterpret_cast<const uint8_t*>(request.data());
  for (size_t used = 0; used < request.size();) {
    used += server.on_data(slot, bytes + used, request.size() - used, 0);
    ServerEvent event;
    while (server.poll(&event)) {
      if (event.action == ServerAction::send) sent.append(reinterpret_cast<const char*>(event.data), event.len);
      if (event.action == ServerAction::reboot) reboot = true;
    }
  }
  EXPECT_FALSE(server.queue_overflowed());
  EXPECT_EQ(sink.written, image);
  EXPECT_NE(sent.find("Update Success! Rebooting..."), std::string::npos) << sent;
  EXPECT_TRUE(reboot);
}

}  // namespace
}  // namespace otakit::webupdate
