// A virtual ESP8266 in files: file-backed flash, RTC memory file, and the in-process Device built
// over them (boot path and Updater). Everything it knows lives in those files, so it survives the
// process; a reboot is device.boot() again.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/boot/loader.h"
#include "core/crypto/signature_verifier.h"
#include "core/flash/layout.h"
#include "core/updater/updater.h"
#include "device/device.h"
#include "device/device_files.h"
#include "platform/posix/file_flash.h"
#include "platform/posix/rtc_memory_file.h"
#include "platform/posix/zlib_inflater.h"

namespace otakit::device {

struct DeviceConfig {
  std::string flash_path;
  std::string layout = "1M";
  uint32_t max_trial_boots = 3;
  std::string public_key_path;  // empty: the device accepts unsigned images
  bool legacy_signatures = false;
  // Makes the image a new flash file starts with, given the chip id (the tools build it:
  // `otakit device` passes host::build_esp_image). Required when the flash file does not exist.
  std::function<std::vector<uint8_t>(uint32_t chip_id)> factory_image;
};

class VirtualDevice {
 public:
  // Opens (or creates, with a factory image) the flash file; with a network attachment the device
  // serves espota (and mDNS) after each boot. Throws DeviceInputError for a flash file or key it
  // cannot use, std::runtime_error otherwise.
  explicit VirtualDevice(const DeviceConfig& config, NetworkAttachment network = {});

  // The device over the files: boot(), reboot(), power_cycle(), on_boot(), its services.
  Device& device() { return *device_; }
  const RunningImage& running_image() const { return device_->running_image(); }

  const FlashLayout& layout() const { return layout_; }
  const DeviceFiles& files() const { return files_; }
  Ota& ota() { return device_->ota(); }
  Updater& updater() { return device_->updater(); }
  posix::FileFlash& flash() { return flash_; }
  bool created() const { return created_; }
  uint32_t boots() const { return device_->boots(); }
  uint32_t chip_id() const { return chip_id_; }

 private:
  DeviceConfig config_;
  const FlashLayout& layout_;
  DeviceFiles files_;
  posix::FileFlash flash_;
  posix::RtcMemoryFile rtc_;
  posix::ZlibInflater inflater_;
  crypto::RsaPublicKey key_;
  std::unique_ptr<crypto::RsaSha256Verifier> verifier_;
  std::unique_ptr<Device> device_;
  bool created_ = false;
  uint32_t chip_id_ = 0;
};

const FlashLayout& layout_or_throw(const std::string& name);
// A stable chip ID per flash file, so hostnames (esp8266-xxxxxx) stay the same across runs.
uint32_t chip_id_for(const std::string& flash_path);

// An RSA public key (PEM) for the devices' signature check; DeviceInputError says what to pass.
crypto::RsaPublicKey load_public_key(const std::string& path);

}  // namespace otakit::device
