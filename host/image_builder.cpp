#include "host/image_builder.h"

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "core/image/app_descriptor.h"
#include "core/image/esp_image.h"
#include "core/util/bytes.h"
#include "core/util/crc32_mpeg2.h"

namespace otakit::host {
namespace {

constexpr uint32_t kAppSegments = 4;
constexpr uint32_t kStampAndDescriptor = 8 + kAppDescriptorSize;
constexpr uint32_t kChecksumTail = 4;       // 3 zero padding bytes + checksum: the app ends aligned
constexpr uint64_t kEbootSeed = 0xEB00700;  // every image shares one boot stub, as real builds do

// splitmix64: small, fast and the same everywhere, so images are reproducible across machines.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  void fill(uint8_t* p, size_t n) {
    for (size_t i = 0; i < n; ++i) p[i] = uint8_t(next() >> 56);
  }

 private:
  uint64_t state_;
};

struct Segment {
  uint32_t address;
  std::vector<uint8_t> data;
};

uint32_t align4(uint64_t x) { return uint32_t(x & ~uint64_t(3)); }

// Appends one image (header, segments, zero padding, XOR checksum) in elf2bin's format.
void append_image(Bytes& out, const ImageSpec& spec, uint32_t entry,
                  const std::vector<Segment>& segments) {
  uint8_t header[kEspImageHeaderSize] = {kEspImageMagic, uint8_t(segments.size()), spec.flash_mode,
                                         uint8_t(spec.size_code << 4 | spec.freq_code)};
  store_le32(header + 4, entry);
  out.insert(out.end(), header, header + sizeof(header));
  uint8_t checksum = kEspChecksumSeed;
  for (const Segment& s : segments) {
    uint8_t seg_header[kEspSegmentHeaderSize];
    store_le32(seg_header, s.address);
    store_le32(seg_header + 4, uint32_t(s.data.size()));
    out.insert(out.end(), seg_header, seg_header + sizeof(seg_header));
    out.insert(out.end(), s.data.begin(), s.data.end());
    for (uint8_t b : s.data) checksum ^= b;
  }
  while ((out.size() + 1) % 16 != 0) out.push_back(0);
  out.push_back(checksum);
}

Bytes boot_stub(const ImageSpec& spec) {
  Random random(kEbootSeed);
  std::vector<Segment> segments = {{0x4010F000, std::vector<uint8_t>(1536)},
                                   {0x3FFFC000, std::vector<uint8_t>(64)}};
  for (Segment& s : segments) random.fill(s.data.data(), s.data.size());
  Bytes out;
  append_image(out, spec, 0x4010F000, segments);
  out.resize(kAppOffset, kEbootPaddingByte);
  return out;
}

std::vector<uint8_t> first_segment(const ImageSpec& spec, uint32_t size, Random& random) {
  std::vector<uint8_t> data(size);
  random.fill(data.data(), size);
  std::fill(data.begin(), data.begin() + 8, 0);  // __crc_len, __crc_val: zero until stamped
  if (spec.with_descriptor) {
    AppDescriptor d;
    d.security_version = spec.security_version;
    if (spec.version.empty() || spec.version.size() >= sizeof(d.version) ||
        spec.project.size() >= sizeof(d.project))
      throw std::invalid_argument("version must be 1-31 characters and project at most 31");
    spec.version.copy(d.version, spec.version.size());
    spec.project.copy(d.project, spec.project.size());
    if (!encode_app_descriptor(d, data.data() + 8))
      throw std::invalid_argument("version and project must be printable ASCII");
  }
  return data;
}

uint32_t share(uint32_t payload, uint32_t percent, uint32_t cap) {
  uint32_t n = align4(uint64_t(payload) * percent / 100);
  return n < 4 ? 4 : n > cap ? cap : n;
}

// Splits the segment payload like a sketch: IRAM code, initialised data and read-only data are
// capped at what fits the chip's RAM (32 KiB IRAM, 80 KiB DRAM); the rest is flash-mapped code.
std::vector<Segment> app_segments(const ImageSpec& spec, uint32_t payload, Random& random) {
  uint32_t text = share(payload, 15 + uint32_t(random.next() % 10), 0x7000);
  uint32_t data = share(payload, 3 + uint32_t(random.next() % 3), 0x1000);
  uint32_t rodata = share(payload, 5 + uint32_t(random.next() % 5), 0x4000);
  if (payload < text + data + rodata + kStampAndDescriptor) text = data = rodata = 4;
  uint32_t irom = payload - text - data - rodata;
  std::vector<Segment> segments = {{0x40201010, first_segment(spec, irom, random)},
                                   {0x40100000, std::vector<uint8_t>(text)},
                                   {0x3FFE8000, std::vector<uint8_t>(data)},
                                   {0x3FFE8000 + data, std::vector<uint8_t>(rodata)}};
  for (size_t i = 1; i < segments.size(); ++i)
    random.fill(segments[i].data.data(), segments[i].data.size());
  return segments;
}

void stamp_crc(Bytes& file) {
  uint32_t crc = crc32_mpeg2(file.data(), file.size());  // stamp words are still zero
  store_le32(file.data() + kCrcLengthOffset, uint32_t(file.size()));
  store_le32(file.data() + kCrcValueOffset, crc);
}

}  // namespace

uint32_t minimum_image_size(bool with_boot) {
  uint32_t base = with_boot ? kAppOffset : 0;
  uint32_t end = base + kEspImageHeaderSize + kAppSegments * kEspSegmentHeaderSize +
                 kStampAndDescriptor + (kAppSegments - 1) * 4 + kChecksumTail;
  return (end + 15) & ~15u;
}

Bytes build_esp_image(const ImageSpec& spec) {
  uint32_t minimum = minimum_image_size(spec.with_boot);
  if (spec.total_size < minimum)
    throw std::invalid_argument("image size " + std::to_string(spec.total_size) +
                                " is too small: the smallest valid image " +
                                (spec.with_boot ? "with" : "without") + " the boot sector is " +
                                std::to_string(minimum) + " bytes");
  if (spec.flash_mode > 3 || flash_size_from_code(spec.size_code) == 0 ||
      flash_freq_mhz_from_code(spec.freq_code) == 0)
    throw std::invalid_argument("unknown flash mode, size or frequency code");
  Bytes out = spec.with_boot ? boot_stub(spec) : Bytes();
  uint32_t base = uint32_t(out.size());
  uint32_t image_end = spec.total_size & ~15u;
  uint32_t payload =
      image_end - base - kEspImageHeaderSize - kAppSegments * kEspSegmentHeaderSize - kChecksumTail;
  Random random(spec.seed);
  append_image(out, spec, 0x40100004, app_segments(spec, payload, random));
  out.resize(spec.total_size, 0xFF);
  if (spec.with_boot) stamp_crc(out);
  return out;
}

}  // namespace otakit::host
