#include "core/boot/journal.h"

#include <string.h>

#include "core/util/bytes.h"
#include "core/util/crc32_mpeg2.h"

namespace otakit {
namespace {

constexpr uint32_t kJournalMagic = 0x314A544Fu;  // "OTJ1"
constexpr uint32_t kRecordHeader = 4;
constexpr uint32_t kRecordCrc = 4;
constexpr uint32_t kMaxPayload = kSwapPlanBytes;
constexpr uint8_t kLastType = 10;
constexpr RecordType kCounters = RecordType(10);  // payload: updates, rollbacks, last command id
constexpr uint32_t kMaxSnapshotTrialBoots = 255;

void decode_image_record(const uint8_t* in, ImageRecord* out) {
  out->size = load_le32(in);
  out->security_version = load_le32(in + 4);
  memcpy(out->sha256, in + 8, 32);
}

bool all_ff(const uint8_t* p, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i)
    if (p[i] != 0xFF) return false;
  return true;
}

}  // namespace

const char* describe(JournalStatus status) {
  switch (status) {
    case JournalStatus::ok: return "journal ok";
    case JournalStatus::empty: return "no boot journal (new device or journal lost)";
    case JournalStatus::repaired: return "boot journal had a torn record and was compacted";
    case JournalStatus::flash_error: return "boot journal could not be read or written";
  }
  return "unknown";
}

uint32_t encode_image_record(const ImageRecord& image, uint8_t* out) {
  store_le32(out, image.size);
  store_le32(out + 4, image.security_version);
  memcpy(out + 8, image.sha256, 32);
  return kImageRecordBytes;
}

uint32_t encode_swap_plan(const SwapPlan& plan, uint8_t* out) {
  store_le32(out, uint32_t(plan.kind));
  store_le32(out + 4, plan.secondary);
  store_le32(out + 8, plan.sectors);
  store_le32(out + 12, plan.command_id);
  encode_image_record(plan.incoming, out + 16);
  encode_image_record(plan.outgoing, out + 16 + kImageRecordBytes);
  return kSwapPlanBytes;
}

bool apply_record(RecordType type, uint16_t aux, const uint8_t* payload, uint32_t payload_len,
                  BootState* s) {
  switch (type) {
    case RecordType::active:
      if (payload_len != kImageRecordBytes) return false;
      decode_image_record(payload, &s->active);
      s->has_active = true;
      s->has_previous = false;
      s->phase = BootPhase::idle;
      s->trial_boots = 0;
      return true;
    case RecordType::swap_begin: {
      if (payload_len != kSwapPlanBytes) return false;
      SwapPlan p;
      uint32_t kind = load_le32(payload);
      if (kind != uint32_t(SwapKind::upgrade) && kind != uint32_t(SwapKind::revert)) return false;
      p.kind = SwapKind(kind);
      p.secondary = load_le32(payload + 4);
      p.sectors = load_le32(payload + 8);
      p.command_id = load_le32(payload + 12);
      decode_image_record(payload + 16, &p.incoming);
      decode_image_record(payload + 16 + kImageRecordBytes, &p.outgoing);
      if (p.sectors == 0 || p.secondary % 4096 != 0) return false;
      s->plan = p;
      s->phase = BootPhase::swapping;
      s->swap_sector = 0;
      s->swap_step = SwapStep::none;
      if (p.kind == SwapKind::upgrade) s->last_command_id = p.command_id;
      return true;
    }
    case RecordType::step_scratch:
    case RecordType::step_primary:
    case RecordType::step_done:
      if (s->phase != BootPhase::swapping || aux >= s->plan.sectors || payload_len != 0) return false;
      if (type == RecordType::step_done) {
        s->swap_sector = aux + 1u;
        s->swap_step = SwapStep::none;
      } else {
        s->swap_sector = aux;
        s->swap_step = type == RecordType::step_scratch ? SwapStep::scratch_has_primary
                                                        : SwapStep::primary_has_secondary;
      }
      return true;
    case RecordType::swap_done:
      if (s->phase != BootPhase::swapping || payload_len != 0) return false;
      s->active = s->plan.incoming;
      s->has_active = true;
      s->previous = s->plan.outgoing;
      s->has_previous = true;
      s->previous_address = s->plan.secondary;
      s->trial_boots = 0;
      if (s->plan.kind == SwapKind::upgrade) {
        s->phase = BootPhase::trial;
        ++s->updates;
      } else {
        s->phase = BootPhase::idle;
        ++s->rollbacks;
      }
      return true;
    case RecordType::boot_attempt:
      if (s->phase != BootPhase::trial || payload_len != 0) return false;
      ++s->trial_boots;
      return true;
    case RecordType::confirm:
      if (s->phase != BootPhase::trial || payload_len != 0) return false;
      s->phase = BootPhase::idle;
      if (s->active.security_version > s->min_security_version)
        s->min_security_version = s->active.security_version;
      return true;
    case RecordType::security:
      if (payload_len != 4) return false;
      s->min_security_version = load_le32(payload);
      return true;
    default:
      if (type == kCounters && payload_len == 12) {
        s->updates = load_le32(payload);
        s->rollbacks = load_le32(payload + 4);
        s->last_command_id = load_le32(payload + 8);
        return true;
      }
      return false;
  }
}

JournalStatus Journal::load(BootState* state) {
  *state = BootState();
  current_ = -1;
  uint32_t best_seq = 0;
  for (int i = 0; i < 2; ++i) {
    uint8_t h[kHeaderSize];
    if (flash_.read(sector_[i], h, kHeaderSize) != FlashStatus::ok) return JournalStatus::flash_error;
    if (load_le32(h) != kJournalMagic || load_le32(h + 12) != crc32_mpeg2(h, 12)) continue;
    uint32_t seq = load_le32(h + 4);
    if (current_ < 0 || seq > best_seq) {
      current_ = i;
      best_seq = seq;
    }
  }
  if (current_ < 0) return JournalStatus::empty;
  sequence_ = best_seq;

  uint32_t offset = kHeaderSize;
  bool torn = false;
  uint8_t rec[kRecordHeader + kMaxPayload + kRecordCrc];
  while (offset + kRecordHeader + kRecordCrc <= kSectorSize) {
    if (flash_.read(sector_[current_] + offset, rec, kRecordHeader) != FlashStatus::ok)
      return JournalStatus::flash_error;
    if (all_ff(rec, kRecordHeader)) break;
    uint32_t payload_len = uint32_t(rec[1]) * 4;
    uint32_t total = kRecordHeader + payload_len + kRecordCrc;
    if (rec[0] == 0 || rec[0] > kLastType || payload_len > kMaxPayload || offset + total > kSectorSize) {
      torn = true;
      break;
    }
    if (flash_.read(sector_[current_] + offset + kRecordHeader, rec + kRecordHeader,
                    payload_len + kRecordCrc) != FlashStatus::ok)
      return JournalStatus::flash_error;
    uint32_t crc = load_le32(rec + kRecordHeader + payload_len);
    if (crc != crc32_mpeg2(rec, kRecordHeader + payload_len) ||
        !apply_record(RecordType(rec[0]), load_le16(rec + 2), rec + kRecordHeader, payload_len, state)) {
      torn = true;
      break;
    }
    offset += total;
  }
  // A torn or partly programmed write can leave a record header erased but bytes after it at 0;
  // appending over those would fail on every boot, so the tail must be erased or it is repaired.
  for (uint32_t at = offset; !torn && at < kSectorSize; at += sizeof(rec)) {
    uint32_t n = kSectorSize - at < sizeof(rec) ? kSectorSize - at : uint32_t(sizeof(rec));
    if (flash_.read(sector_[current_] + at, rec, n) != FlashStatus::ok) return JournalStatus::flash_error;
    torn = !all_ff(rec, n);
  }
  append_at_ = offset;
  if (!torn) return JournalStatus::ok;
  return compact(*state) ? JournalStatus::repaired : JournalStatus::flash_error;
}

bool Journal::write_record(uint32_t sector_address, uint32_t* offset, RecordType type, uint16_t aux,
                           const uint8_t* payload, uint32_t payload_len) {
  uint8_t rec[kRecordHeader + kMaxPayload + kRecordCrc];
  rec[0] = uint8_t(type);
  rec[1] = uint8_t(payload_len / 4);
  rec[2] = uint8_t(aux);
  rec[3] = uint8_t(aux >> 8);
  if (payload_len > 0) memcpy(rec + kRecordHeader, payload, payload_len);
  store_le32(rec + kRecordHeader + payload_len, crc32_mpeg2(rec, kRecordHeader + payload_len));
  uint32_t total = kRecordHeader + payload_len + kRecordCrc;
  if (*offset + total > kSectorSize) return false;
  if (flash_.write(sector_address + *offset, rec, total) != FlashStatus::ok) return false;
  *offset += total;
  return true;
}

bool Journal::write_snapshot(uint32_t sector_address, uint32_t* offset, const BootState& s) {
  uint8_t payload[kMaxPayload];
  store_le32(payload, s.min_security_version);
  if (!write_record(sector_address, offset, RecordType::security, 0, payload, 4)) return false;
  if (s.phase == BootPhase::idle && s.has_active) {
    encode_image_record(s.active, payload);
    if (!write_record(sector_address, offset, RecordType::active, 0, payload, kImageRecordBytes)) return false;
  } else if (s.phase != BootPhase::idle) {
    encode_image_record(s.plan.outgoing, payload);
    if (!write_record(sector_address, offset, RecordType::active, 0, payload, kImageRecordBytes)) return false;
    encode_swap_plan(s.plan, payload);
    if (!write_record(sector_address, offset, RecordType::swap_begin, 0, payload, kSwapPlanBytes)) return false;
    if (s.phase == BootPhase::swapping) {
      if (s.swap_step != SwapStep::none) {
        RecordType t = s.swap_step == SwapStep::scratch_has_primary ? RecordType::step_scratch
                                                                    : RecordType::step_primary;
        if (!write_record(sector_address, offset, t, uint16_t(s.swap_sector), nullptr, 0)) return false;
      } else if (s.swap_sector > 0) {
        if (!write_record(sector_address, offset, RecordType::step_done, uint16_t(s.swap_sector - 1), nullptr, 0))
          return false;
      }
    } else {
      if (!write_record(sector_address, offset, RecordType::swap_done, 0, nullptr, 0)) return false;
      // One record per boot, capped so that a snapshot always fits in a sector; a trial image
      // is rolled back long before (BootOptions::max_trial_boots).
      uint32_t boots = s.trial_boots < kMaxSnapshotTrialBoots ? s.trial_boots : kMaxSnapshotTrialBoots;
      for (uint32_t i = 0; i < boots; ++i)
        if (!write_record(sector_address, offset, RecordType::boot_attempt, 0, nullptr, 0)) return false;
    }
  }
  store_le32(payload, s.updates);
  store_le32(payload + 4, s.rollbacks);
  store_le32(payload + 8, s.last_command_id);
  return write_record(sector_address, offset, kCounters, 0, payload, 12);
}

bool Journal::compact(const BootState& state) {
  int target = current_ < 0 ? 0 : 1 - current_;
  uint32_t address = sector_[target];
  if (flash_.erase_sector(address / kSectorSize) != FlashStatus::ok) return false;
  uint32_t offset = kHeaderSize;
  if (!write_snapshot(address, &offset, state)) return false;
  // The header goes last: until it is written the new sector does not count.
  uint8_t h[kHeaderSize];
  store_le32(h, kJournalMagic);
  store_le32(h + 4, sequence_ + 1);
  store_le32(h + 8, 0xFFFFFFFFu);
  store_le32(h + 12, crc32_mpeg2(h, 12));
  if (flash_.write(address, h, kHeaderSize) != FlashStatus::ok) return false;
  if (current_ >= 0 && flash_.erase_sector(sector_[current_] / kSectorSize) != FlashStatus::ok) return false;
  current_ = target;
  ++sequence_;
  append_at_ = offset;
  ++compactions_;
  return true;
}

bool Journal::reset(const BootState& state) { return compact(state); }

bool Journal::append(RecordType type, uint16_t aux, const uint8_t* payload, uint32_t payload_len,
                     BootState* state) {
  uint32_t total = kRecordHeader + payload_len + kRecordCrc;
  if (current_ < 0 || append_at_ + total > kSectorSize) {
    if (!compact(*state)) return false;
  }
  BootState next = *state;
  if (!apply_record(type, aux, payload, payload_len, &next)) return false;
  if (!write_record(sector_[current_], &append_at_, type, aux, payload, payload_len)) return false;
  *state = next;
  return true;
}

}  // namespace otakit
