// Where the espota responder puts the image: the calls it needs from an Updater, so tests can
// stand in a fake; UpdaterSink forwards them to the real otakit::Updater.
#pragma once
#include <cstdint>
#include <string>

#include "core/updater/updater.h"

namespace otakit::net {

class UpdateSink {
 public:
  virtual ~UpdateSink() = default;
  // begin(size, command) and set_md5(md5_hex); on failure nothing is left running.
  virtual bool begin(uint32_t size, UpdateCommand command, const char* md5_hex) = 0;
  virtual uint32_t write(const uint8_t* data, uint32_t len) = 0;
  virtual bool end() = 0;
  virtual void abort() = 0;
  // "ERROR[n]: text" after a failed call.
  virtual const char* error_message() const = 0;
};

class UpdaterSink : public UpdateSink {
 public:
  explicit UpdaterSink(Updater& updater) : updater_(updater) {}
  bool begin(uint32_t size, UpdateCommand command, const char* md5_hex) override;
  uint32_t write(const uint8_t* data, uint32_t len) override { return updater_.write(data, len); }
  bool end() override { return updater_.end(); }
  void abort() override { updater_.abort(); }
  const char* error_message() const override {
    return begin_error_.empty() ? updater_.error_message() : begin_error_.c_str();
  }

 private:
  Updater& updater_;
  std::string begin_error_;  // set_md5's reason, which abort() would overwrite
};

}  // namespace otakit::net
