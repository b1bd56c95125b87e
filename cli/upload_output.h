// What `otakit upload` shows: espota.py's stderr progress for one device ("Uploading" and dots,
// or the 60-column bar with -r), one live line per device for several, and the final table,
// messages and JSON. The exit code for each outcome class is decided here too.
#pragma once
#include <fmt/core.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/exit_codes.h"
#include "net/espota_uploader.h"

namespace otakit::cli {

inline int exit_code_for(espota::UploadOutcome outcome) {
  using espota::UploadOutcome;
  switch (outcome) {
    case UploadOutcome::ok: return kExitOk;
    case UploadOutcome::no_answer:
    case UploadOutcome::auth_no_answer: return kExitNoAnswer;
    case UploadOutcome::auth_failed: return kExitAuthFailed;
    case UploadOutcome::no_connection:
    case UploadOutcome::transfer_failed:
    case UploadOutcome::no_result: return kExitTransferFailed;
    case UploadOutcome::device_busy:
    case UploadOutcome::device_rejected: return kExitDeviceRejected;
    case UploadOutcome::protocol_error: return kExitProtocolError;
    case UploadOutcome::local_error: return kExitFailure;
  }
  return kExitFailure;
}

// All ok: 0. Failures of one class: that class's code. A mix: kExitFailure.
inline int combined_exit_code(const std::vector<net::EspotaUploadResult>& results) {
  int code = kExitOk;
  for (const auto& r : results) {
    int c = exit_code_for(r.outcome);
    if (c == kExitOk) continue;
    if (code == kExitOk) code = c;
    else if (code != c) return kExitFailure;
  }
  return code;
}

inline std::string device_label(const net::EspotaTarget& t) { return t.host + ":" + std::to_string(t.port); }

// What to try next, per failure class (the message itself says what happened); `web` for --url.
inline const char* hint_for(espota::UploadOutcome outcome, bool web) {
  using espota::UploadOutcome;
  if (web) {
    switch (outcome) {
      case UploadOutcome::no_answer: return "check the URL's host and port, and that the device serves its update page";
      case UploadOutcome::auth_failed: return "pass the update page's user and password with --user and --password";
      case UploadOutcome::device_busy: return "another upload is running on the device; try again when it ends";
      default: return nullptr;
    }
  }
  switch (outcome) {
    case UploadOutcome::no_answer:
      return "check the IP and -p port, that the sketch calls ArduinoOTA.handle(), and that UDP reaches the device";
    case UploadOutcome::auth_failed: return "pass the device's OTA password with -a/--auth";
    case UploadOutcome::device_busy: return "another upload is running on the device; try again when it ends";
    case UploadOutcome::no_connection: return "allow incoming TCP on the host port (-P) or pick the right -I address";
    default: return nullptr;
  }
}

class UploadDisplay {
 public:
  UploadDisplay(const std::vector<net::EspotaTarget>& targets, bool bar, bool quiet)
      : targets_(targets),
        lines_(targets.size()),
        phases_(targets.size(), net::EspotaPhase::done),
        quarters_(targets.size(), 0),
        bar_(bar),
        quiet_(quiet),
        tty_(isatty(STDERR_FILENO) != 0) {}

  void update(const net::EspotaProgress& p) {
    if (quiet_) return;
    if (targets_.size() == 1) return single(p);
    many(p);
  }

  void finish() {
    if (quiet_ || targets_.size() != 1) return;
    if (started_upload_ && !bar_) fmt::print(stderr, "\n");
  }

 private:
  // espota.py: "Authenticating...OK", then "Uploading" and dots, or the bar with -r.
  void single(const net::EspotaProgress& p) {
    if (p.phase == net::EspotaPhase::authenticating && !said_auth_) {
      said_auth_ = true;
      fmt::print(stderr, "Authenticating...");
    }
    if (said_auth_ && !said_auth_ok_ && p.phase >= net::EspotaPhase::waiting_connection && p.phase != net::EspotaPhase::done) {
      said_auth_ok_ = true;
      fmt::print(stderr, "OK\n");
    }
    if (said_auth_ && !said_auth_ok_ && p.phase == net::EspotaPhase::done) {
      said_auth_ok_ = true;
      fmt::print(stderr, "FAIL\n");
    }
    if (p.phase != net::EspotaPhase::sending && p.phase != net::EspotaPhase::verifying) return;
    if (!started_upload_) {
      started_upload_ = true;
      if (!bar_) fmt::print(stderr, "Uploading");
    }
    int percent = p.size ? int(uint64_t(p.sent) * 100 / p.size) : 100;
    if (bar_) {
      if (percent == last_percent_) return;
      last_percent_ = percent;
      int blocks = percent * 60 / 100;
      fmt::print(stderr, "\rUploading: [{}{}] {}% {}", std::string(blocks, '='), std::string(60 - blocks, ' '), percent,
                 percent >= 100 ? "Done...\r\n" : "");
    } else {
      while (dots_ < percent / 2) {  // a dot per 2%
        ++dots_;
        fmt::print(stderr, ".");
      }
    }
    std::fflush(stderr);
  }

  // One line per device: redrawn in place on a terminal, printed on change otherwise.
  void many(const net::EspotaProgress& p) {
    int percent = p.size ? int(uint64_t(p.sent) * 100 / p.size) : 0;
    std::string line = fmt::format("{:<24} {:<22} {:>3}%{}", device_label(targets_[p.index]), net::describe(p.phase),
                                   percent, p.attempt > 1 ? fmt::format(" (attempt {})", p.attempt) : "");
    if (tty_) {
      lines_[p.index] = line;
      if (drawn_) fmt::print(stderr, "\x1b[{}A", lines_.size());
      for (const auto& l : lines_) fmt::print(stderr, "\r\x1b[2K{}\n", l);
      drawn_ = true;
    } else if (p.phase != phases_[p.index] || percent / 25 > quarters_[p.index]) {
      phases_[p.index] = p.phase;
      quarters_[p.index] = percent / 25;
      fmt::print(stderr, "{}\n", line);
    }
  }

  const std::vector<net::EspotaTarget>& targets_;
  std::vector<std::string> lines_;
  std::vector<net::EspotaPhase> phases_;  // last printed, when stderr is not a terminal
  std::vector<int> quarters_;
  bool bar_;
  bool quiet_;
  bool tty_;
  bool drawn_ = false;
  bool said_auth_ = false;
  bool said_auth_ok_ = false;
  bool started_upload_ = false;
  int last_percent_ = -1;
  int dots_ = 0;
};

inline void print_table(const std::vector<net::EspotaUploadResult>& results) {
  fmt::print("{:<24} {:<16} {:>10} {:>8} {:>3}  {}\n", "DEVICE", "RESULT", "BYTES", "SECONDS", "TRY", "MESSAGE");
  for (const auto& r : results)
    fmt::print("{:<24} {:<16} {:>10} {:>8.2f} {:>3}  {}\n", device_label(r.target), espota::describe(r.outcome), r.sent,
               r.seconds, r.attempts, r.outcome == espota::UploadOutcome::ok ? "" : r.message);
}

inline nlohmann::json results_json(const std::vector<net::EspotaUploadResult>& results, const std::string& file,
                                   const std::string& md5) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& r : results) {
    int code = exit_code_for(r.outcome);
    list.push_back({{"device", r.target.host},
                    {"port", r.target.port},
                    {"result", espota::describe(r.outcome)},
                    {"exit_code", code},
                    {"exit_name", exit_code_name(code)},
                    {"device_error", r.device_error >= 0 ? nlohmann::json(r.device_error) : nlohmann::json()},
                    {"message", r.message},
                    {"bytes_sent", r.sent},
                    {"size", r.size},
                    {"attempts", r.attempts},
                    {"seconds", r.seconds},
                    {"host_port", r.host_port}});
  }
  int code = combined_exit_code(results);
  return {{"ok", code == kExitOk}, {"exit_code", code}, {"file", file}, {"md5", md5}, {"results", list}};
}

}  // namespace otakit::cli
