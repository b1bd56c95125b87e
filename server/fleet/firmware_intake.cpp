// Checking an uploaded firmware with the device's own rules before it can be offered.
#include "server/fleet/firmware_intake.h"

#include <fmt/format.h>

#include <stdexcept>

#include "core/crypto/rsa_public_key.h"
#include "core/image/acceptance.h"
#include "core/image/app_descriptor.h"
#include "core/image/signature_check.h"
#include "files/file_io.h"
#include "host/gzip.h"
#include "host/image_report.h"

namespace otakit::server {
namespace {

constexpr size_t kMaxInflated = 16u << 20;  // the largest ESP8266 flash

IntakeResult refuse(std::string error) {
  IntakeResult r;
  r.error = std::move(error);
  return r;
}

// The signed payload's length, or an error when the fleet has keys and none verifies.
bool check_signature(const std::vector<uint8_t>& bytes, const FleetKeys& keys, uint32_t* payload_size,
                     std::string* error) {
  *payload_size = static_cast<uint32_t>(bytes.size());
  if (keys.empty()) return true;
  std::string reasons;
  for (const auto& key : keys.keys()) {
    const SignatureCheck c = check_signed_file(bytes.data(), static_cast<uint32_t>(bytes.size()), *key,
                                               SignatureFormat::current);
    if (c.ok()) {
      *payload_size = c.layout.payload_size;
      return true;
    }
    if (c.status == SignatureStatus::no_trailer) {
      *error = "the image is not signed, and this fleet only takes signed images: sign it with "
               "`otakit sign --privatekey KEY` (or signing.py) first";
      return false;
    }
    char reason[256];
    describe(c, SignatureFormat::current, reason, sizeof(reason));
    reasons = reason;
  }
  *error = fmt::format("no fleet key verifies the signature: {}", reasons);
  return false;
}

}  // namespace

FleetKeys::FleetKeys() = default;
FleetKeys::~FleetKeys() = default;
FleetKeys::FleetKeys(FleetKeys&&) noexcept = default;

void FleetKeys::add_file(const std::string& path) {
  const files::Bytes pem = files::read_file(path);
  auto key = std::make_unique<crypto::RsaPublicKey>();
  const crypto::KeyError e = key->load(pem.data(), pem.size());
  if (e != crypto::KeyError::ok) throw std::runtime_error(fmt::format("public key {}: {}", path, crypto::describe(e)));
  keys_.push_back(std::move(key));
}

std::string safe_file_name(const std::string& name) {
  const size_t slash = name.find_last_of("/\\");
  std::string base = slash == std::string::npos ? name : name.substr(slash + 1);
  std::string out;
  for (char c : base)
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')
      out += c;
  while (!out.empty() && out.front() == '.') out.erase(out.begin());
  if (out.size() > 100) out.resize(100);
  return out;
}

IntakeResult inspect_upload(const std::vector<uint8_t>& bytes, const IntakeRequest& request, const FleetKeys& keys) {
  if (bytes.empty()) return refuse("the upload is empty: send the firmware file as the request body");
  if (bytes.size() > kMaxInflated) return refuse("the upload is larger than 16 MiB, the largest ESP8266 flash");
  uint32_t payload_size = 0;
  std::string error;
  if (!check_signature(bytes, keys, &payload_size, &error)) return refuse(error);

  Firmware f;
  f.kind = request.kind;
  f.size = bytes.size();
  f.md5 = host::md5_hex(bytes.data(), bytes.size());
  f.sha256 = host::sha256_hex(bytes.data(), bytes.size());
  f.is_signed = !keys.empty();
  f.name = safe_file_name(request.name);
  if (f.name.empty()) f.name = f.sha256.substr(0, 16) + ".bin";

  if (request.kind == ImageKind::sketch) {
    BufferReader payload(bytes.data(), payload_size);
    ImageAcceptance a = check_image(payload, ImageRules());
    std::vector<uint8_t> inflated;
    const uint8_t* image = bytes.data();
    uint32_t image_size = payload_size;
    if (a.verdict == ImageVerdict::needs_inflation) {
      try {
        inflated = host::gzip_decompress(std::vector<uint8_t>(bytes.begin(), bytes.begin() + payload_size), kMaxInflated);
      } catch (const std::exception& e) {
        return refuse(fmt::format("the gzip image does not inflate: {}", e.what()));
      }
      BufferReader reader(inflated.data(), static_cast<uint32_t>(inflated.size()));
      a = check_inflated_image(reader, ImageRules());
      image = inflated.data();
      image_size = static_cast<uint32_t>(inflated.size());
    }
    if (!a.ok()) return refuse(fmt::format("not an ESP8266 firmware image: {} ({})", a.detail, describe(a.verdict)));
    f.flash_size = a.declared_flash_size;
    f.running_md5 = host::md5_hex(image, a.image_end);
    f.security_version = a.security_version;
    AppDescriptor descriptor;
    if (find_app_descriptor(image, image_size, &descriptor)) {
      f.version = descriptor.version;
      f.project = descriptor.project;
    }
  }
  if (!request.version.empty()) f.version = request.version;
  IntakeResult r;
  r.ok = true;
  r.firmware = std::move(f);
  return r;
}

}  // namespace otakit::server
