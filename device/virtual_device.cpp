#include "device/virtual_device.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "device/device_errors.h"
#include "files/file_io.h"

namespace otakit::device {
namespace {

// The flash file is the device's input: anything that keeps it from being used (not a file, no
// access, a size that does not fit the layout) is reported with what to do about it.
posix::FileFlash open_flash(const std::string& path, uint32_t size) {
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (std::filesystem::exists(status) && !std::filesystem::is_regular_file(status))
    throw DeviceInputError(path + " is not a regular file: pass a flash file, or a new path to create one with a "
                                  "factory image");
  if (std::filesystem::exists(status) && ::access(path.c_str(), R_OK | W_OK) != 0)
    throw DeviceInputError("flash file " + path + " is not readable and writable by this user: fix its "
                           "permissions, or pass a new path to create one with a factory image");
  try {
    return posix::FileFlash::open(path, size);
  } catch (const std::runtime_error& e) {
    throw DeviceInputError(e.what());
  }
}

}  // namespace

crypto::RsaPublicKey load_public_key(const std::string& path) {
  std::vector<uint8_t> pem;
  try {
    pem = files::read_file(path);
  } catch (const std::runtime_error& e) {
    throw DeviceInputError(std::string(e.what()) + ": pass the public key (PEM) the images are signed for");
  }
  crypto::RsaPublicKey key;
  crypto::KeyError e = key.load(pem.data(), pem.size());
  if (e != crypto::KeyError::ok)
    throw DeviceInputError("public key " + path + ": " + crypto::describe(e) +
                           ": pass an RSA public key in PEM (otakit keygen writes one)");
  return key;
}

uint32_t chip_id_for(const std::string& flash_path) {
  uint32_t h = 2166136261u;
  for (char c : flash_path) h = (h ^ uint8_t(c)) * 16777619u;
  return h & 0xFFFFFF;
}

const FlashLayout& layout_or_throw(const std::string& name) {
  if (const FlashLayout* l = find_layout(name.c_str())) return *l;
  std::string known;
  for (const FlashLayout* l = all_layouts(); l->name != nullptr; ++l) known += std::string(known.empty() ? "" : ", ") + l->name;
  throw std::runtime_error("unknown flash layout '" + name + "' (known: " + known + ")");
}

VirtualDevice::VirtualDevice(const DeviceConfig& config, NetworkAttachment network)
    : config_(config),
      layout_(layout_or_throw(config.layout)),
      files_(device_files_for(config.flash_path)),
      flash_(open_flash(files_.flash, layout_.flash_size)),
      rtc_(files_.rtc),
      chip_id_(chip_id_for(config.flash_path)) {
  if (!config.public_key_path.empty()) {
    key_ = load_public_key(config.public_key_path);
    verifier_ = std::make_unique<crypto::RsaSha256Verifier>(
        key_, config.legacy_signatures ? crypto::RsaPadding::legacy_bare : crypto::RsaPadding::pkcs1_sha256);
  }
  created_ = flash_.created();
  if (created_) {
    if (!config.factory_image) throw std::logic_error("a new flash file needs DeviceConfig::factory_image");
    std::vector<uint8_t> image = config.factory_image(chip_id_);
    BootOptions options;
    BootLoader factory(flash_, layout_, rtc_, options);
    if (!factory.provision(image.data(), uint32_t(image.size())))
      throw std::runtime_error("cannot write the factory image to " + files_.flash);
  }
  BootOptions options;
  options.max_trial_boots = config.max_trial_boots;
  options.inflater = &inflater_;
  device_ = std::make_unique<Device>(DeviceParts{flash_, rtc_, layout_, options, verifier_.get(), chip_id_},
                                     std::move(network));
  device_->set_auto_confirm(false);  // `otakit device` confirms unless --no-confirm; tools never do
}

}  // namespace otakit::device
