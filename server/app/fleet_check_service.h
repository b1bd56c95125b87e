// The fleet mode's CheckService: checks recorded through the group-commit writer, bytes from the
// blob store (read on the worker's own connection when a shared database holds them).
#pragma once
#include "server/app/check_writer.h"
#include "server/protocol/update_endpoint.h"
#include "server/store/blob_store.h"
#include "server/store/fleet_store.h"

namespace otakit::server {

class FleetCheckService final : public CheckService {
 public:
  FleetCheckService(CheckWriter& writer, FleetStore& store, Database& db, BlobStore& blobs, CheckPolicy policy)
      : writer_(writer), store_(store), db_(db), blobs_(blobs), policy_(policy) {}
  CheckOutcome check(const CheckReport& report, int64_t now) override { return store_.record_check(report, now, policy_); }
  void check_async(const CheckReport& report, int64_t now, CheckDone done) override {
    writer_.check(report, now, std::move(done));
  }
  std::string file_of(const Firmware& firmware) override { return blobs_.path(db_, firmware.sha256); }
  void download_ended(const CheckReport& report, const CheckOutcome& outcome, uint64_t first_byte, uint64_t bytes_sent,
                      bool complete, int64_t now) override {
    writer_.download_ended(report.sta_mac, outcome.firmware->id, outcome.rollout_id, first_byte, bytes_sent, complete,
                           now);
  }

 private:
  CheckWriter& writer_;
  FleetStore& store_;
  Database& db_;
  BlobStore& blobs_;
  CheckPolicy policy_;
};

}  // namespace otakit::server
