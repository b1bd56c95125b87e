// The pull protocol's endpoint: a check in, 403/304/200/206 out, with the image's bytes from a
// file and the download's end recorded. What to offer comes from a CheckService: the fleet
// (registry, rollouts) or the simple mode's mapping file.
#pragma once
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <string>

#include "server/fleet/model.h"
#include "server/http/exchange.h"
#include "server/metrics/metrics.h"
#include "server/store/fleet_store.h"

namespace otakit::server {

class CheckService {
 public:
  virtual ~CheckService() = default;
  virtual CheckOutcome check(const CheckReport& report, int64_t now) = 0;
  // Answers later, from any thread; the default answers at once with check().
  using CheckDone = std::function<void(CheckOutcome, std::exception_ptr)>;
  virtual void check_async(const CheckReport& report, int64_t now, CheckDone done);
  // The file holding the firmware's bytes.
  virtual std::string file_of(const Firmware& firmware) = 0;
  virtual void download_ended(const CheckReport& report, const CheckOutcome& outcome, uint64_t first_byte,
                              uint64_t bytes_sent, bool complete, int64_t now) = 0;
};

using MillisecondClock = std::function<int64_t()>;

class UpdateEndpoint {
 public:
  UpdateEndpoint(CheckService& service, Metrics& metrics, MillisecondClock now);
  // Answers once the service has recorded the check.
  void answer_async(const Request& request, RequestHandler::Reply reply);

 private:
  Response respond(const Request& request, const CheckReport& report, const CheckOutcome& outcome,
                   std::chrono::steady_clock::time_point started);
  Response offer(const Request& request, const CheckReport& report, const CheckOutcome& outcome);
  CheckService& service_;
  Metrics& metrics_;
  MillisecondClock now_;
};

}  // namespace otakit::server
