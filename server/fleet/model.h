// The fleet's records as the server's code sees them (the tables are in server/store/schema.cpp).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/http/request_builder.h"

namespace otakit::server {

// x-ESP8266-mode, and what kind of image a firmware is.
enum class ImageKind { sketch, spiffs };
const char* to_string(ImageKind kind);

struct Firmware {
  int64_t id = 0;
  std::string sha256;  // the content address of its bytes
  std::string md5;          // of the file as sent: x-MD5, which the Updater checks
  // What a device reports as its sketch MD5 once it runs this image: the image alone, without a
  // signature trailer, inflated when the file is gzip. Empty for filesystem images.
  std::string running_md5;
  uint64_t size = 0;
  std::string name;     // the uploaded file's base name, for Content-Disposition
  std::string version;  // from the image's OTAKit descriptor, or given at publish; may be empty
  std::string project;
  uint32_t security_version = 0;
  bool is_signed = false;
  uint32_t flash_size = 0;  // the flash size its header declares (0: not stated, e.g. gzip)
  ImageKind kind = ImageKind::sketch;
  int64_t uploaded_at = 0;

  // The MD5 a device running this image reports (the file's when the image is its whole file).
  const std::string& device_md5() const { return running_md5.empty() ? md5 : running_md5; }
};

// One check as the device reported it, already validated (core/http/device_report.h).
struct CheckReport {
  std::string sta_mac;  // "AA:BB:CC:DD:EE:FF"
  std::string ap_mac;
  uint32_t chip_id = 0;
  uint32_t free_space = 0;
  uint32_t sketch_size = 0;
  std::string sketch_md5;
  uint32_t chip_size = 0;
  std::string sdk_version;
  std::string version;  // x-ESP8266-version; empty when not sent
  enum class Mode { sketch, spiffs, version } mode = Mode::sketch;
  std::string address;  // the peer's IP
  http::ImageState image = http::ImageState::unreported;  // x-OTAKit-image: OTAKit devices say it
  bool on_trial() const { return image == http::ImageState::trial; }
};

struct Device {
  std::string mac;
  std::string ap_mac;
  uint32_t chip_id = 0;
  uint32_t chip_size = 0;
  uint32_t free_space = 0;
  uint32_t sketch_size = 0;
  std::string running_md5;
  std::string running_version;
  std::string sdk_version;
  std::string address;
  std::string group;              // empty: in no group
  std::vector<std::string> tags;  // sorted
  uint32_t max_security_version = 0;  // the highest it has been seen running
  int64_t first_seen = 0;
  int64_t last_seen = 0;
  int64_t checks = 0;
};

// Which devices a rollout or a listing selects; empty fields select everything.
struct DeviceFilter {
  std::string group;
  std::string tag;
  std::string version;     // the running version
  uint32_t chip_size = 0;  // exactly this chip size
  int64_t seen_since = 0;  // last seen at or after (ms since epoch)
};

}  // namespace otakit::server
