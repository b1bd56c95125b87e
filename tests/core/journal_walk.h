// Finds journal records in a device's flash bytes, for tests that damage them one at a time
// (the format is core/boot/journal.cpp's: header copies at both ends, records between them).
#pragma once
#include <cstdint>
#include <vector>

#include "core/boot/journal.h"
#include "core/util/bytes.h"
#include "tests/core/device_fixture.h"

namespace otakit::testing {

struct RecordSpan {
  uint32_t address;  // of the record's first byte
  uint32_t length;   // header + payload + CRC
};

// The records of one journal sector, by their length bytes.
inline std::vector<RecordSpan> records_of(const uint8_t* flash, uint32_t sector) {
  std::vector<RecordSpan> out;
  for (uint32_t at = Journal::kRecordsStart; at + 8 <= Journal::kRecordsEnd;) {
    const uint8_t* r = flash + sector + at;
    if (load_le32(r) == 0xFFFFFFFFu) break;
    out.push_back({sector + at, 8 + r[1] * 4u});
    at += out.back().length;
  }
  return out;
}

// The journal sector whose first header copy carries the higher sequence; 0 when neither has one.
inline uint32_t live_sector(Device& dev) {
  constexpr uint32_t kMagic = 0x324A544Fu;  // "OTJ2"
  uint32_t live = 0, best = 0;
  for (int i = 0; i < 2; ++i) {
    const uint8_t* h = dev.flash.bytes().data() + dev.layout.journal_address(i);
    if (load_le32(h) == kMagic && (live == 0 || int32_t(load_le32(h + 4) - best) > 0)) {
      best = load_le32(h + 4);
      live = dev.layout.journal_address(i);
    }
  }
  return live;
}

inline std::vector<RecordSpan> live_records(Device& dev) {
  uint32_t live = live_sector(dev);
  return live == 0 ? std::vector<RecordSpan>() : records_of(dev.flash.bytes().data(), live);
}

}  // namespace otakit::testing
