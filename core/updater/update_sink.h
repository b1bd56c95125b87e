// The one way a protocol feeds an image into the Updater (espota and the HTTP pull client now, HTTP upload later):
// the UpdateSink its session calls, and UpdaterSink, which forwards to otakit::Updater.
#pragma once
#include <stdint.h>

#include "core/updater/updater.h"

namespace otakit {

class UpdateSink {
 public:
  // begin(size, command), then set_md5(md5_hex) unless it is nullptr; on failure nothing is left
  // running.
  virtual bool begin(uint32_t size, UpdateCommand command, const char* md5_hex) = 0;
  // How many of the len bytes were taken; fewer is a failure.
  virtual uint32_t write(const uint8_t* data, uint32_t len) = 0;
  // Verifies and stages what was written; on failure nothing is staged.
  virtual bool end() = 0;
  // The same, taking the bytes written so far as the whole image: for uploads whose size is
  // known only when they end (a multipart file part), where begin() was given an upper bound.
  virtual bool end_at_received() = 0;
  // Drops the update in progress, if any: the running image stays.
  virtual void abort() = 0;
  // "ERROR[n]: text" after a failed call; valid until the next call.
  virtual const char* error_message() const = 0;

  // Resuming across a reset (Updater::resume()). A sink that cannot resume keeps these defaults:
  // resume() refuses and no durable offset is ever reported, so nothing is saved to resume from.
  //
  // Reopens an update interrupted after `offset` bytes whose SHA-256 was prefix_sha256, then
  // set_md5(md5_hex) unless it is nullptr; on failure nothing is left running.
  virtual bool resume(uint32_t /*size*/, UpdateCommand /*command*/, const char* /*md5_hex*/, uint32_t /*offset*/,
                      const uint8_t* /*prefix_sha256*/) {
    return false;
  }
  // How many bytes from the start are on flash in whole sectors (Updater::durable_offset()).
  virtual uint32_t durable_offset() const { return 0; }
  // Their SHA-256 (crypto::kSha256Size bytes); false when there are none.
  virtual bool durable_sha256(uint8_t* /*out*/) const { return false; }

 protected:
  ~UpdateSink() = default;
};

// Several protocols may share one Updater, each through its own UpdaterSink: a sink acts on the
// Updater only for the update it began itself, so one protocol's failure (a second upload refused
// with "Update already running") never aborts another's upload.
class UpdaterSink final : public UpdateSink {
 public:
  explicit UpdaterSink(Updater& updater) : updater_(updater) {}
  bool begin(uint32_t size, UpdateCommand command, const char* md5_hex) override;
  bool resume(uint32_t size, UpdateCommand command, const char* md5_hex, uint32_t offset,
              const uint8_t* prefix_sha256) override;
  uint32_t durable_offset() const override { return owns_update_ ? updater_.durable_offset() : 0; }
  bool durable_sha256(uint8_t* out) const override { return owns_update_ && updater_.durable_sha256(out); }
  uint32_t write(const uint8_t* data, uint32_t len) override;
  bool end() override { return finish(false); }
  bool end_at_received() override { return finish(true); }
  void abort() override;
  const char* error_message() const override {
    return begin_error_[0] != '\0' ? begin_error_ : updater_.error_message();
  }

 private:
  bool finish(bool at_received);
  bool set_md5_or_abort(const char* md5_hex);
  bool refuse_idle();

  Updater& updater_;
  bool owns_update_ = false;  // this sink began the update the Updater is running
  char begin_error_[Updater::kMessageSize] = {};  // set_md5's reason, which abort() would overwrite
};

}  // namespace otakit
