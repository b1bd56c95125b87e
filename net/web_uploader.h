// The host side of the browser upload page: POSTs an image as multipart/form-data to one or many
// web updaters (otakit device --http-port, or a real ESP8266HTTPUpdateServer), as
// `curl -F firmware=@fw.bin http://dev/update` does, on one io_context. Results, progress and
// retries are the espota uploader's, so `otakit upload` shows and scores both paths alike.
#pragma once
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "net/clock.h"
#include "net/espota_uploader.h"
#include "net/log.h"

namespace otakit::net {

struct WebTarget {
  std::string url;  // as given, for messages
  std::string host;
  uint16_t port = 80;
  std::string path = "/update";
};

// "http://HOST[:PORT][/PATH]" (PATH defaults to /update, the original's); nullopt otherwise.
std::optional<WebTarget> parse_web_target(const std::string& url);

struct WebUploadOptions {
  std::string user;  // Basic auth when both are set
  std::string password;
  bool filesystem = false;             // the form field "filesystem" instead of "firmware"
  std::string filename = "firmware.bin";  // the file part's filename
  bool send_md5 = true;                // an "md5" field before the file: OTAKit devices check it
  uint32_t timeout_ms = 10000;         // connecting, and any stall while sending
  uint32_t result_timeout_ms = 60000;  // after the last byte, for the answer
  uint32_t chunk = 16384;
  unsigned parallel = 4;
  unsigned retries = 1;  // after no answer or 409 busy: the device took nothing
  uint32_t retry_delay_ms = 1000;
  Logger log;
};

// The request head and the multipart framing around the file, for a body of
// preamble + image + epilogue (exposed for tests).
struct WebUploadRequest {
  std::string head;
  std::string preamble;
  std::string epilogue;
};
WebUploadRequest build_web_upload_request(const WebTarget& target, const WebUploadOptions& options,
                                          const EspotaImage& image, const std::string& boundary);

// The target as the display, the table and the JSON name it (host and TCP port).
EspotaTarget display_target(const WebTarget& target);

void async_web_upload_all(boost::asio::io_context& io, Clock& clock, const EspotaImage& image,
                          std::vector<WebTarget> targets, const WebUploadOptions& options, EspotaProgressFn progress,
                          EspotaDoneFn done);
std::vector<EspotaUploadResult> web_upload_all(const EspotaImage& image, std::vector<WebTarget> targets,
                                               const WebUploadOptions& options, EspotaProgressFn progress = {});

}  // namespace otakit::net
