#include "core/boot/journal.h"

#include <string.h>

#include "core/util/bytes.h"
#include "core/util/crc32_mpeg2.h"

namespace otakit {
namespace {

constexpr uint32_t kJournalMagic = 0x324A544Fu;  // "OTJ2"
constexpr uint32_t kRecordHeader = 4;
constexpr uint32_t kRecordCrc = 4;
constexpr uint32_t kMaxPayload = kSwapPlanBytes;
constexpr uint32_t kMaxRecord = kRecordHeader + kMaxPayload + kRecordCrc;
constexpr uint8_t kLastType = uint8_t(RecordType::reject);
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

bool header_valid(const uint8_t* h, uint32_t* sequence) {
  if (load_le32(h) != kJournalMagic || load_le32(h + 12) != crc32_mpeg2(h, 12)) return false;
  *sequence = load_le32(h + 4);
  return true;
}

}  // namespace

const char* describe(JournalStatus status) {
  switch (status) {
    case JournalStatus::ok: return "journal ok";
    case JournalStatus::empty: return "no boot journal (new device or journal lost)";
    case JournalStatus::repaired: return "boot journal had a torn or corrupt record; it was skipped and the log compacted";
    case JournalStatus::flash_error: return "boot journal could not be read or written";
  }
  return "unknown";
}

bool record_is_twinned(RecordType type) {
  switch (type) {
    case RecordType::step_scratch:
    case RecordType::step_primary:
    case RecordType::step_done:
    case RecordType::boot_attempt: return false;
    default: return true;
  }
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
  store_le32(out + 16, plan.table_crc);
  encode_image_record(plan.incoming, out + 20);
  encode_image_record(plan.outgoing, out + 20 + kImageRecordBytes);
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
      s->rejected = false;
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
      p.table_crc = load_le32(payload + 16);
      decode_image_record(payload + 20, &p.incoming);
      decode_image_record(payload + 20 + kImageRecordBytes, &p.outgoing);
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
      s->rejected = false;
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
    case RecordType::reject:
      if (s->phase != BootPhase::trial || payload_len != 0) return false;
      s->rejected = true;
      return true;
    case RecordType::counters:
      if (payload_len != 12) return false;
      s->updates = load_le32(payload);
      s->rollbacks = load_le32(payload + 4);
      s->last_command_id = load_le32(payload + 8);
      return true;
  }
  return false;
}

int Journal::pick_live_sector(uint32_t* sequence) {
  int live = -1;
  for (int i = 0; i < 2; ++i) {
    alignas(4) uint8_t first[kHeaderSize], second[kHeaderSize];
    uint32_t seq = 0;
    bool valid = false;
    // Two reads at most: a misread is not a damaged header.
    for (int attempt = 0; attempt < 2 && !valid; ++attempt) {
      if (flash_.read(sector_[i], first, kHeaderSize) != FlashStatus::ok ||
          flash_.read(sector_[i] + kRecordsEnd, second, kHeaderSize) != FlashStatus::ok)
        return -2;
      valid = header_valid(first, &seq) || header_valid(second, &seq);
    }
    // Serial-number order, so the sequence may wrap: the older sector is kept as a fallback.
    if (valid && (live < 0 || int32_t(seq - *sequence) > 0)) {
      live = i;
      *sequence = seq;
    }
  }
  return live;
}

Journal::Slot Journal::read_record(uint32_t address, uint32_t room, uint8_t* rec, uint32_t* total) {
  if (room < kRecordHeader + kRecordCrc) return Slot::corrupt;
  if (flash_.read(address, rec, kRecordHeader) != FlashStatus::ok) return Slot::corrupt;
  if (all_ff(rec, kRecordHeader)) return Slot::blank;
  uint32_t payload_len = uint32_t(rec[1]) * 4;
  *total = kRecordHeader + payload_len + kRecordCrc;
  if (rec[0] == 0 || rec[0] > kLastType || payload_len > kMaxPayload || *total > room) return Slot::corrupt;
  if (flash_.read(address + kRecordHeader, rec + kRecordHeader, payload_len + kRecordCrc) != FlashStatus::ok)
    return Slot::corrupt;
  uint32_t crc = load_le32(rec + kRecordHeader + payload_len);
  return crc == crc32_mpeg2(rec, kRecordHeader + payload_len) ? Slot::valid : Slot::corrupt;
}

// Just past the last programmed (non-0xFF) byte of the record area: the log may end only there.
bool Journal::programmed_end(uint32_t address, uint32_t* end) {
  alignas(4) uint8_t chunk[32];
  static_assert((kRecordsEnd - kRecordsStart) % sizeof(chunk) == 0, "the record area is whole chunks");
  for (uint32_t at = kRecordsEnd; at > kRecordsStart; at -= sizeof(chunk)) {
    if (flash_.read(address + at - sizeof(chunk), chunk, sizeof(chunk)) != FlashStatus::ok) return false;
    for (uint32_t i = sizeof(chunk); i > 0; --i)
      if (chunk[i - 1] != 0xFF) {
        *end = at - uint32_t(sizeof(chunk)) + i;
        return true;
      }
  }
  *end = kRecordsStart;
  return true;
}

JournalStatus Journal::load(BootState* state) {
  *state = BootState();
  skipped_ = 0;
  uint32_t best_seq = 0;
  current_ = pick_live_sector(&best_seq);
  if (current_ == -2) return JournalStatus::flash_error;
  if (current_ < 0) return JournalStatus::empty;
  sequence_ = best_seq;

  const uint32_t base = sector_[current_];
  uint32_t offset = kRecordsStart, end = kRecordsEnd;
  if (!programmed_end(base, &end)) return JournalStatus::flash_error;
  bool repair = false;
  alignas(4) uint8_t rec[kMaxRecord];
  while (offset < kRecordsEnd) {
    uint32_t total = 0;
    Slot slot = read_record(base + offset, kRecordsEnd - offset, rec, &total);
    if (slot == Slot::corrupt) slot = read_record(base + offset, kRecordsEnd - offset, rec, &total);
    if (slot == Slot::blank && offset >= end) break;
    if (slot == Slot::valid) {
      // A record that does not apply (the second of a twin, or one whose context was lost) is
      // passed over: it cannot make the state worse than the records around it say.
      apply_record(RecordType(rec[0]), load_le16(rec + 2), rec + kRecordHeader, total - kRecordHeader - kRecordCrc,
                   state);
      offset += total;
      continue;
    }
    // Damaged bytes: resynchronise on the next word where a valid record starts.
    repair = true;
    ++skipped_;
    offset += 4;
  }
  append_at_ = offset;
  if (!repair) return JournalStatus::ok;
  return compact(*state) ? JournalStatus::repaired : JournalStatus::flash_error;
}

bool Journal::write_record(uint32_t sector_address, uint32_t* offset, RecordType type, uint16_t aux,
                           const uint8_t* payload, uint32_t payload_len) {
  alignas(4) uint8_t rec[kMaxRecord];
  rec[0] = uint8_t(type);
  rec[1] = uint8_t(payload_len / 4);
  rec[2] = uint8_t(aux);
  rec[3] = uint8_t(aux >> 8);
  if (payload_len > 0) memcpy(rec + kRecordHeader, payload, payload_len);
  store_le32(rec + kRecordHeader + payload_len, crc32_mpeg2(rec, kRecordHeader + payload_len));
  uint32_t total = kRecordHeader + payload_len + kRecordCrc;
  int copies = record_is_twinned(type) ? 2 : 1;
  if (*offset + copies * total > kRecordsEnd) return false;
  for (int i = 0; i < copies; ++i) {
    if (flash_.write(sector_address + *offset, rec, total) != FlashStatus::ok) return false;
    *offset += total;
  }
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
      if (s.rejected && !write_record(sector_address, offset, RecordType::reject, 0, nullptr, 0)) return false;
    }
  }
  store_le32(payload, s.updates);
  store_le32(payload + 4, s.rollbacks);
  store_le32(payload + 8, s.last_command_id);
  return write_record(sector_address, offset, RecordType::counters, 0, payload, 12);
}

bool Journal::compact(const BootState& state) {
  int target = current_ < 0 ? 0 : 1 - current_;
  uint32_t address = sector_[target];
  if (flash_.erase_sector(address / kSectorSize) != FlashStatus::ok) return false;
  uint32_t offset = kRecordsStart;
  if (!write_snapshot(address, &offset, state)) return false;
  // The headers go last: until one is written the new sector does not count, and the old
  // sector is left as it is, the fallback should both new headers ever be damaged.
  alignas(4) uint8_t h[kHeaderSize];
  store_le32(h, kJournalMagic);
  store_le32(h + 4, sequence_ + 1);
  store_le32(h + 8, 0xFFFFFFFFu);
  store_le32(h + 12, crc32_mpeg2(h, 12));
  if (flash_.write(address, h, kHeaderSize) != FlashStatus::ok ||
      flash_.write(address + kRecordsEnd, h, kHeaderSize) != FlashStatus::ok)
    return false;
  current_ = target;
  ++sequence_;
  append_at_ = offset;
  ++compactions_;
  return true;
}

bool Journal::reset(const BootState& state) {
  // Above whatever generation the sectors hold, even one this object never loaded.
  uint32_t seq = 0;
  int live = pick_live_sector(&seq);
  if (live == -2) return false;
  current_ = live;
  sequence_ = live < 0 ? 0 : seq;
  return compact(state);
}

bool Journal::append(RecordType type, uint16_t aux, const uint8_t* payload, uint32_t payload_len,
                     BootState* state) {
  uint32_t total = (kRecordHeader + payload_len + kRecordCrc) * (record_is_twinned(type) ? 2 : 1);
  if (current_ < 0 || append_at_ + total > kRecordsEnd) {
    if (!compact(*state)) return false;
  }
  BootState next = *state;
  if (!apply_record(type, aux, payload, payload_len, &next)) return false;
  if (!write_record(sector_[current_], &append_at_, type, aux, payload, payload_len)) return false;
  *state = next;
  return true;
}

}  // namespace otakit
