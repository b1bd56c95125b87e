#include "core/pull/resume_store.h"

#include <string.h>

#include "core/util/bytes.h"
#include "core/util/crc32_mpeg2.h"
#include "core/util/hex.h"

namespace otakit::pull {
namespace {

// The encoded record, by offset.
constexpr uint32_t kMagic = 0x5352544Fu;  // "OTRS" little-endian
constexpr uint8_t kFormat = 1;
constexpr uint8_t kKindRecord = 1;
constexpr uint8_t kKindCleared = 2;
constexpr size_t kAtMagic = 0, kAtFormat = 4, kAtKind = 5, kAtCommand = 6, kAtEtagLength = 7, kAtSequence = 8,
                 kAtTotal = 12, kAtOffset = 16, kAtUrl = 20, kAtPrefix = 52, kAtMd5 = 84, kAtEtag = 116,
                 kAtPadding = kAtEtag + kResumeMaxEtag, kAtCrc = kResumeRecordSize - 4;
static_assert(kAtPadding <= kAtCrc, "the record's fields overlap its CRC");

// strlen within a bound (strnlen is POSIX, not C).
size_t bounded_length(const char* text, size_t bound) {
  size_t n = 0;
  while (n < bound && text[n] != '\0') ++n;
  return n;
}

bool is_blank(const uint8_t* bytes, size_t len) {
  for (size_t i = 0; i < len; ++i)
    if (bytes[i] != 0xFF) return false;
  return true;
}

bool is_zero(const uint8_t* bytes, size_t len) {
  for (size_t i = 0; i < len; ++i)
    if (bytes[i] != 0) return false;
  return true;
}

void encode(uint8_t kind, const ResumeRecord* record, uint32_t sequence, uint8_t* out) {
  memset(out, 0, kResumeRecordSize);
  store_le32(out + kAtMagic, kMagic);
  out[kAtFormat] = kFormat;
  out[kAtKind] = kind;
  store_le32(out + kAtSequence, sequence);
  if (record != nullptr) {
    size_t etag_length = bounded_length(record->etag, sizeof(record->etag));
    if (etag_length > kResumeMaxEtag) etag_length = kResumeMaxEtag;
    out[kAtCommand] = uint8_t(record->command);
    out[kAtEtagLength] = uint8_t(etag_length);
    store_le32(out + kAtTotal, record->total);
    store_le32(out + kAtOffset, record->offset);
    memcpy(out + kAtUrl, record->url_sha256, crypto::kSha256Size);
    memcpy(out + kAtPrefix, record->prefix_sha256, crypto::kSha256Size);
    memcpy(out + kAtMd5, record->md5, bounded_length(record->md5, 32));
    memcpy(out + kAtEtag, record->etag, etag_length);
  }
  store_le32(out + kAtCrc, crc32_mpeg2(out, kAtCrc));
}

}  // namespace

void resume_url_hash(const char* url, uint8_t out[crypto::kSha256Size]) {
  crypto::Sha256 sha;
  if (url != nullptr) sha.update(url, strlen(url));
  sha.finish(out);
}

bool resume_etag_usable(const char* etag, size_t length) {
  if (length < 2 || length > kResumeMaxEtag || etag[0] != '"' || etag[length - 1] != '"') return false;
  for (size_t i = 0; i < length; ++i)
    if (uint8_t(etag[i]) < 0x21 || uint8_t(etag[i]) > 0x7E) return false;  // nothing a header could not carry
  return true;
}

bool resume_record_plausible(const ResumeRecord& r) {
  size_t etag_length = bounded_length(r.etag, sizeof(r.etag));
  size_t md5_length = bounded_length(r.md5, sizeof(r.md5));
  if (etag_length > kResumeMaxEtag || md5_length >= sizeof(r.md5)) return false;  // not terminated
  bool etag = resume_etag_usable(r.etag, etag_length);
  bool md5 = md5_length == 32 && is_hex(r.md5, 32);
  if ((etag_length != 0 && !etag) || (md5_length != 0 && !md5) || (!etag && !md5)) return false;
  if (r.command != UpdateCommand::flash && r.command != UpdateCommand::filesystem) return false;
  return r.offset > 0 && r.offset % kSectorSize == 0 && r.offset < r.total;
}

void encode_resume_record(const ResumeRecord& record, uint32_t sequence, uint8_t out[kResumeRecordSize]) {
  encode(kKindRecord, &record, sequence, out);
}

void encode_resume_tombstone(uint32_t sequence, uint8_t out[kResumeRecordSize]) {
  encode(kKindCleared, nullptr, sequence, out);
}

ResumeSlot decode_resume_record(const uint8_t in[kResumeRecordSize], ResumeRecord* out, uint32_t* sequence) {
  if (is_blank(in, kResumeRecordSize)) return ResumeSlot::blank;
  if (load_le32(in + kAtMagic) != kMagic || in[kAtFormat] != kFormat ||
      load_le32(in + kAtCrc) != crc32_mpeg2(in, kAtCrc) || !is_zero(in + kAtPadding, kAtCrc - kAtPadding)) {
    return ResumeSlot::corrupt;
  }
  *sequence = load_le32(in + kAtSequence);
  if (in[kAtKind] == kKindCleared) return ResumeSlot::cleared;
  if (in[kAtKind] != kKindRecord) return ResumeSlot::corrupt;
  ResumeRecord r;
  size_t etag_length = in[kAtEtagLength];
  if (etag_length > kResumeMaxEtag) return ResumeSlot::corrupt;
  r.command = UpdateCommand(in[kAtCommand]);
  r.total = load_le32(in + kAtTotal);
  r.offset = load_le32(in + kAtOffset);
  memcpy(r.url_sha256, in + kAtUrl, crypto::kSha256Size);
  memcpy(r.prefix_sha256, in + kAtPrefix, crypto::kSha256Size);
  memcpy(r.md5, in + kAtMd5, 32);
  r.md5[32] = '\0';
  memcpy(r.etag, in + kAtEtag, etag_length);
  r.etag[etag_length] = '\0';
  if (!is_zero(in + kAtEtag + etag_length, kResumeMaxEtag - etag_length) || !resume_record_plausible(r))
    return ResumeSlot::corrupt;
  if (out != nullptr) *out = r;
  return ResumeSlot::record;
}

// --- RamResumeStore ---

bool RamResumeStore::load(ResumeRecord* out) {
  uint32_t sequence = 0;
  return held_ && decode_resume_record(bytes_, out, &sequence) == ResumeSlot::record;
}

bool RamResumeStore::save(const ResumeRecord& record) {
  if (fail_saves_) return false;
  encode_resume_record(record, ++sequence_, bytes_);
  held_ = true;
  ++saves_;
  return true;
}

bool RamResumeStore::clear() {
  memset(bytes_, 0xFF, sizeof(bytes_));
  held_ = false;
  ++clears_;
  return true;
}

// --- FlashResumeStore ---

FlashResumeStore::Scan FlashResumeStore::scan(ResumeRecord* newest_record) {
  Scan scan;
  for (uint32_t i = 0; i < kSlots; ++i) {
    if (flash_.read(address_ + i * kResumeRecordSize, slot_, kResumeRecordSize) != FlashStatus::ok) return Scan{};
    ResumeRecord record;
    uint32_t sequence = 0;
    ResumeSlot kind = decode_resume_record(slot_, &record, &sequence);
    if (kind != ResumeSlot::blank) scan.next_slot = i + 1;
    if ((kind != ResumeSlot::record && kind != ResumeSlot::cleared) || sequence <= scan.newest) continue;
    scan.newest = sequence;
    scan.live = kind == ResumeSlot::record;
    if (scan.live && newest_record != nullptr) *newest_record = record;
  }
  scan.readable = true;
  return scan;
}

bool FlashResumeStore::append(const uint8_t slot[kResumeRecordSize], uint32_t next_slot) {
  if (next_slot >= kSlots) {
    if (flash_.erase_sector(address_ / kSectorSize) != FlashStatus::ok) return false;
    next_slot = 0;
  }
  return flash_.write(address_ + next_slot * kResumeRecordSize, slot, kResumeRecordSize) == FlashStatus::ok;
}

bool FlashResumeStore::load(ResumeRecord* out) {
  Scan found = scan(out);
  return found.readable && found.live;
}

bool FlashResumeStore::save(const ResumeRecord& record) {
  if (!resume_record_plausible(record)) return false;
  Scan found = scan(nullptr);
  if (!found.readable) return false;
  encode_resume_record(record, found.newest + 1, slot_);
  return append(slot_, found.next_slot);
}

bool FlashResumeStore::clear() {
  Scan found = scan(nullptr);
  if (!found.readable) return false;
  if (!found.live) return true;  // nothing to clear: no write, no wear
  if (found.next_slot >= kSlots) return flash_.erase_sector(address_ / kSectorSize) == FlashStatus::ok;
  encode_resume_tombstone(found.newest + 1, slot_);
  return append(slot_, found.next_slot);
}

}  // namespace otakit::pull
