#include "core/updater/updater.h"

#include <string.h>

#include "core/boot/boot_control.h"
#include "core/boot/image_probe.h"
#include "core/boot/placement.h"
#include "core/image/esp_image.h"
#include "core/image/signed_trailer.h"
#include "core/util/bytes.h"
#include "core/util/hex.h"
#include "core/util/text.h"

namespace otakit {
namespace {

constexpr uint8_t kGzipMagic0 = 0x1f, kGzipMagic1 = 0x8b;

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
  }
  return "UNKNOWN";
}

Updater::Updater(Flash& flash, const FlashLayout& layout, BootControl& boot)
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
  size_ = received_ = flushed_ = buffered_ = start_ = 0;
  md5_expected_set_ = false;
  command_ = UpdateCommand::flash;
}

void Updater::clear_error() {
  error_ = UpdateError::ok;
  message_[0] = '\0';
}

bool Updater::begin(uint32_t size, UpdateCommand command) {
  if (size_ > 0) return fail(UpdateError::running_already);
  clear_error();
  md5_hex_[0] = '\0';
  char detail[120];
  TextBuilder why(detail, sizeof(detail));
  if (size == 0) return fail(UpdateError::size, "size 0");
  uint32_t start = 0;
  if (command == UpdateCommand::flash) {
    if (boot_.on_trial())
      return fail(UpdateError::trial_pending);
    uint32_t running = boot_.state().active.size;
    if (!place_staging(layout_, running, size, &start)) {
      why.add("image needs ").add_u32(round_up_4k(size)).add(" bytes, at most ")
          .add_u32(staging_capacity(layout_, running)).add(" fit next to the running image of ")
          .add_u32(running).add(" bytes in layout ").add(layout_.name);
      return fail(UpdateError::space, detail);
    }
  } else if (command == UpdateCommand::filesystem) {
    if (round_up_4k(size) > layout_.fs_size()) {
      why.add("filesystem image needs ").add_u32(round_up_4k(size)).add(" bytes, layout ")
          .add(layout_.name).add(" has a filesystem of ").add_u32(layout_.fs_size());
      return fail(UpdateError::space, detail);
    }
    start = layout_.fs_start;
  } else {
    return fail(UpdateError::unknown_command);
  }
  command_ = command;
  start_ = start;
  size_ = size;
  received_ = flushed_ = buffered_ = 0;
  md5_.reset();
  sha256_.reset();
  if (hooks_.on_start) hooks_.on_start(hooks_.ctx);
  if (hooks_.on_progress) hooks_.on_progress(hooks_.ctx, 0, size_);
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
  if (flash_.write(address, buffer_, buffered_) != FlashStatus::ok) return fail(UpdateError::write);
  flushed_ += buffered_;
  buffered_ = 0;
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

uint32_t Updater::write_stream(uint32_t (*read)(void* ctx, uint8_t* buf, uint32_t max), void* ctx) {
  uint32_t total = 0;
  uint8_t chunk[256];
  while (size_ > 0 && received_ < size_) {
    uint32_t want = size_ - received_ < sizeof(chunk) ? size_ - received_ : uint32_t(sizeof(chunk));
    uint32_t got = read(ctx, chunk, want);
    if (got == 0) {
      char detail[64];
      TextBuilder(detail, sizeof(detail)).add("received ").add_u32(received_).add(" of ").add_u32(size_).add(" bytes");
      fail(UpdateError::stream, detail);
      return total;
    }
    if (write(chunk, got) != got) return total;
    total += got;
  }
  return total;
}

bool Updater::verify_md5() {
  uint8_t digest[16];
  md5_.finish(digest);
  to_hex(digest, 16, md5_hex_);
  if (!md5_expected_set_ || hex_equal_ci(md5_expected_, md5_hex_, 32)) return true;
  char detail[100];
  TextBuilder(detail, sizeof(detail)).add("expected: ").add(md5_expected_).add(", calculated: ").add(md5_hex_);
  return fail(UpdateError::md5, detail);
}

bool Updater::verify_image_header() {
  if (command_ != UpdateCommand::flash) return true;
  uint8_t head[4];
  if (flash_.read(start_, head, sizeof(head)) != FlashStatus::ok) return fail(UpdateError::read);
  if (head[0] == kGzipMagic0 && head[1] == kGzipMagic1) return true;
  if (head[0] != kEspImageMagic) return fail(UpdateError::magic);
  uint32_t declared = flash_size_from_code(uint8_t(head[3] >> 4));
  if (declared > flash_.size()) {
    char detail[40];
    TextBuilder(detail, sizeof(detail)).add("real size: ").add_u32(flash_.size());
    return fail(UpdateError::new_flash_config, detail);
  }
  return true;
}

// For a signed image, payload_sha256 becomes the hash of the payload that the signature covers.
bool Updater::verify_signature(uint32_t* payload_size, uint8_t payload_sha256[crypto::kSha256Size]) {
  *payload_size = size_;
  uint32_t key_length = verifier_ == nullptr ? 0 : verifier_->signature_length();
  if (key_length == 0) return true;
  uint8_t field[4];
  if (size_ < 4 || flash_.read(start_ + size_ - 4, field, 4) != FlashStatus::ok)
    return fail(UpdateError::sign, describe(TrailerError::too_short));
  SignedLayout signed_layout;
  TrailerError trailer = parse_signed_trailer(size_, load_le32(field), key_length, &signed_layout);
  if (trailer != TrailerError::ok) {
    char detail[100];
    TextBuilder(detail, sizeof(detail)).add("image is not signed for this key (").add(describe(trailer)).add(")");
    return fail(UpdateError::sign, detail);
  }
  // The signature covers the bytes as received: hash them back from the staging area, which
  // holds exactly what arrived (nothing is patched).
  crypto::Sha256 sha;
  uint32_t at = 0;
  while (at < signed_layout.payload_size) {
    uint32_t n = signed_layout.payload_size - at < kBufferSize ? signed_layout.payload_size - at : kBufferSize;
    if (flash_.read(start_ + at, buffer_, n) != FlashStatus::ok) return fail(UpdateError::read);
    sha.update(buffer_, n);
    at += n;
  }
  uint8_t digest[crypto::kSha256Size];
  sha.finish(digest);
  if (flash_.read(start_ + signed_layout.signature_offset, buffer_, signed_layout.signature_length) != FlashStatus::ok)
    return fail(UpdateError::read);
  if (!verifier_->verify(digest, buffer_, signed_layout.signature_length))
    return fail(UpdateError::sign, "signature does not match the image and key");
  memcpy(payload_sha256, digest, sizeof(digest));
  *payload_size = signed_layout.payload_size;
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
  }
  uint32_t payload = size_;
  uint8_t staged_sha256[crypto::kSha256Size];
  sha256_.finish(staged_sha256);
  if (!verify_md5() || !verify_image_header() || !verify_signature(&payload, staged_sha256)) return false;
  if (command_ == UpdateCommand::flash) {
    uint8_t head[2];
    if (flash_.read(start_, head, 2) != FlashStatus::ok) return fail(UpdateError::read);
    uint32_t running = boot_.state().active.size;
    if (head[0] == kGzipMagic0 && head[1] == kGzipMagic1) {
      uint8_t isize[4];
      uint32_t target = 0;
      if (payload < 18 || flash_.read(start_ + payload - 4, isize, 4) != FlashStatus::ok)
        return fail(UpdateError::gzip_too_large, "gzip stream too short");
      if (!place_inflated(start_, running, load_le32(isize), &target)) {
        char detail[100];
        TextBuilder(detail, sizeof(detail)).add("inflates to ").add_u32(load_le32(isize))
            .add(" bytes; no room for it beside the running image and the staged gzip");
        return fail(UpdateError::gzip_too_large, detail);
      }
    } else {
      uint32_t version = probe_security_version(flash_, start_, payload);
      if (version < boot_.state().min_security_version) {
        char detail[80];
        TextBuilder(detail, sizeof(detail)).add("image has ").add_u32(version).add(", device requires at least ")
            .add_u32(boot_.state().min_security_version);
        return fail(UpdateError::downgrade, detail);
      }
    }
    if (!boot_.stage(start_, payload, staged_sha256)) return fail(UpdateError::write, "cannot write the boot command");
  }
  staged_at_ = start_;
  if (hooks_.on_end) hooks_.on_end(hooks_.ctx, true);
  reset();
  return true;
}

void Updater::abort() {
  if (size_ > 0) fail(UpdateError::aborted);
}

}  // namespace otakit
