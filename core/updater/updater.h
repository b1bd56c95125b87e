// The Updater: streams a new firmware or filesystem image into flash, verifies it, and stages it
// for the boot path. The interface follows the ESP8266 core's Update class (begin/write/end, the
// same error numbers and texts) and closes its gaps: MD5 is checked whenever one is given, the
// signature covers the bytes as received, the image is checked in full by the acceptance rule
// (a gzip inflated and walked) before end() succeeds, a premature end says why, and the running
// image is never touched: a sketch image is staged in the free gap and only the boot path swaps it in.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "core/crypto/digest.h"
#include "core/crypto/signature_verifier.h"
#include "core/flash/flash.h"
#include "core/flash/layout.h"
#include "core/image/acceptance.h"
#include "core/image/inflater.h"

namespace otakit {

class AppBoot;

enum class UpdateCommand : uint8_t { flash = 0, filesystem = 100 };

// Numbers 0-16 are the ESP8266 core's (same meaning, same text); 17+ are OTAKit's own.
enum class UpdateError : uint8_t {
  ok = 0,
  write = 1,
  erase = 2,
  read = 3,
  space = 4,
  size = 5,
  stream = 6,
  md5 = 7,
  flash_config = 8,
  new_flash_config = 9,
  magic = 10,
  bootstrap = 11,
  sign = 12,
  no_data = 13,
  oom = 14,
  running_already = 15,
  unknown_command = 16,
  premature_end = 17,   // end() before all announced bytes arrived
  too_much_data = 18,   // write() beyond the size given to begin()
  bad_md5_string = 19,  // set_md5() with something that is not 32 hex digits
  trial_pending = 20,   // the running image is still on trial: confirm or roll back first
  downgrade = 21,       // anti-rollback: the image's security version is below the device's
  aborted = 22,         // abort() was called
  not_running = 23,     // write()/end() with no update in progress
  gzip_too_large = 24,  // a gzip image inflates to more than the slot can hold
  bad_image = 25,       // not a firmware image by core/image/acceptance.h (the detail says why)
  resume_mismatch = 26, // resume(): the staged bytes are not the interrupted update's (the detail says why)
};

// The original's text for each number ("MD5 verification failed" etc.), without details.
const char* describe(UpdateError error);

struct UpdaterHooks {
  void* ctx = nullptr;
  void (*on_start)(void* ctx) = nullptr;
  void (*on_progress)(void* ctx, uint32_t done, uint32_t total) = nullptr;
  void (*on_end)(void* ctx, bool success) = nullptr;  // once per begun update
  void (*on_error)(void* ctx, UpdateError error) = nullptr;
};

class Updater {
 public:
  static constexpr uint32_t kBufferSize = kSectorSize;
  static constexpr size_t kMessageSize = 160;  // room for error_message() and its NUL

  Updater(Flash& flash, const FlashLayout& layout, AppBoot& boot);

  // Signature check for every later update; nullptr (the default) accepts unsigned images.
  void set_verifier(const crypto::SignatureVerifier* verifier) { verifier_ = verifier; }
  void set_hooks(const UpdaterHooks& hooks) { hooks_ = hooks; }
  // Inflates gzip uploads at end() to check them in full and stage the image inside; without one
  // gzip uploads are refused.
  void set_inflater(Inflater* inflater) { inflater_ = inflater; }

  bool begin(uint32_t size, UpdateCommand command = UpdateCommand::flash);
  // Reopens an update that a reset or power cut interrupted, as if begin(size, command) had run
  // and the first `offset` bytes had been written: the staging address comes from the same rule
  // as begin()'s (so the same checks and errors apply), the staged bytes [0, offset) are read
  // back from flash to rebuild the MD5 and SHA-256, and they must start like an image (sketch)
  // and hash to prefix_sha256, which durable_sha256() gave before the interruption. offset must
  // be a whole number of sectors below size. Fails with resume_mismatch (and why) when anything
  // differs, read when the flash cannot be read; then nothing is running. set_md5() may follow.
  // Reads and hashes `offset` bytes of flash before it returns.
  bool resume(uint32_t size, UpdateCommand command, uint32_t offset, const uint8_t prefix_sha256[crypto::kSha256Size]);
  // Expected MD5 of all bytes to be written (32 hex digits, any case).
  bool set_md5(const char* hex);
  // Takes up to len bytes; returns how many were taken (0 on error, see error()).
  uint32_t write(const uint8_t* data, uint32_t len);
  // Verifies and stages. even_if_remaining takes the bytes received so far as the whole image.
  bool end(bool even_if_remaining = false);
  void abort();

  bool is_running() const { return size_ > 0; }
  bool is_finished() const { return size_ > 0 && received_ == size_; }
  bool has_error() const { return error_ != UpdateError::ok; }
  UpdateError error() const { return error_; }
  void clear_error();
  // "ERROR[n]: <text>" exactly as the ESP8266 prints it (no newline), with details when known.
  const char* error_message() const { return message_; }
  uint32_t size() const { return size_; }
  uint32_t progress() const { return received_; }
  uint32_t remaining() const { return size_ - received_; }
  // Where a resume() could start after a power cut now: the bytes from the start that are on
  // flash in whole sectors (a multiple of kSectorSize; 0 when idle or before the first sector).
  uint32_t durable_offset() const { return durable_; }
  // The SHA-256 of those bytes, for resume(); false when durable_offset() is 0.
  bool durable_sha256(uint8_t out[crypto::kSha256Size]) const;
  UpdateCommand command() const { return command_; }
  // Lowercase MD5 of what was written, valid after a successful end().
  const char* md5_hex() const { return md5_hex_; }
  // Where the last successful end() staged its image (the eboot command's source).
  uint32_t staged_address() const { return staged_at_; }

 private:
  bool fail(UpdateError error, const char* detail = nullptr);
  bool place(uint32_t size, UpdateCommand command, uint32_t* start);
  bool rehash_staged(uint32_t start, uint32_t offset, UpdateCommand command);
  bool flush_buffer();
  bool move_to_placement();
  bool verify_md5();
  bool accept_staged(uint32_t* address, uint32_t* size, uint8_t sha256[crypto::kSha256Size]);
  static UpdateError error_for(const ImageAcceptance& verdict);
  void reset();

  Flash& flash_;
  const FlashLayout& layout_;
  AppBoot& boot_;
  const crypto::SignatureVerifier* verifier_ = nullptr;
  Inflater* inflater_ = nullptr;
  UpdaterHooks hooks_;

  UpdateCommand command_ = UpdateCommand::flash;
  UpdateError error_ = UpdateError::ok;
  uint32_t start_ = 0;     // flash address of the staging area
  uint32_t staged_at_ = 0;
  uint32_t size_ = 0;      // announced size; 0 when idle
  uint32_t received_ = 0;  // bytes accepted so far (buffered or flushed)
  uint32_t flushed_ = 0;   // bytes written to flash
  uint32_t buffered_ = 0;
  uint32_t durable_ = 0;   // bytes in whole flushed sectors from the start
  bool md5_expected_set_ = false;
  char md5_expected_[33] = {};
  char md5_hex_[crypto::kMd5HexSize] = {};
  char message_[kMessageSize] = {};
  crypto::Md5 md5_;
  crypto::Sha256 sha256_;  // of the bytes as received: the boot path swaps in only these bytes
  crypto::Sha256 durable_sha256_;  // sha256_ as it stood at durable_
  alignas(4) uint8_t buffer_[kBufferSize];
};

}  // namespace otakit
