#include "core/boot/sector_table.h"

#include <string.h>

#include "core/crypto/digest.h"
#include "core/util/bytes.h"
#include "core/util/crc32_mpeg2.h"

namespace otakit {
namespace {

constexpr uint32_t kTableMagic = 0x3153544Fu;  // "OTS1"
constexpr uint32_t kTableHeader = 16;          // magic, sectors, entries CRC, header CRC
constexpr uint32_t kCopyStride = kSectorSize / 2;

void sha_sink(void* ctx, const uint8_t* data, size_t n) { static_cast<crypto::Sha256*>(ctx)->update(data, n); }
void crc_sink(void* ctx, const uint8_t* data, size_t n) {
  uint32_t* crc = static_cast<uint32_t*>(ctx);
  *crc = crc32_mpeg2_update(*crc, data, n);
}

}  // namespace

uint32_t sector_digest(const uint8_t* sector) {
  crypto::Sha256 sha;
  sha.update(sector, kSectorSize);
  uint8_t out[crypto::kSha256Size];
  sha.finish(out);
  return load_le32(out);
}

bool digest_flash_sector(Flash& flash, uint32_t address, uint32_t* digest) {
  crypto::Sha256 sha;
  if (flash_stream(flash, address, kSectorSize, sha_sink, &sha) != FlashStatus::ok) return false;
  uint8_t out[crypto::kSha256Size];
  sha.finish(out);
  *digest = load_le32(out);
  return true;
}

bool SectorTable::build(uint32_t secondary, uint32_t sectors, uint8_t* buffer, uint32_t* crc) {
  if (sectors == 0 || sectors > kMaxSwapSectors) return false;
  memset(buffer, 0xFF, kSectorSize);
  uint8_t* entries = buffer + kTableHeader;
  for (uint32_t i = 0; i < sectors; ++i) {
    uint32_t p = 0, s = 0;
    if (!digest_flash_sector(flash_, i * kSectorSize, &p) || !digest_flash_sector(flash_, secondary + i * kSectorSize, &s))
      return false;
    store_le32(entries + 8 * i, p);
    store_le32(entries + 8 * i + 4, s);
  }
  *crc = crc32_mpeg2(entries, 8 * sectors);
  store_le32(buffer, kTableMagic);
  store_le32(buffer + 4, sectors);
  store_le32(buffer + 8, *crc);
  store_le32(buffer + 12, crc32_mpeg2(buffer, 12));
  memcpy(buffer + kCopyStride, buffer, kTableHeader + 8 * sectors);
  open_ = false;
  return flash_.erase_sector(address_ / kSectorSize) == FlashStatus::ok &&
         flash_.write(address_, buffer, kSectorSize) == FlashStatus::ok;
}

bool SectorTable::copy_intact(uint32_t copy_address, uint32_t sectors, uint32_t crc) {
  alignas(4) uint8_t h[kTableHeader];
  if (flash_.read(copy_address, h, sizeof(h)) != FlashStatus::ok) return false;
  if (load_le32(h) != kTableMagic || load_le32(h + 4) != sectors || load_le32(h + 8) != crc ||
      load_le32(h + 12) != crc32_mpeg2(h, 12))
    return false;
  uint32_t computed = kCrc32Mpeg2Init;
  if (flash_stream(flash_, copy_address + kTableHeader, 8 * sectors, crc_sink, &computed) != FlashStatus::ok)
    return false;
  return computed == crc;
}

bool SectorTable::open(uint32_t sectors, uint32_t crc) {
  open_ = false;
  if (sectors == 0 || sectors > kMaxSwapSectors) return false;
  // Each copy gets a second read: a misread is not damage.
  for (int attempt = 0; attempt < 2 && !open_; ++attempt)
    for (uint32_t copy = 0; copy < 2 && !open_; ++copy)
      if (copy_intact(address_ + copy * kCopyStride, sectors, crc)) {
        copy_ = address_ + copy * kCopyStride;
        open_ = true;
      }
  return open_;
}

bool SectorTable::entry(uint32_t sector, uint32_t* primary, uint32_t* secondary) {
  alignas(4) uint8_t e[8];
  if (!open_ || flash_.read(copy_ + kTableHeader + 8 * sector, e, sizeof(e)) != FlashStatus::ok) return false;
  *primary = load_le32(e);
  *secondary = load_le32(e + 4);
  return true;
}

}  // namespace otakit
