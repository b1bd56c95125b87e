// Group commit for update checks: one thread with its own connection takes every check queued
// since its last commit and records them in one transaction, then hands each its answer. A check
// is answered only after its records are committed (nothing answered is lost in a crash), and a
// commit's cost (the WAL pages, the round trip to PostgreSQL) is shared by the whole batch.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "server/store/database.h"
#include "server/store/fleet_store.h"

namespace otakit::server {

class CheckWriter {
 public:
  using Done = std::function<void(CheckOutcome, std::exception_ptr)>;
  CheckWriter(std::unique_ptr<Database> db, const std::string& instance, CheckPolicy policy);
  ~CheckWriter();  // records what is queued, then stops

  // Thread-safe. done runs on the writer's thread, after the commit.
  void check(CheckReport report, int64_t now, Done done);
  void download_ended(std::string mac, int64_t firmware_id, int64_t rollout_id, uint64_t first_byte, uint64_t sent,
                      bool complete, int64_t now);

 private:
  struct Job;
  void run();
  void record(std::deque<Job>& batch);

  std::unique_ptr<Database> db_;
  FleetStore store_;
  CheckPolicy policy_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace otakit::server
