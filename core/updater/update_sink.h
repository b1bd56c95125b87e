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
  // As end(), but the bytes written so far are the whole image: for a body of unannounced length
  // (chunked HTTP), whose update was begun with the most that fits.
  virtual bool end_at_received() = 0;
  // Drops the update in progress, if any: the running image stays.
  virtual void abort() = 0;
  // "ERROR[n]: text" after a failed call; valid until the next call.
  virtual const char* error_message() const = 0;

 protected:
  ~UpdateSink() = default;
};

class UpdaterSink final : public UpdateSink {
 public:
  explicit UpdaterSink(Updater& updater) : updater_(updater) {}
  bool begin(uint32_t size, UpdateCommand command, const char* md5_hex) override;
  uint32_t write(const uint8_t* data, uint32_t len) override { return updater_.write(data, len); }
  bool end() override { return updater_.end(); }
  bool end_at_received() override { return updater_.end(true); }
  void abort() override { updater_.abort(); }
  const char* error_message() const override {
    return begin_error_[0] != '\0' ? begin_error_ : updater_.error_message();
  }

 private:
  Updater& updater_;
  char begin_error_[Updater::kMessageSize] = {};  // set_md5's reason, which abort() would overwrite
};

}  // namespace otakit
