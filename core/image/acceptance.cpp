#include "core/image/acceptance.h"

#include "core/image/app_descriptor.h"
#include "core/image/signed_trailer.h"
#include "core/util/bytes.h"
#include "core/util/text.h"

namespace otakit {
namespace {

ImageAcceptance reject(ImageAcceptance a, ImageVerdict verdict) {
  a.verdict = verdict;
  return a;
}

bool padded_like_eboot(ByteReader& image, uint32_t end) {
  if (end >= kAppOffset || image.size() <= kAppOffset) return false;
  uint8_t chunk[64];
  for (uint32_t at = end; at < kAppOffset;) {
    uint32_t n = kAppOffset - at < sizeof(chunk) ? kAppOffset - at : uint32_t(sizeof(chunk));
    if (!image.read(at, chunk, n)) return false;
    for (uint32_t i = 0; i < n; ++i)
      if (chunk[i] != kEbootPaddingByte) return false;
    at += n;
  }
  return true;
}

ImageAcceptance check(ByteReader& image, const ImageRules& rules, bool allow_gzip) {
  ImageAcceptance a;
  TextBuilder why(a.detail, sizeof(a.detail));
  EspFile file;
  a.diagnosis = parse_esp_file(image, &file);
  a.kind = file.kind;
  if (!a.diagnosis.ok()) {
    describe(a.diagnosis, a.detail, sizeof(a.detail));
    return reject(a, ImageVerdict::malformed);
  }
  if (file.kind == EspFileKind::gzip) {
    if (!allow_gzip) {
      why.add("the gzip image holds another gzip stream, which no boot loader inflates");
      return reject(a, ImageVerdict::gzip_nested);
    }
    a.inflated_size = file.gzip.isize;
    if (a.inflated_size == 0) {
      why.add("the gzip trailer declares an empty image");
      return reject(a, ImageVerdict::malformed);
    }
    if (rules.max_size != 0 && a.inflated_size > rules.max_size) {
      why.add("the gzip image inflates to ").add_u32(a.inflated_size).add(" bytes; at most ")
          .add_u32(rules.max_size).add(" fit");
      return reject(a, ImageVerdict::too_large);
    }
    a.verdict = ImageVerdict::needs_inflation;
    return a;
  }
  // An image at 0 padded with 0xAA up to 0x1000, as elf2bin pads eboot, is a boot loader whose
  // application is missing: booting it would start eboot with nothing to load.
  uint8_t at_app = 0;
  if (file.kind == EspFileKind::app_only && padded_like_eboot(image, file.app.end) &&
      image.read(kAppOffset, &at_app, 1)) {
    a.diagnosis.error = ImageError::bad_magic;
    a.diagnosis.image_offset = a.diagnosis.offset = kAppOffset;
    a.diagnosis.expected = kEspImageMagic;
    a.diagnosis.actual = at_app;
    describe(a.diagnosis, a.detail, sizeof(a.detail));
    return reject(a, ImageVerdict::malformed);
  }
  a.image_end = file.app.end;
  // The ROM reads the flash parameters from the first header, the SDK from the application's.
  const EspImageHeader* headers[2] = {file.has_boot ? &file.boot.header : &file.app.header, &file.app.header};
  for (const EspImageHeader* h : headers) {
    const char* where = h == headers[0] ? "0x0" : "0x1000";
    a.declared_flash_size = flash_size_from_code(h->size_code());
    if (a.declared_flash_size == 0) {
      why.add("the image header at offset ").add(where).add(" has the unknown flash-size code ").add_u32(h->size_code());
      return reject(a, ImageVerdict::malformed);
    }
    if (rules.chip_size != 0 && a.declared_flash_size > rules.chip_size) {
      why.add("real size: ").add_u32(rules.chip_size).add(", but the image header at offset ").add(where)
          .add(" declares ").add_u32(a.declared_flash_size).add(" bytes (size code ").add_u32(h->size_code()).add(")");
      return reject(a, ImageVerdict::flash_too_small);
    }
  }
  if (rules.max_size != 0 && image.size() > rules.max_size) {
    why.add("the image is ").add_u32(image.size()).add(" bytes; at most ").add_u32(rules.max_size).add(" fit");
    return reject(a, ImageVerdict::too_large);
  }
  AppDescriptor descriptor;
  if (find_app_descriptor(image, &descriptor)) a.security_version = descriptor.security_version;
  if (a.security_version < rules.min_security_version) {
    why.add("security version ").add_u32(a.security_version).add(" is below the device's floor: it requires at least ")
        .add_u32(rules.min_security_version);
    return reject(a, ImageVerdict::downgrade);
  }
  a.verdict = ImageVerdict::accepted;
  return a;
}

}  // namespace

const char* describe(ImageVerdict verdict) {
  switch (verdict) {
    case ImageVerdict::accepted: return "image accepted";
    case ImageVerdict::needs_inflation: return "gzip image: inflate, then check";
    case ImageVerdict::malformed: return "not a valid ESP8266 firmware image";
    case ImageVerdict::gzip_nested: return "gzip inside gzip";
    case ImageVerdict::flash_too_small: return "image is built for a larger flash chip";
    case ImageVerdict::too_large: return "image does not fit";
    case ImageVerdict::downgrade: return "image security version is too low";
  }
  return "unknown";
}

ImageAcceptance check_image(ByteReader& image, const ImageRules& rules) { return check(image, rules, true); }

ImageAcceptance check_inflated_image(ByteReader& image, const ImageRules& rules) {
  return check(image, rules, false);
}

SignedPayload check_signature(ByteReader& file, const crypto::SignatureVerifier& verifier, uint8_t* buffer,
                              uint32_t buffer_size) {
  SignedPayload out;
  TextBuilder why(out.detail, sizeof(out.detail));
  const uint32_t size = file.size();
  uint8_t field[4];
  if (size < 4 || !file.read(size - 4, field, 4)) {
    why.add("image is not signed for this key (").add(describe(TrailerError::too_short)).add(")");
    return out;
  }
  SignedLayout layout;
  TrailerError trailer = parse_signed_trailer(size, load_le32(field), verifier.signature_length(), &layout);
  if (trailer != TrailerError::ok) {
    why.add("image is not signed for this key (").add(describe(trailer)).add(")");
    return out;
  }
  if (layout.signature_length > buffer_size) {
    out.verdict = SignatureVerdict::unreadable;
    why.add("the signature is longer than this device's signature buffer (").add_u32(buffer_size).add(" bytes)");
    return out;
  }
  crypto::Sha256 sha;
  for (uint32_t at = 0; at < layout.payload_size;) {
    uint32_t n = layout.payload_size - at < buffer_size ? layout.payload_size - at : buffer_size;
    if (!file.read(at, buffer, n)) {
      out.verdict = SignatureVerdict::unreadable;
      why.add("the signed image could not be read back");
      return out;
    }
    sha.update(buffer, n);
    at += n;
  }
  sha.finish(out.payload_sha256);
  if (!file.read(layout.signature_offset, buffer, layout.signature_length)) {
    out.verdict = SignatureVerdict::unreadable;
    why.add("the signature could not be read back");
    return out;
  }
  if (!verifier.verify(out.payload_sha256, buffer, layout.signature_length)) {
    out.verdict = SignatureVerdict::mismatch;
    why.add("signature does not match the image and key");
    return out;
  }
  out.verdict = SignatureVerdict::valid;
  out.payload_size = layout.payload_size;
  return out;
}

}  // namespace otakit
