// inflate_to_flash over any staged bytes and any expected size: it reads only those bytes, writes only
// its sectors, and succeeds exactly when zlib inflates the same bytes in one go to that size.
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>

#include <vector>

#include "core/crypto/digest.h"
#include "core/image/gzip_flash.h"
#include "core/util/bytes.h"
#include "platform/posix/zlib_inflater.h"
#include "tests/fuzz/byte_flash.h"

namespace {

using namespace otakit;

constexpr uint32_t kChipSize = 0x20000;
constexpr uint32_t kTarget = 0x1000;        // a sector below it shows writes that start too low
constexpr uint32_t kMaxInflated = 0x10000;  // sectors 0x1000-0x10FFF at most
constexpr uint32_t kSource = 0x12000;       // a free sector between target and source
constexpr uint32_t kMaxSource = kChipSize - kSource - 4;

// Traps on reads outside the staged bytes' words and on erases or writes outside the target.
class GuardedFlash final : public Flash {
 public:
  GuardedFlash(Flash& inner, uint32_t source, uint32_t source_size, uint32_t target_end)
      : inner_(inner),
        read_begin_(source & ~(kFlashAlign - 1)),
        read_end_(round_up_flash_align(source + source_size)),
        target_end_(target_end) {}
  uint32_t size() const override { return inner_.size(); }
  FlashStatus read(uint32_t address, void* out, uint32_t len) override {
    if (address < read_begin_ || address > read_end_ || len > read_end_ - address) __builtin_trap();
    return inner_.read(address, out, len);
  }
  FlashStatus erase_sector(uint32_t sector) override {
    if (sector * kSectorSize < kTarget || sector * kSectorSize >= target_end_) __builtin_trap();
    return inner_.erase_sector(sector);
  }
  FlashStatus write(uint32_t address, const void* data, uint32_t len) override {
    if (address < kTarget || address > target_end_ || len > target_end_ - address) __builtin_trap();
    return inner_.write(address, data, len);
  }

 private:
  Flash& inner_;
  uint32_t read_begin_, read_end_, target_end_;
};

// What zlib makes of the bytes in one call: complete only for a whole gzip member.
struct Reference {
  bool complete = false;
  std::vector<uint8_t> out;
};

Reference inflate_at_once(const uint8_t* in, uint32_t len) {
  Reference ref;
  ref.out.resize(kMaxInflated + 1);  // one byte more than any expected size: a longer stream shows
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) __builtin_trap();
  z.next_in = const_cast<Bytef*>(in);
  z.avail_in = len;
  z.next_out = ref.out.data();
  z.avail_out = uInt(ref.out.size());
  ref.complete = inflate(&z, Z_FINISH) == Z_STREAM_END;
  ref.out.resize(z.total_out);
  inflateEnd(&z);
  return ref;
}

}  // namespace

// Input: mode, a claimed size (LE32), then the staged bytes. Mode bit 0 takes the expected size
// from the staged bytes' ISIZE trailer, as both callers do, instead of the claimed one; bits 1-2
// move the staged bytes 0-3 bytes off the sector start.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 5 || size - 5 > kMaxSource) return 0;
  const uint8_t* staged = data + 5;
  const uint32_t staged_size = uint32_t(size - 5);
  const bool from_trailer = data[0] & 1;
  if (from_trailer && staged_size < 4) return 0;
  const uint32_t expected =
      from_trailer ? load_le32(staged + staged_size - 4) : load_le32(data + 1) % (kMaxInflated + 1);
  if (expected > kMaxInflated) return 0;  // the callers refuse such a trailer before inflating
  const uint32_t source = kSource + ((data[0] >> 1) & 3);

  static uint8_t chip[kChipSize];
  memset(chip, 0xA5, sizeof(chip));
  memcpy(chip + source, staged, staged_size);
  fuzz::ByteFlash bytes(chip, kChipSize);
  const uint32_t target_end = kTarget + round_up_4k(expected);
  GuardedFlash flash(bytes, source, staged_size, target_end);
  posix::ZlibInflater inflater;
  alignas(4) static uint8_t sector_buffer[kSectorSize];
  InflatedImage out;
  const InflateResult result =
      inflate_to_flash(flash, inflater, source, staged_size, kTarget, expected, sector_buffer, &out);

  const Reference ref = inflate_at_once(staged, staged_size);
  const bool exact = ref.complete && ref.out.size() == expected;
  if ((result == InflateResult::ok) != exact || result == InflateResult::flash_error) __builtin_trap();
  if (ref.complete && ref.out.size() < expected && result != InflateResult::size_mismatch) __builtin_trap();
  if (ref.complete && ref.out.size() > expected && result != InflateResult::too_long) __builtin_trap();
  if (result != InflateResult::ok) return 0;

  uint8_t sha[crypto::kSha256Size];
  crypto::Sha256 h;
  h.update(ref.out.data(), ref.out.size());
  h.finish(sha);
  if (out.size != expected || memcmp(out.sha256, sha, sizeof(sha)) != 0 ||
      memcmp(chip + kTarget, ref.out.data(), expected) != 0)
    __builtin_trap();
  for (uint32_t i = kTarget + expected; i < target_end; ++i)
    if (chip[i] != 0xFF) __builtin_trap();  // the last sector is padded with erased bytes
  return 0;
}
