#include "core/image/esp_image.h"

#include "core/util/bytes.h"
#include "core/util/crc32_mpeg2.h"
#include "core/util/text.h"

namespace otakit {
namespace {

constexpr uint8_t kGzipId1 = 0x1f, kGzipId2 = 0x8b, kGzipDeflate = 8;
constexpr uint8_t kGzipReservedFlags = 0xE0;

void add_hex(TextBuilder& t, uint32_t value) {
  char digits[8];
  size_t n = 0;
  do {
    digits[n++] = "0123456789abcdef"[value & 0xF];
    value >>= 4;
  } while (value != 0);
  t.add("0x");
  while (n > 0) t.add_char(digits[--n]);
}

ImageDiagnosis problem(ImageError error, uint32_t image_offset, uint32_t offset,
                       uint32_t expected = 0, uint32_t actual = 0, uint32_t segment = 0) {
  ImageDiagnosis d;
  d.error = error;
  d.image_offset = image_offset;
  d.offset = offset;
  d.expected = expected;
  d.actual = actual;
  d.segment = segment;
  return d;
}

uint8_t xor_bytes(uint8_t sum, const uint8_t* p, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) sum ^= p[i];
  return sum;
}

// elf2bin sums the app's segments while the stamp words are still zero, then stamps them; XOR
// is its own inverse, so removing the stamp bytes' contribution gives the sum it stored.
bool matches_before_stamp(ByteReader& in, const EspImage& image) {
  if (image.offset != kAppOffset) return false;
  for (uint32_t i = 0; i < image.segments_parsed; ++i) {
    const EspSegment& s = image.segments[i];
    if (s.data_offset <= kCrcLengthOffset && kCrcStampEnd <= s.data_offset + s.size) {
      uint8_t words[kCrcStampEnd - kCrcLengthOffset];
      if (!in.read(kCrcLengthOffset, words, sizeof(words))) return false;
      return uint8_t(image.checksum_computed ^ xor_bytes(0, words, sizeof(words))) == image.checksum_stored;
    }
  }
  return false;
}

bool xor_region(ByteReader& in, uint32_t offset, uint32_t len, uint8_t* sum) {
  uint8_t chunk[256];
  while (len > 0) {
    uint32_t n = len < sizeof(chunk) ? len : uint32_t(sizeof(chunk));
    if (!in.read(offset, chunk, n)) return false;
    *sum = xor_bytes(*sum, chunk, n);
    offset += n;
    len -= n;
  }
  return true;
}

ImageDiagnosis walk_segments(ByteReader& in, EspImage* out) {
  const uint32_t size = in.size();
  uint32_t pos = out->offset + kEspImageHeaderSize;
  uint8_t sum = kEspChecksumSeed;
  for (uint32_t i = 0; i < out->header.segment_count; ++i) {
    if (size - pos < kEspSegmentHeaderSize)
      return problem(ImageError::segment_header_truncated, out->offset, pos, kEspSegmentHeaderSize,
                     size - pos, i);
    uint8_t h[kEspSegmentHeaderSize];
    if (!in.read(pos, h, sizeof(h))) return problem(ImageError::unreadable, out->offset, pos);
    EspSegment& seg = out->segments[i];
    seg.header_offset = pos;
    seg.load_address = load_le32(h);
    seg.size = load_le32(h + 4);
    seg.data_offset = pos + kEspSegmentHeaderSize;
    uint32_t left = size - seg.data_offset;
    if (seg.size > left)
      return problem(ImageError::segment_data_truncated, out->offset, pos, seg.size, left, i);
    if (!xor_region(in, seg.data_offset, seg.size, &sum))
      return problem(ImageError::unreadable, out->offset, seg.data_offset);
    pos = seg.data_offset + seg.size;
    out->segments_parsed = i + 1;
  }
  out->checksum_computed = sum;
  // The checksum is the last byte of the first 16-byte boundary strictly after the segments.
  uint64_t end = (uint64_t(pos) + 16) & ~uint64_t(15);
  if (end > size)
    return problem(ImageError::checksum_truncated, out->offset, uint32_t(end - 1), 0, 0);
  out->end = uint32_t(end);
  out->checksum_offset = out->end - 1;
  return ImageDiagnosis();
}

}  // namespace

FlashMode decode_flash_mode(uint8_t byte) {
  return byte <= 3 ? static_cast<FlashMode>(byte) : FlashMode::unknown;
}

const char* flash_mode_name(FlashMode mode) {
  switch (mode) {
    case FlashMode::qio: return "QIO";
    case FlashMode::qout: return "QOUT";
    case FlashMode::dio: return "DIO";
    case FlashMode::dout: return "DOUT";
    case FlashMode::unknown: break;
  }
  return "unknown";
}

uint32_t flash_size_from_code(uint8_t size_code) {
  switch (size_code) {
    case 0: return 512u * 1024;
    case 1: return 256u * 1024;
    case 2: return 1u << 20;
    case 3: return 2u << 20;
    case 4: return 4u << 20;
    case 8: return 8u << 20;
    case 9: return 16u << 20;
  }
  return 0;
}

uint32_t flash_freq_mhz_from_code(uint8_t freq_code) {
  switch (freq_code) {
    case 0: return 40;
    case 1: return 26;
    case 2: return 20;
    case 15: return 80;
  }
  return 0;
}

EspImageHeader decode_esp_image_header(const uint8_t* p) {
  EspImageHeader h;
  h.magic = p[0];
  h.segment_count = p[1];
  h.flash_mode = p[2];
  h.size_freq = p[3];
  h.entry = load_le32(p + 4);
  return h;
}

const char* describe(ImageError error) {
  switch (error) {
    case ImageError::ok: return "ok";
    case ImageError::empty: return "the file is empty";
    case ImageError::header_truncated: return "the image header is cut off";
    case ImageError::bad_magic: return "the image does not start with the magic byte 0xE9";
    case ImageError::no_segments: return "the image header declares no segments";
    case ImageError::too_many_segments: return "the image header declares more than 16 segments";
    case ImageError::segment_header_truncated: return "a segment header is cut off";
    case ImageError::segment_data_truncated:
      return "a segment declares more data than the file holds";
    case ImageError::checksum_truncated: return "the checksum byte lies past the end of the file";
    case ImageError::checksum_mismatch: return "the image checksum does not match its segments";
    case ImageError::boot_overlaps_app: return "the boot image runs into the application at 0x1000";
    case ImageError::gzip_truncated: return "the gzip file is shorter than its header and trailer";
    case ImageError::gzip_bad_header:
      return "the gzip header is not a deflate stream ESP8266 boots";
    case ImageError::unreadable: return "the image could not be read from storage";
  }
  return "unknown image error";
}

const char* describe(const ImageDiagnosis& d, char* out, size_t cap) {
  TextBuilder t(out, cap);
  switch (d.error) {
    case ImageError::ok:
    case ImageError::empty: t.add(describe(d.error)); break;
    case ImageError::header_truncated:
      t.add("image header at offset ");
      add_hex(t, d.offset);
      t.add(" is cut off: 8 bytes needed, ").add_u32(d.actual).add(" present");
      break;
    case ImageError::bad_magic:
      t.add("byte at offset ");
      add_hex(t, d.offset);
      t.add(" is ");
      add_hex(t, d.actual);
      t.add(", not the image magic 0xe9");
      break;
    case ImageError::no_segments:
    case ImageError::too_many_segments:
      t.add("image header at offset ");
      add_hex(t, d.offset);
      t.add(" declares ").add_u32(d.actual).add(" segments (1 to 16 are allowed)");
      break;
    case ImageError::segment_header_truncated:
      t.add("segment ").add_u32(d.segment).add(" header at offset ");
      add_hex(t, d.offset);
      t.add(" is cut off: 8 bytes needed, ").add_u32(d.actual).add(" left in the file");
      break;
    case ImageError::segment_data_truncated:
      t.add("segment ").add_u32(d.segment).add(" at offset ");
      add_hex(t, d.offset);
      t.add(" declares ").add_u32(d.expected).add(" bytes of data but only ").add_u32(d.actual);
      t.add(" remain in the file");
      break;
    case ImageError::checksum_truncated:
      t.add("checksum byte of the image at offset ");
      add_hex(t, d.image_offset);
      t.add(" belongs at offset ");
      add_hex(t, d.offset);
      t.add(", past the end of the file");
      break;
    case ImageError::checksum_mismatch:
      t.add("checksum byte at offset ");
      add_hex(t, d.offset);
      t.add(" is ");
      add_hex(t, d.actual);
      t.add(" but the segments sum to ");
      add_hex(t, d.expected);
      break;
    case ImageError::boot_overlaps_app:
      t.add("boot image at offset 0x0 ends at ");
      add_hex(t, d.offset);
      t.add(", past the application image at 0x1000");
      break;
    case ImageError::unreadable:
      t.add("reading the image at offset ");
      add_hex(t, d.offset);
      t.add(" failed");
      break;
    case ImageError::gzip_truncated:
      t.add("gzip file is ").add_u32(d.actual).add(" bytes long; at least 18 are needed");
      break;
    case ImageError::gzip_bad_header:
      t.add("gzip header at offset 0x2 has method ");
      add_hex(t, d.actual & 0xFF);
      t.add(" and flags ");
      add_hex(t, d.actual >> 8);
      t.add(": eboot inflates only method 0x8 (deflate) without reserved flags");
      break;
  }
  return out;
}

ImageDiagnosis parse_esp_image(ByteReader& in, uint32_t offset, EspImage* out) {
  *out = EspImage();
  out->offset = offset;
  const uint32_t size = in.size();
  if (size == 0) return problem(ImageError::empty, offset, 0);
  if (offset > size || size - offset < kEspImageHeaderSize)
    return problem(ImageError::header_truncated, offset, offset, kEspImageHeaderSize,
                   offset > size ? 0 : size - offset);
  uint8_t head[kEspImageHeaderSize];
  if (!in.read(offset, head, sizeof(head))) return problem(ImageError::unreadable, offset, offset);
  out->header = decode_esp_image_header(head);
  const EspImageHeader& h = out->header;
  if (h.magic != kEspImageMagic)
    return problem(ImageError::bad_magic, offset, offset, kEspImageMagic, h.magic);
  if (h.segment_count == 0) return problem(ImageError::no_segments, offset, offset, 0, 0);
  if (h.segment_count > kEspMaxSegments)
    return problem(ImageError::too_many_segments, offset, offset, kEspMaxSegments, h.segment_count);

  ImageDiagnosis d = walk_segments(in, out);
  if (!d.ok()) return d;
  if (!in.read(out->checksum_offset, &out->checksum_stored, 1))
    return problem(ImageError::unreadable, offset, out->checksum_offset);
  if (out->checksum_stored == out->checksum_computed) {
    out->checksum = ChecksumState::valid;
  } else if (matches_before_stamp(in, *out)) {
    out->checksum = ChecksumState::valid_before_crc_stamp;
  } else {
    out->checksum = ChecksumState::mismatch;
    return problem(ImageError::checksum_mismatch, offset, out->checksum_offset,
                   out->checksum_computed, out->checksum_stored);
  }
  return d;
}

ImageDiagnosis parse_esp_image(const uint8_t* data, uint32_t size, uint32_t offset, EspImage* out) {
  BufferReader in(data, size);
  return parse_esp_image(in, offset, out);
}

uint32_t locate_app_image(ByteReader& in) {
  uint8_t first = 0, at_app = 0;
  bool two_images = in.size() >= kAppOffset + kEspImageHeaderSize && in.read(0, &first, 1) &&
                    in.read(kAppOffset, &at_app, 1) && first == kEspImageMagic && at_app == kEspImageMagic;
  return two_images ? kAppOffset : 0;
}

uint32_t locate_app_image(const uint8_t* data, uint32_t size) {
  BufferReader in(data, size);
  return locate_app_image(in);
}

CrcStamp check_crc_stamp(const uint8_t* data, uint32_t size) {
  CrcStamp stamp;
  if (size < kCrcStampEnd || locate_app_image(data, size) != kAppOffset) return stamp;
  stamp.stored_length = load_le32(data + kCrcLengthOffset);
  stamp.stored_crc = load_le32(data + kCrcValueOffset);
  if (stamp.stored_length < kCrcStampEnd || stamp.stored_length > size) return stamp;
  static const uint8_t kZeroWords[8] = {};
  uint32_t crc = crc32_mpeg2_update(kCrc32Mpeg2Init, data, kCrcLengthOffset);
  crc = crc32_mpeg2_update(crc, kZeroWords, sizeof(kZeroWords));
  crc = crc32_mpeg2_update(crc, data + kCrcStampEnd, stamp.stored_length - kCrcStampEnd);
  stamp.computed_crc = crc;
  stamp.state = crc == stamp.stored_crc ? CrcStampState::valid : CrcStampState::invalid;
  return stamp;
}

GzipInfo inspect_gzip(ByteReader& in) {
  GzipInfo info;
  const uint32_t size = in.size();
  uint8_t head[4] = {}, tail[4] = {};
  info.is_gzip = size >= 2 && in.read(0, head, 2) && head[0] == kGzipId1 && head[1] == kGzipId2;
  if (!info.is_gzip || size < kGzipMinimumSize || !in.read(0, head, 4) || !in.read(size - 4, tail, 4)) return info;
  info.header_ok = head[2] == kGzipDeflate && (head[3] & kGzipReservedFlags) == 0;
  info.method_and_flags = uint32_t(head[2] | head[3] << 8);
  info.isize = load_le32(tail);
  return info;
}

GzipInfo inspect_gzip(const uint8_t* data, uint32_t size) {
  BufferReader in(data, size);
  return inspect_gzip(in);
}

const char* describe(EspFileKind kind) {
  switch (kind) {
    case EspFileKind::flash_image: return "flash image (eboot at 0x0, application at 0x1000)";
    case EspFileKind::app_only: return "application image";
    case EspFileKind::gzip: return "gzip-compressed image";
  }
  return "unknown";
}

ImageDiagnosis parse_esp_file(ByteReader& in, EspFile* out) {
  *out = EspFile();
  const uint32_t size = in.size();
  if (size == 0) return problem(ImageError::empty, 0, 0);
  out->gzip = inspect_gzip(in);
  if (out->gzip.is_gzip) {
    out->kind = EspFileKind::gzip;
    if (size < kGzipMinimumSize)
      return problem(ImageError::gzip_truncated, 0, 0, kGzipMinimumSize, size);
    if (!out->gzip.header_ok)
      return problem(ImageError::gzip_bad_header, 0, 2, kGzipDeflate, out->gzip.method_and_flags);
    return ImageDiagnosis();
  }
  uint32_t app_offset = locate_app_image(in);
  if (app_offset == kAppOffset) {
    out->kind = EspFileKind::flash_image;
    out->has_boot = true;
    ImageDiagnosis boot = parse_esp_image(in, 0, &out->boot);
    if (!boot.ok()) return boot;
    if (out->boot.end > kAppOffset)
      return problem(ImageError::boot_overlaps_app, 0, out->boot.end, kAppOffset, out->boot.end);
  }
  ImageDiagnosis app = parse_esp_image(in, app_offset, &out->app);
  if (app.ok()) out->trailing_bytes = size - out->app.end;
  return app;
}

ImageDiagnosis parse_esp_file(const uint8_t* data, uint32_t size, EspFile* out) {
  BufferReader in(data, size);
  ImageDiagnosis d = parse_esp_file(in, out);
  bool boot_ok = out->has_boot && out->boot.checksum != ChecksumState::mismatch && out->boot.end <= kAppOffset;
  if (boot_ok) out->crc_stamp = check_crc_stamp(data, size);
  return d;
}

}  // namespace otakit
