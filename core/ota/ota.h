// The OTA API a firmware author uses, in one place. An update goes:
//
//   begin(size)  ->  write(...) until all bytes are in  ->  end()   the image is checked and staged
//   reboot           the boot loader (core/boot/loader.h) swaps it in; it now runs on trial
//   mark_valid()     the new image stays, or
//   roll_back()      the next boot swaps the previous image back (so does a trial image that is
//                    never marked valid within BootOptions::max_trial_boots boots)
//
// The running image is never touched before the reboot: abort(), a failed call, a lost
// connection or a power cut at any moment leave the device booting what it ran. Failures are the
// Updater's numbered errors (core/updater/updater.h, ESP8266 Update's numbers and texts); error()
// and error_message() say what went wrong after any call that returned false or 0.
#pragma once
#include <stdint.h>

#include "core/boot/app_boot.h"
#include "core/crypto/signature_verifier.h"
#include "core/flash/flash.h"
#include "core/flash/layout.h"
#include "core/image/inflater.h"
#include "core/updater/updater.h"

namespace otakit {

class Ota {
 public:
  Ota(Flash& flash, const FlashLayout& layout, RtcMemory& rtc);

  // Reads the state the boot loader left. Call once at start-up, after the loader ran.
  // Fails (flash_error's text) when the journal cannot be read; then no update can begin.
  bool start();

  // --- one update ---
  // Reserves room for `size` bytes. Fails with: space (does not fit beside the running image),
  // size, trial_pending (the running image is on trial: mark it valid or roll back first),
  // running_already, unknown_command, read (the boot journal could not be read at start()).
  bool begin(uint32_t size, UpdateCommand command = UpdateCommand::flash) { return updater_.begin(size, command); }
  // Optional, after begin(): the MD5 (32 hex digits) the bytes must have. Fails: bad_md5_string.
  bool set_md5(const char* hex) { return updater_.set_md5(hex); }
  // Takes up to len bytes and returns how many it took; 0 on failure: write, erase (flash),
  // magic (the first bytes are no firmware), too_much_data, not_running.
  uint32_t write(const uint8_t* data, uint32_t len) { return updater_.write(data, len); }
  // Checks everything and sets the image to boot next ("set boot"). Fails with: no_data,
  // premature_end, md5, sign or read (bad or missing signature when one is required), magic or
  // bad_image (not a firmware this chip can run), new_flash_config (made for a larger flash),
  // space, gzip_too_large, downgrade (security version below the floor), write (flash or the
  // boot command could not be written). After a failure nothing is staged.
  bool end() { return updater_.end(); }
  // Stops the update in progress; nothing is staged.
  void abort() { updater_.abort(); }

  UpdateError error() const { return updater_.error(); }
  const char* error_message() const { return updater_.error_message(); }

  // --- after the reboot into a new image ---
  bool on_trial() const { return boot_.on_trial(); }
  // Keeps the running trial image for good. Fails when nothing is on trial or the journal
  // cannot be written (then the image is still on trial and will be rolled back).
  bool mark_valid() { return boot_.confirm(); }
  // Gives up on the running trial image; the next boot restores the previous one. Fails when
  // nothing is on trial or the journal cannot be written.
  bool roll_back() { return boot_.reject_trial(); }

  // --- settings, once at start-up ---
  // Every later image must carry a valid signature for this verifier (nullptr: unsigned allowed).
  void require_signature(const crypto::SignatureVerifier* verifier) { updater_.set_verifier(verifier); }
  // Accepts gzip images, inflated at end() to be checked in full.
  void accept_gzip(Inflater* inflater) { updater_.set_inflater(inflater); }

  const BootState& state() const { return boot_.state(); }
  // For protocol drivers that stream into the Updater (espota, HTTP upload and pull), and for
  // tests and tools that look at the boot state in detail.
  Updater& updater() { return updater_; }
  AppBoot& app_boot() { return boot_; }

 private:
  AppBoot boot_;
  Updater updater_;
};

}  // namespace otakit
