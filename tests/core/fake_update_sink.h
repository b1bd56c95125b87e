// An UpdateSink standing in for the Updater in the espota and pull session tests: it takes bytes up to a
// limit, fails begin or end on request, and counts every call the session makes.
#pragma once
#include <cstdint>
#include <string>

#include "core/updater/update_sink.h"

namespace otakit::testing {

class FakeUpdateSink final : public UpdateSink {
 public:
  // Behaviour for the calls to come: an empty error means success.
  std::string begin_error;
  std::string end_error;
  uint32_t write_limit = UINT32_MAX;  // total bytes the "flash" takes before failing

  // What the session did.
  int begins = 0;
  int writes = 0;
  int ends = 0;
  int ends_at_received = 0;
  int aborts = 0;
  uint32_t begun_size = 0;
  UpdateCommand begun_command = UpdateCommand::flash;
  std::string begun_md5;
  std::string written;

  bool begin(uint32_t size, UpdateCommand command, const char* md5_hex) override {
    ++begins;
    begun_size = size;
    begun_command = command;
    begun_md5 = md5_hex ? md5_hex : "";
    error_ = begin_error;
    return begin_error.empty();
  }
  uint32_t write(const uint8_t* data, uint32_t len) override {
    ++writes;
    uint32_t room = write_limit - static_cast<uint32_t>(written.size());
    uint32_t take = len < room ? len : room;
    written.append(reinterpret_cast<const char*>(data), take);
    if (take < len) error_ = "ERROR[1]: Flash Write Failed";
    return take;
  }
  bool end() override {
    ++ends;
    error_ = end_error;
    return end_error.empty();
  }
  bool end_at_received() override {
    ++ends_at_received;
    return end();
  }
  void abort() override { ++aborts; }
  const char* error_message() const override { return error_.c_str(); }

 private:
  std::string error_;
};

}  // namespace otakit::testing
