#include "core/updater/updater.h"

#include <string.h>

#include "core/boot/app_boot.h"
#include "core/boot/placement.h"
#include "core/image/acceptance.h"
#include "core/image/esp_image.h"
#include "core/image/gzip_flash.h"
#include "core/util/bytes.h"
#include "core/util/hex.h"
#include "core/util/text.h"

namespace otakit {
namespace {

constexpr uint8_t kGzipMagic0 = 0x1f;

}  // namespace

const char* describe(UpdateError error) {
  switch (error) {
    case UpdateError::ok: return "No Error";
    case UpdateError::write: return "Flash Write Failed";
    case UpdateError::erase: return "Flash Erase Failed";
    case UpdateError::read: return "Flash Read Failed";
    case UpdateError::space: return "Not Enough Space";
    case UpdateError::size: return "Bad Size Given";
    case UpdateError::stream: return "Stream Read Timeout";
    case UpdateError::md5: return "MD5 verification failed";
    case UpdateError::flash_config: return "Flash config wrong";
    case UpdateError::new_flash_config: return "new Flash config wrong";
    case UpdateError::magic: return "Magic byte is not 0xE9";
    case UpdateError::bootstrap: return "Invalid bootstrapping state, reset ESP8266 before updating";
    case UpdateError::sign: return "Signature verification failed";
    case UpdateError::no_data: return "No data supplied";
    case UpdateError::oom: return "Out of memory";
    case UpdateError::running_already: return "Update already running";
    case UpdateError::unknown_command: return "Unknown update command";
    case UpdateError::premature_end: return "Update ended before all data arrived";
    case UpdateError::too_much_data: return "More data than the announced size";
    case UpdateError::bad_md5_string: return "MD5 must be 32 hex digits";
    case UpdateError::trial_pending: return "Running image is on trial: confirm or roll back first";
    case UpdateError::downgrade: return "Image security version is too low";
    case UpdateError::aborted: return "Update aborted";
    case UpdateError::not_running: return "No update running";
    case UpdateError::gzip_too_large: return "Gzip image inflates beyond the free space";
    case UpdateError::bad_image: return "Not a valid firmware image";
    case UpdateError::resume_mismatch: return "Cannot resume the interrupted update";
  }
  return "UNKNOWN";
}

Updater::Updater(Flash& flash, const FlashLayout& layout, AppBoot& boot)
    : flash_(flash), layout_(layout), boot_(boot) {}

bool Updater::fail(UpdateError error, const char* detail) {
  error_ = error;
  TextBuilder text(message_, sizeof(message_));
  text.add("ERROR[").add_u32(uint32_t(error)).add("]: ").add(describe(error));
  if (detail != nullptr && detail[0] != '\0') text.add(": ").add(detail);
  if (hooks_.on_error) hooks_.on_error(hooks_.ctx, error);
  if (error != UpdateError::running_already && size_ > 0) {
    if (hooks_.on_end) hooks_.on_end(hooks_.ctx, false);
    reset();
  }
  return false;
}

void Updater::reset() {
  size_ = received_ = flushed_ = buffered_ = durable_ = start_ = 0;
  md5_expected_set_ = false;
  command_ = UpdateCommand::flash;
}

void Updater::clear_error() {
  error_ = UpdateError::ok;
  message_[0] = '\0';
}

// Where an update of `size` bytes goes, by the one rule begin() and resume() share; on failure
// fail() has run.
bool Updater::place(uint32_t size, UpdateCommand command, uint32_t* start) {
  char detail[120];
  TextBuilder why(detail, sizeof(detail));
  if (size == 0) return fail(UpdateError::size, "size 0");
  if (!boot_.loaded()) return fail(UpdateError::read, "the boot journal could not be read");
  if (command == UpdateCommand::flash) {
    if (boot_.on_trial())
      return fail(UpdateError::trial_pending);
    uint32_t running = boot_.state().active.size;
    if (!place_staging(layout_, running, size, start)) {
      why.add("image needs ").add_u32(round_up_4k(size)).add(" bytes, at most ")
          .add_u32(staging_capacity(layout_, running)).add(" fit next to the running image of ")
          .add_u32(running).add(" bytes in layout ").add(layout_.name);
      return fail(UpdateError::space, detail);
    }
    return true;
  }
  if (command == UpdateCommand::filesystem) {
    if (round_up_4k(size) > layout_.fs_size()) {
      why.add("filesystem image needs ").add_u32(round_up_4k(size)).add(" bytes, layout ")
          .add(layout_.name).add(" has a filesystem of ").add_u32(layout_.fs_size());
      return fail(UpdateError::space, detail);
    }
    *start = layout_.fs_start;
    return true;
  }
  return fail(UpdateError::unknown_command);
}

bool Updater::begin(uint32_t size, UpdateCommand command) {
  if (size_ > 0) return fail(UpdateError::running_already);
  clear_error();
  md5_hex_[0] = '\0';
  uint32_t start = 0;
  if (!place(size, command, &start)) return false;
  command_ = command;
  start_ = start;
  size_ = size;
  received_ = flushed_ = buffered_ = durable_ = 0;
  md5_.reset();
  sha256_.reset();
  if (hooks_.on_start) hooks_.on_start(hooks_.ctx);
  if (hooks_.on_progress) hooks_.on_progress(hooks_.ctx, 0, size_);
  return true;
}

// Reads the staged bytes [start, start+offset) back through the sector buffer into md5_ and
// sha256_, checking a sketch's first byte on the way.
bool Updater::rehash_staged(uint32_t start, uint32_t offset, UpdateCommand command) {
  md5_.reset();
  sha256_.reset();
  for (uint32_t at = 0; at < offset; at += kBufferSize) {
    if (flash_.read(start + at, buffer_, kBufferSize) != FlashStatus::ok) {
      char detail[80];
      TextBuilder(detail, sizeof(detail)).add("cannot read the staged bytes at ").add_u32(start + at);
      return fail(UpdateError::read, detail);
    }
    if (at == 0 && command == UpdateCommand::flash && buffer_[0] != kEspImageMagic && buffer_[0] != kGzipMagic0) {
      char detail[100];
      TextBuilder(detail, sizeof(detail)).add("the staged bytes start with ").add_u32(buffer_[0])
          .add(", not 0xE9 (an image) or 0x1F (gzip)");
      return fail(UpdateError::resume_mismatch, detail);
    }
    md5_.update(buffer_, kBufferSize);
    sha256_.update(buffer_, kBufferSize);
  }
  return true;
}

bool Updater::resume(uint32_t size, UpdateCommand command, uint32_t offset,
                     const uint8_t prefix_sha256[crypto::kSha256Size]) {
  if (size_ > 0) return fail(UpdateError::running_already);
  clear_error();
  md5_hex_[0] = '\0';
  char detail[120];
  TextBuilder why(detail, sizeof(detail));
  if (offset == 0 || offset % kSectorSize != 0 || offset >= size) {
    why.add("offset ").add_u32(offset).add(" is not a whole number of sectors inside an image of ").add_u32(size)
        .add(" bytes");
    return fail(UpdateError::resume_mismatch, detail);
  }
  if (prefix_sha256 == nullptr) return fail(UpdateError::resume_mismatch, "no SHA-256 to check the staged bytes by");
  uint32_t start = 0;
  if (!place(size, command, &start) || !rehash_staged(start, offset, command)) return false;
  crypto::Sha256 prefix = sha256_;
  uint8_t digest[crypto::kSha256Size];
  prefix.finish(digest);
  if (memcmp(digest, prefix_sha256, crypto::kSha256Size) != 0) {
    why.add("SHA-256 of the ").add_u32(offset).add(" bytes staged at ").add_u32(start).add(" differs");
    return fail(UpdateError::resume_mismatch, detail);
  }
  command_ = command;
  start_ = start;
  size_ = size;
  received_ = flushed_ = durable_ = offset;
  buffered_ = 0;
  durable_sha256_ = sha256_;
  if (hooks_.on_start) hooks_.on_start(hooks_.ctx);
  if (hooks_.on_progress) hooks_.on_progress(hooks_.ctx, received_, size_);
  return true;
}

bool Updater::durable_sha256(uint8_t out[crypto::kSha256Size]) const {
  if (size_ == 0 || durable_ == 0) return false;
  crypto::Sha256 copy = durable_sha256_;
  copy.finish(out);
  return true;
}

bool Updater::set_md5(const char* hex) {
  if (hex == nullptr || strlen(hex) != 32 || !is_hex(hex, 32)) {
    error_ = UpdateError::bad_md5_string;
    TextBuilder(message_, sizeof(message_)).add("ERROR[19]: ").add(describe(error_));
    return false;
  }
  memcpy(md5_expected_, hex, 32);
  md5_expected_[32] = '\0';
  md5_expected_set_ = true;
  return true;
}

bool Updater::flush_buffer() {
  uint32_t address = start_ + flushed_;
  if (address % kSectorSize == 0 && flash_.erase_sector(address / kSectorSize) != FlashStatus::ok)
    return fail(UpdateError::erase);
  // Only the last write can be short; flash takes whole words, so it is padded with 0xFF, which
  // leaves the erased bytes after the image as they are.
  uint32_t padded = round_up_flash_align(buffered_);
  memset(buffer_ + buffered_, 0xFF, padded - buffered_);
  if (flash_.write(address, buffer_, padded) != FlashStatus::ok) return fail(UpdateError::write);
  flushed_ += buffered_;
  buffered_ = 0;
  // Every flush but the last fills a whole sector, and sha256_ has seen exactly the flushed bytes.
  if (flushed_ % kSectorSize == 0) {
    durable_ = flushed_;
    durable_sha256_ = sha256_;
  }
  return true;
}

uint32_t Updater::write(const uint8_t* data, uint32_t len) {
  if (size_ == 0) {
    if (error_ == UpdateError::ok) fail(UpdateError::not_running);
    return 0;
  }
  if (len > size_ - received_) {
    char detail[80];
    TextBuilder(detail, sizeof(detail)).add("announced ").add_u32(size_).add(" bytes, got ")
        .add_u32(received_ + len);
    fail(UpdateError::too_much_data, detail);
    return 0;
  }
  if (len > 0 && received_ == 0 && command_ == UpdateCommand::flash && data[0] != kEspImageMagic && data[0] != kGzipMagic0) {
    fail(UpdateError::magic);
    return 0;
  }
  uint32_t taken = 0;
  while (taken < len) {
    uint32_t n = kBufferSize - buffered_;
    if (n > len - taken) n = len - taken;
    memcpy(buffer_ + buffered_, data + taken, n);
    md5_.update(data + taken, n);
    sha256_.update(data + taken, n);
    buffered_ += n;
    taken += n;
    received_ += n;
    if ((buffered_ == kBufferSize || received_ == size_) && !flush_buffer()) return 0;
  }
  if (hooks_.on_progress) hooks_.on_progress(hooks_.ctx, received_, size_);
  return taken;
}

bool Updater::verify_md5() {
  md5_.finish_hex(md5_hex_);
  if (!md5_expected_set_ || hex_equal_ci(md5_expected_, md5_hex_, 32)) return true;
  char detail[100];
  TextBuilder(detail, sizeof(detail)).add("expected: ").add(md5_expected_).add(", calculated: ").add(md5_hex_);
  return fail(UpdateError::md5, detail);
}

UpdateError Updater::error_for(const ImageAcceptance& verdict) {
  switch (verdict.verdict) {
    case ImageVerdict::malformed:
      return verdict.diagnosis.error == ImageError::bad_magic ? UpdateError::magic : UpdateError::bad_image;
    case ImageVerdict::flash_too_small: return UpdateError::new_flash_config;
    case ImageVerdict::too_large:
      return verdict.kind == EspFileKind::gzip ? UpdateError::gzip_too_large : UpdateError::space;
    case ImageVerdict::downgrade: return UpdateError::downgrade;
    default: return UpdateError::bad_image;
  }
}

// The acceptance rule over what arrived: signature, then the image (a gzip inflated below its
// staging area and checked in full). On success *address/*size/sha256 describe what to swap in.
bool Updater::accept_staged(uint32_t* address, uint32_t* size, uint8_t sha256[crypto::kSha256Size]) {
  *address = start_;
  *size = size_;
  if (verifier_ != nullptr && verifier_->signature_length() != 0) {
    FlashRegionReader file(flash_, start_, size_);
    SignedPayload signed_payload = check_signature(file, *verifier_, buffer_, kBufferSize);
    if (signed_payload.verdict != SignatureVerdict::valid)
      return fail(signed_payload.verdict == SignatureVerdict::unreadable ? UpdateError::read : UpdateError::sign,
                  signed_payload.detail);
    *size = signed_payload.payload_size;
    memcpy(sha256, signed_payload.payload_sha256, crypto::kSha256Size);
  }
  const ImageRules rules = boot_.image_rules();
  FlashRegionReader image(flash_, start_, *size);
  ImageAcceptance accepted = check_image(image, rules);
  if (accepted.verdict == ImageVerdict::needs_inflation) {
    uint32_t target = 0;
    if (!place_inflated(start_, boot_.state().active.size, accepted.inflated_size, &target)) {
      char detail[100];
      TextBuilder(detail, sizeof(detail)).add("inflates to ").add_u32(accepted.inflated_size)
          .add(" bytes; no room for it beside the running image and the staged gzip");
      return fail(UpdateError::gzip_too_large, detail);
    }
    if (inflater_ == nullptr) return fail(UpdateError::bad_image, "gzip image, but this device has no inflater");
    InflatedImage inflated;
    InflateResult r = inflate_to_flash(flash_, *inflater_, start_, *size, target, accepted.inflated_size, buffer_,
                                       &inflated);
    if (r != InflateResult::ok) return fail(r == InflateResult::flash_error ? UpdateError::write : UpdateError::bad_image,
                                            describe(r));
    FlashRegionReader unpacked(flash_, target, inflated.size);
    accepted = check_inflated_image(unpacked, rules);
    *address = target;
    *size = inflated.size;
    memcpy(sha256, inflated.sha256, crypto::kSha256Size);
  }
  if (!accepted.ok()) return fail(error_for(accepted), accepted.detail);
  return true;
}

// begin() was given an upper bound (an upload whose size shows only at its end), so the image sits
// as low as the largest one would. A gzip inflates right below it and may not fit there: it moves
// up to where begin() would have put its real size, sector by sector from the top (the two
// ranges overlap). Only staging sectors are touched, so a cut here leaves the running image alone.
bool Updater::move_to_placement() {
  uint8_t magic[2] = {};
  if (flash_read_bytes(flash_, start_, magic, sizeof(magic)) != FlashStatus::ok) return fail(UpdateError::read);
  if (magic[0] != 0x1f || magic[1] != 0x8b) return true;  // only a gzip needs the room below it
  uint32_t target = 0;
  if (!place_staging(layout_, boot_.state().active.size, size_, &target) || target <= start_) return true;
  for (uint32_t sector = round_up_4k(size_) / kSectorSize; sector-- > 0;) {
    const uint32_t offset = sector * kSectorSize;
    if (flash_.read(start_ + offset, buffer_, kSectorSize) != FlashStatus::ok) return fail(UpdateError::read);
    if (flash_.erase_sector((target + offset) / kSectorSize) != FlashStatus::ok) return fail(UpdateError::erase);
    if (flash_.write(target + offset, buffer_, kSectorSize) != FlashStatus::ok) return fail(UpdateError::write);
  }
  start_ = target;
  return true;
}

bool Updater::end(bool even_if_remaining) {
  if (size_ == 0) {
    if (error_ == UpdateError::ok) fail(UpdateError::not_running);
    return false;
  }
  if (received_ == 0) return fail(UpdateError::no_data);
  if (received_ < size_) {
    if (!even_if_remaining) {
      char detail[64];
      TextBuilder(detail, sizeof(detail)).add("received ").add_u32(received_).add(" of ").add_u32(size_).add(" bytes");
      return fail(UpdateError::premature_end, detail);
    }
    size_ = received_;
    if (buffered_ > 0 && !flush_buffer()) return false;
    if (command_ == UpdateCommand::flash && !move_to_placement()) return false;
  }
  uint8_t staged_sha256[crypto::kSha256Size];
  sha256_.finish(staged_sha256);
  if (!verify_md5()) return false;
  uint32_t staged_at = start_, staged_size = size_;
  if (command_ == UpdateCommand::flash) {
    if (!accept_staged(&staged_at, &staged_size, staged_sha256)) return false;
    if (!boot_.stage(staged_at, staged_size, staged_sha256)) return fail(UpdateError::write, "cannot write the boot command");
  }
  staged_at_ = staged_at;
  if (hooks_.on_end) hooks_.on_end(hooks_.ctx, true);
  reset();
  return true;
}

void Updater::abort() {
  if (size_ > 0) fail(UpdateError::aborted);
}

}  // namespace otakit
