#include "host/image_report.h"

#include <fmt/format.h>

#include <memory>

#include "core/crypto/digest.h"
#include "core/image/app_descriptor.h"
#include "core/image/esp_image.h"
#include "core/image/signed_trailer.h"
#include "core/util/bytes.h"
#include "core/util/hex.h"
#include "host/gzip.h"

namespace otakit::host {
namespace {

using nlohmann::json;

std::string hex32(uint32_t v) { return fmt::format("0x{:x}", v); }

// A trailer is only assumed when its length field is an RSA signature size (1024-4096 bits);
// a genuine ESP image ends in its checksum byte and never looks like one.
json trailer_json(const Bytes& file, SignedLayout* layout) {
  if (file.size() < kTrailerLengthField) return {{"present", false}};
  uint32_t field = load_le32(file.data() + file.size() - kTrailerLengthField);
  bool rsa_size = field >= 128 && field <= kMaxSignatureLength && field % 8 == 0;
  if (!rsa_size ||
      parse_signed_trailer(uint32_t(file.size()), field, 0, layout) != TrailerError::ok)
    return {{"present", false}, {"last_word", field}};
  const uint8_t* payload = file.data();
  return {{"present", true},
          {"signature_length", layout->signature_length},
          {"key_bits", layout->signature_length * 8},
          {"payload_size", layout->payload_size},
          {"payload_md5", md5_hex(payload, layout->payload_size)},
          {"payload_sha256", sha256_hex(payload, layout->payload_size)}};
}

json header_json(const EspImageHeader& h) {
  return {{"magic", hex32(h.magic)},
          {"segment_count", h.segment_count},
          {"flash_mode", flash_mode_name(decode_flash_mode(h.flash_mode))},
          {"flash_mode_byte", h.flash_mode},
          {"flash_size", flash_size_from_code(h.size_code())},
          {"flash_size_code", h.size_code()},
          {"flash_freq_mhz", flash_freq_mhz_from_code(h.freq_code())},
          {"flash_freq_code", h.freq_code()},
          {"entry", hex32(h.entry)}};
}

const char* checksum_name(ChecksumState state) {
  switch (state) {
    case ChecksumState::valid: return "valid";
    case ChecksumState::valid_before_crc_stamp: return "valid before CRC stamp";
    case ChecksumState::mismatch: break;
  }
  return "mismatch";
}

json image_json(const EspImage& image, bool complete) {
  json segments = json::array();
  for (uint32_t i = 0; i < image.segments_parsed; ++i) {
    const EspSegment& s = image.segments[i];
    segments.push_back({{"index", i},
                        {"load_address", hex32(s.load_address)},
                        {"size", s.size},
                        {"file_offset", hex32(s.header_offset)}});
  }
  json j = {{"offset", hex32(image.offset)},
            {"header", header_json(image.header)},
            {"segments", segments}};
  if (complete) {
    j["checksum"] = {{"offset", hex32(image.checksum_offset)},
                     {"stored", hex32(image.checksum_stored)},
                     {"computed", hex32(image.checksum_computed)},
                     {"state", checksum_name(image.checksum)}};
    j["end"] = image.end;
  }
  return j;
}

json crc_json(const CrcStamp& stamp) {
  const char* state = stamp.state == CrcStampState::valid     ? "valid"
                      : stamp.state == CrcStampState::invalid ? "invalid"
                                                              : "absent";
  json j = {{"state", state}};
  if (stamp.state != CrcStampState::absent)
    j.update({{"length", stamp.stored_length},
              {"stored", hex32(stamp.stored_crc)},
              {"computed", hex32(stamp.computed_crc)}});
  return j;
}

json descriptor_json(const uint8_t* data, uint32_t size) {
  AppDescriptor d;
  DescriptorStatus status;
  if (!find_app_descriptor(data, size, &d, &status))
    return {{"present", false}, {"reason", describe(status)}};
  return {{"present", true},
          {"offset", hex32(d.file_offset)},
          {"version", d.version},
          {"project", d.project},
          {"security_version", d.security_version}};
}

json structure_json(const uint8_t* data, uint32_t size, int depth);

json gzip_json(const EspFile& file, const uint8_t* data, uint32_t size, int depth) {
  json j = {{"isize", file.gzip.isize}, {"header_ok", file.gzip.header_ok}};
  if (!file.gzip.header_ok || depth > 0) return j;
  try {
    Bytes inner = gzip_decompress(Bytes(data, data + size), kMaxInflatedImage);
    j["inflated_size"] = inner.size();
    j["isize_matches"] = uint32_t(inner.size()) == file.gzip.isize;
    j["inner"] = structure_json(inner.data(), uint32_t(inner.size()), depth + 1);
  } catch (const std::exception& e) {
    j["inflate_error"] = e.what();
  }
  return j;
}

json structure_json(const uint8_t* data, uint32_t size, int depth) {
  auto parsed = std::make_unique<EspFile>();  // ~600 bytes, and this recurses into gzip once
  const EspFile& file = *parsed;
  ImageDiagnosis d = parse_esp_file(data, size, parsed.get());
  char why[200];
  json j = {{"kind", describe(file.kind)}, {"valid", d.ok()}};
  if (!d.ok()) j["problem"] = describe(d, why, sizeof(why));
  if (file.kind == EspFileKind::gzip) {
    json gz = gzip_json(file, data, size, depth);
    if (gz.contains("inner") && !gz["inner"]["valid"].get<bool>()) j["valid"] = false;
    if (gz.contains("inflate_error")) j["valid"] = false;
    j["gzip"] = gz;
    return j;
  }
  bool boot_complete = file.has_boot && (d.ok() || d.image_offset != 0);
  if (file.has_boot) j["boot"] = image_json(file.boot, boot_complete);
  if (!file.has_boot || boot_complete) j["app"] = image_json(file.app, d.ok());
  if (d.ok()) {
    j["sketch_size"] = file.app.end;
    j["trailing_bytes"] = file.trailing_bytes;
  }
  j["crc_stamp"] = crc_json(file.crc_stamp);
  j["descriptor"] = descriptor_json(data, size);
  return j;
}

void render_structure(std::string& out, const json& s, const std::string& indent);

void render_image(std::string& out, const char* name, const json& image, const std::string& in) {
  const json& h = image["header"];
  out += fmt::format("{}{} image at {}: {} segment(s), flash {} {} KiB {} MHz, entry {}\n", in,
                     name, image["offset"].get<std::string>(), h["segment_count"].get<int>(),
                     h["flash_mode"].get<std::string>(), h["flash_size"].get<uint32_t>() / 1024,
                     h["flash_freq_mhz"].get<uint32_t>(), h["entry"].get<std::string>());
  for (const json& seg : image["segments"])
    out += fmt::format("{}  segment {}: load {} size {} (header at {})\n", in,
                       seg["index"].get<int>(), seg["load_address"].get<std::string>(),
                       seg["size"].get<uint32_t>(), seg["file_offset"].get<std::string>());
  if (image.contains("checksum"))
    out += fmt::format("{}  checksum at {}: stored {} computed {} ({})\n", in,
                       image["checksum"]["offset"].get<std::string>(),
                       image["checksum"]["stored"].get<std::string>(),
                       image["checksum"]["computed"].get<std::string>(),
                       image["checksum"]["state"].get<std::string>());
}

void render_structure(std::string& out, const json& s, const std::string& in) {
  out += fmt::format("{}kind:       {}\n", in, s["kind"].get<std::string>());
  out += fmt::format("{}structure:  {}\n", in, s["valid"].get<bool>() ? "valid" : "INVALID");
  if (s.contains("problem"))
    out += fmt::format("{}problem:    {}\n", in, s["problem"].get<std::string>());
  if (s.contains("gzip")) {
    const json& gz = s["gzip"];
    out += fmt::format("{}gzip:       ISIZE {} (eboot trusts this as the inflated size)\n", in,
                       gz["isize"].get<uint32_t>());
    if (gz.contains("inflate_error"))
      out += fmt::format("{}  cannot inflate: {}\n", in, gz["inflate_error"].get<std::string>());
    if (gz.contains("inner")) {
      out += fmt::format("{}  inflated to {} bytes{}\n", in, gz["inflated_size"].get<size_t>(),
                         gz["isize_matches"].get<bool>() ? "" : " (ISIZE DIFFERS)");
      render_structure(out, gz["inner"], in + "  ");
    }
    return;
  }
  if (s.contains("boot")) render_image(out, "boot", s["boot"], in);
  if (s.contains("app")) render_image(out, "app", s["app"], in);
  if (s.contains("sketch_size"))
    out += fmt::format("{}sketch size: {} bytes, {} trailing byte(s)\n", in,
                       s["sketch_size"].get<uint32_t>(), s["trailing_bytes"].get<uint32_t>());
  const json& crc = s["crc_stamp"];
  out += fmt::format("{}CRC stamp:  {}", in, crc["state"].get<std::string>());
  if (crc.contains("length"))
    out += fmt::format(" (length {}, stored {}, computed {})", crc["length"].get<uint32_t>(),
                       crc["stored"].get<std::string>(), crc["computed"].get<std::string>());
  out += "\n";
  const json& d = s["descriptor"];
  if (d["present"].get<bool>())
    out +=
        fmt::format("{}descriptor: version \"{}\", project \"{}\", security version {} (at {})\n",
                    in, d["version"].get<std::string>(), d["project"].get<std::string>(),
                    d["security_version"].get<uint32_t>(), d["offset"].get<std::string>());
  else
    out += fmt::format("{}descriptor: none ({})\n", in, d["reason"].get<std::string>());
}

}  // namespace

std::string md5_hex(const uint8_t* data, size_t len) {
  char hex[crypto::kMd5HexSize];
  crypto::md5_hex(data, len, hex);
  return hex;
}

std::string sha256_hex(const uint8_t* data, size_t len) {
  crypto::Sha256 sha;
  sha.update(data, len);
  uint8_t digest[crypto::kSha256Size];
  sha.finish(digest);
  char hex[2 * crypto::kSha256Size + 1];
  to_hex(digest, sizeof(digest), hex);
  return hex;
}

json inspect_firmware(const Bytes& file) {
  SignedLayout layout;
  json trailer = trailer_json(file, &layout);
  uint32_t image_size =
      trailer["present"].get<bool>() ? layout.payload_size : uint32_t(file.size());
  json image = structure_json(file.data(), image_size, 0);
  return {{"size", file.size()},
          {"md5", md5_hex(file.data(), file.size())},
          {"sha256", sha256_hex(file.data(), file.size())},
          {"trailer", trailer},
          {"image", image},
          {"valid", image["valid"]}};
}

std::string render_inspection(const json& r) {
  std::string out;
  out += fmt::format("size:       {} bytes\n", r["size"].get<size_t>());
  out += fmt::format("md5:        {}\n", r["md5"].get<std::string>());
  out += fmt::format("sha256:     {}\n", r["sha256"].get<std::string>());
  const json& t = r["trailer"];
  if (t["present"].get<bool>())
    out += fmt::format(
        "trailer:    {}-byte signature (RSA-{}) over the first {} bytes; verify with "
        "`otakit verify`\n  payload md5 {}\n  payload sha256 {}\n",
        t["signature_length"].get<uint32_t>(), t["key_bits"].get<uint32_t>(),
        t["payload_size"].get<uint32_t>(), t["payload_md5"].get<std::string>(),
        t["payload_sha256"].get<std::string>());
  else
    out += "trailer:    none (unsigned)\n";
  render_structure(out, r["image"], "");
  return out;
}

}  // namespace otakit::host
