// Where the pull client remembers an interrupted download so that it can continue after a reset
// or a power cut (docs/http.md, "Across a reset"): one fixed-size record naming the download (a
// hash of the URL, the ETag and MD5 the server gave, the size and the kind of update) and how far
// it got on flash (the durable offset, with the SHA-256 of those staged bytes), sealed by a CRC.
//
// ResumeStore is what PullSession talks to. RamResumeStore holds the record in RAM (core tests;
// it does not survive anything). FlashResumeStore keeps it where a power cut cannot take it: in
// the flash sector FlashLayout::resume_record_address() reserves at the bottom of the boot area,
// as a log of 256-byte slots, so a torn write spoils only the slot being written (its CRC fails
// and the previous record stands) and the sector is erased only once every 16 records. RTC
// memory would not do: it is lost when the power goes.
//
// Nothing in a record is trusted on its own word: the session resumes only for the same URL and
// an image the server confirms (ETag or x-MD5, and size, in its 206), and the Updater resumes
// only when the staged bytes hash to the recorded SHA-256.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "core/crypto/digest.h"
#include "core/flash/flash.h"
#include "core/updater/updater.h"

namespace otakit::pull {

constexpr size_t kResumeRecordSize = 256;  // encoded, CRC included
constexpr size_t kResumeMaxEtag = 96;      // the longest ETag a record holds (PullSession::kMaxEtag)

struct ResumeRecord {
  uint8_t url_sha256[crypto::kSha256Size] = {};     // resume_url_hash() of PullConfig::url
  char etag[kResumeMaxEtag + 1] = {};               // the strong ETag, quotes included; "" if none
  char md5[crypto::kMd5HexSize] = {};               // the MD5 the image must have (32 hex); "" if none
  uint32_t total = 0;                               // the image's size (Content-Length of the 200)
  UpdateCommand command = UpdateCommand::flash;
  uint32_t offset = 0;                              // the durable offset: whole sectors, 0 < offset < total
  uint8_t prefix_sha256[crypto::kSha256Size] = {};  // of the staged bytes [0, offset)
};

// The SHA-256 of a URL as given, credentials and all (only the hash is stored).
void resume_url_hash(const char* url, uint8_t out[crypto::kSha256Size]);

// Whether an ETag can identify an image in a record: strong (quoted, no W/), at most
// kResumeMaxEtag bytes, printable ASCII only. Others (obs-text, say) are not remembered.
bool resume_etag_usable(const char* etag, size_t length);

// Whether a record could describe a resumable download: an ETag or an MD5 of the right form, a
// known command, and an offset of whole sectors below the size.
bool resume_record_plausible(const ResumeRecord& record);

// The 256-byte form: magic, format, kind, command, sequence, size, offset, the two hashes, MD5,
// ETag, zero padding, and a CRC-32/MPEG-2 of everything before it in the last four bytes. A
// tombstone (kind "cleared") says that the records before it no longer count.
enum class ResumeSlot : uint8_t { record, cleared, blank, corrupt };
void encode_resume_record(const ResumeRecord& record, uint32_t sequence, uint8_t out[kResumeRecordSize]);
void encode_resume_tombstone(uint32_t sequence, uint8_t out[kResumeRecordSize]);
// record or cleared (with *sequence, and *out for a record) when the CRC and every field hold;
// blank for erased flash (all 0xFF); corrupt for anything else (a torn or damaged slot).
ResumeSlot decode_resume_record(const uint8_t in[kResumeRecordSize], ResumeRecord* out, uint32_t* sequence);

class ResumeStore {
 public:
  // The record saved last, if one is there and intact; false when there is none.
  virtual bool load(ResumeRecord* out) = 0;
  // Replaces the record. False when it could not be written (the old one may still stand).
  virtual bool save(const ResumeRecord& record) = 0;
  // Removes the record; true when there is none afterwards.
  virtual bool clear() = 0;

 protected:
  ~ResumeStore() = default;
};

// The record in RAM, encoded as the flash keeps it (tests corrupt bytes() to see it refused).
class RamResumeStore final : public ResumeStore {
 public:
  bool load(ResumeRecord* out) override;
  bool save(const ResumeRecord& record) override;
  bool clear() override;

  bool holds_record() const { return held_; }
  uint8_t* bytes() { return bytes_; }
  uint32_t saves() const { return saves_; }
  uint32_t clears() const { return clears_; }
  void fail_saves(bool on) { fail_saves_ = on; }  // fault injection: save() refuses

 private:
  alignas(4) uint8_t bytes_[kResumeRecordSize] = {};
  bool held_ = false;
  bool fail_saves_ = false;
  uint32_t sequence_ = 0;
  uint32_t saves_ = 0;
  uint32_t clears_ = 0;
};

// The record in one flash sector, as a log of kSlots slots: save() writes the next blank slot
// with the next sequence number (erasing the sector first when no slot is left), clear() writes
// a tombstone, load() takes the valid slot with the highest sequence. A power cut while a slot is
// written leaves the previous record; one while the sector is erased loses the record (the next
// pull then starts from byte 0). The sector is re-read at every call, so a new store object over
// the same flash after a reboot sees what the old one wrote.
class FlashResumeStore final : public ResumeStore {
 public:
  static constexpr uint32_t kSlots = kSectorSize / kResumeRecordSize;

  // sector_address: a sector nothing else uses, FlashLayout::resume_record_address() on a device.
  FlashResumeStore(Flash& flash, uint32_t sector_address) : flash_(flash), address_(sector_address) {}

  bool load(ResumeRecord* out) override;
  bool save(const ResumeRecord& record) override;
  bool clear() override;

 private:
  struct Scan {
    bool readable = false;
    bool live = false;          // the newest valid slot is a record, not a tombstone
    uint32_t newest = 0;        // sequence of the newest valid slot (0: none)
    uint32_t next_slot = 0;     // after the last slot that is not blank; kSlots when full
  };
  Scan scan(ResumeRecord* newest_record);
  bool append(const uint8_t slot[kResumeRecordSize], uint32_t next_slot);

  Flash& flash_;
  uint32_t address_;
  alignas(4) uint8_t slot_[kResumeRecordSize] = {};
};

}  // namespace otakit::pull
