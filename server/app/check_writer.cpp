// The group-commit loop (check_writer.h).
#include "server/app/check_writer.h"

#include <spdlog/spdlog.h>

namespace otakit::server {

constexpr size_t kMaxBatch = 512;  // bounds one transaction's length (and a check's wait)

struct CheckWriter::Job {
  bool is_check = true;
  CheckReport report;
  int64_t now = 0;
  Done done;
  // a download's end
  int64_t firmware_id = 0, rollout_id = 0;
  uint64_t first_byte = 0, sent = 0;
  bool complete = false;
  // filled in by record()
  CheckOutcome outcome;
  std::exception_ptr error;
};

CheckWriter::CheckWriter(std::unique_ptr<Database> db, const std::string& instance, CheckPolicy policy)
    : db_(std::move(db)), store_(*db_, instance), policy_(policy), thread_([this] { run(); }) {}

CheckWriter::~CheckWriter() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void CheckWriter::check(CheckReport report, int64_t now, Done done) {
  Job job;
  job.report = std::move(report);
  job.now = now;
  job.done = std::move(done);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(job));
  }
  wake_.notify_one();
}

void CheckWriter::download_ended(std::string mac, int64_t firmware_id, int64_t rollout_id, uint64_t first_byte,
                                 uint64_t sent, bool complete, int64_t now) {
  Job job;
  job.is_check = false;
  job.report.sta_mac = std::move(mac);
  job.now = now;
  job.firmware_id = firmware_id;
  job.rollout_id = rollout_id;
  job.first_byte = first_byte;
  job.sent = sent;
  job.complete = complete;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(job));
  }
  wake_.notify_one();
}

void CheckWriter::run() {
  for (;;) {
    std::deque<Job> batch;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything is recorded
      while (!queue_.empty() && batch.size() < kMaxBatch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    record(batch);
    for (Job& job : batch)
      if (job.done) job.done(std::move(job.outcome), job.error);
  }
}

void CheckWriter::record(std::deque<Job>& batch) {
  auto one = [this](Job& job) {
    if (job.is_check) job.outcome = store_.record_check(job.report, job.now, policy_);
    else store_.record_download(job.report.sta_mac, job.firmware_id, job.rollout_id, job.first_byte, job.sent,
                                job.complete, job.now);
  };
  try {
    db_->transaction([&] {
      store_.pin_catalog(true);
      for (Job& job : batch) one(job);
      store_.pin_catalog(false);
    });
    return;
  } catch (const std::exception& e) {
    store_.pin_catalog(false);
    spdlog::warn("a batch of {} records failed ({}); recording them one by one", batch.size(), e.what());
  }
  // One bad record must not fail its neighbours: each in its own transaction.
  for (Job& job : batch) {
    job.outcome = CheckOutcome{};
    job.error = nullptr;
    try {
      db_->transaction([&] { one(job); });
    } catch (const std::exception& e) {
      spdlog::error("check mac={} not recorded: {}", job.report.sta_mac, e.what());
      job.error = std::current_exception();
    }
  }
}

}  // namespace otakit::server
