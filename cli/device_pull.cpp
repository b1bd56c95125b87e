#include "cli/device_pull.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli/exit_codes.h"
#include "net/log_sinks.h"

namespace otakit::cli {
namespace {

const char* result_name(pull::PullResult result) {
  switch (result) {
    case pull::PullResult::ok: return "ok";
    case pull::PullResult::no_updates: return "no_updates";
    case pull::PullResult::failed: return "failed";
  }
  return "failed";
}

nlohmann::json outcome_json(const net::PullOutcome& o) {
  return {{"result", result_name(o.result)},
          {"error", o.error},
          {"error_text", o.error_text},
          {"http_status", o.http_status},
          {"message", o.message},
          {"written", o.written},
          {"redirects", o.redirects},
          {"resumes", o.resumes},
          {"resumed_from", o.resumed_from},
          {"available_version", o.available_version},
          {"exit_code", pull_exit_code(o)},
          {"exit_name", exit_code_name(pull_exit_code(o))}};
}

// A 40-column bar on a terminal's stderr, redrawn when the percentage changes.
class PullProgressBar {
 public:
  void update(uint32_t done, uint32_t total) {
    if (total == 0) return;
    const uint32_t percent = uint32_t(uint64_t(done) * 100 / total);
    if (percent == last_percent_) return;
    last_percent_ = percent;
    const int filled = int(percent * 40 / 100);
    fmt::print(stderr, "\r[{:=<{}}{:<{}}] {:3}% {} of {} bytes", "", filled, "", 40 - filled, percent, done, total);
    if (done == total) fmt::print(stderr, "\n");
  }

 private:
  uint32_t last_percent_ = 101;
};

}  // namespace

void add_pull_flags(CLI::App* cmd, device::PullServiceConfig& pull, const std::string& prefix) {
  const bool daemon = !prefix.empty();
  const size_t before = cmd->get_options().size();
  CLI::Option* url = cmd->add_option("--" + prefix + "url", pull.url,
                  "Update URL (http:// or https://; user:password@ allowed), as ESPhttpUpdate.update(client, url)")
      ->required(!daemon);
  if (daemon) {
    cmd->add_option("--update-interval", pull.interval_s,
                    "Check again every this many seconds (default: once after each boot)");
  }
  cmd->add_flag("--" + prefix + "fs", pull.filesystem, "Pull a filesystem image (updateFS, x-ESP8266-mode: spiffs)");
  cmd->add_option("--" + prefix + "version", pull.version,
                  "Current version sent as x-ESP8266-version (default: the running image's)");
  cmd->add_option("--" + prefix + "user", pull.user, "User for the server's Basic auth (setAuthorization)");
  cmd->add_option("--" + prefix + "password", pull.password, "Password for the server's Basic auth");
  auto* ca = cmd->add_option("--ca-file", pull.ca_file, "https: trust servers whose chain ends at a CA in this PEM file")
                 ->check(CLI::ExistingFile);
  auto* pin = cmd->add_option("--pin-sha256", pull.pin_sha256,
                              "https: trust the server with this public key: SHA-256 of its SubjectPublicKeyInfo, "
                              "hex or sha256//<base64> as curl --pinnedpubkey");
  auto* fingerprint = cmd->add_option("--fingerprint", pull.fingerprint,
                                      "https: trust the server certificate with this SHA-1 fingerprint (hex), as "
                                      "WiFiClientSecure::setFingerprint");
  ca->excludes(pin, fingerprint);
  pin->excludes(fingerprint);
  cmd->add_option("--follow-redirects", pull.redirects,
                  "off (the original's default), strict or force: follow 301/302/303/307")
      ->capture_default_str()
      ->check(CLI::IsMember({"off", "strict", "force"}));
  cmd->add_option("--redirect-limit", pull.redirect_limit, "Most redirects to follow")
      ->capture_default_str()
      ->check(CLI::Range(0, 255));
  cmd->add_option("--tls-buffer", pull.tls_buffer,
                  fmt::format("TLS record buffer in bytes; smaller asks the server for shorter records (MFLN). Default {} "
                              "(2 KiB records), at least {} (512); {} for servers without MFLN",
                              tls::kTlsBuffer2048, tls::kTlsBuffer512, tls::kTlsBufferFull));
  cmd->add_option("--timeout", pull.timeout_s,
                  "Seconds without a byte from the server before giving up (default 8 for the connection and TLS handshake "
                  "and for the head, 60 in the body)");
  cmd->add_option("--max-resumes", pull.max_resumes,
                  "Continue a broken download with a Range request up to this many times (0: start over)")
      ->capture_default_str()
      ->check(CLI::Range(0, 255));
  if (!daemon) return;
  // The others mean nothing without the URL: say so instead of ignoring them.
  std::vector<CLI::Option*> all = cmd->get_options();
  for (size_t i = before; i < all.size(); ++i)
    if (all[i] != url) all[i]->needs(url);
}

int pull_exit_code(const net::PullOutcome& o) {
  if (o.result != pull::PullResult::failed) return kExitOk;
  switch (o.error) {
    case pull::error::kConnectionFailed: return kExitNoAnswer;
    case pull::error::kServerUnauthorized:
    case pull::error::kServerForbidden: return kExitAuthFailed;
    case pull::error::kSendHeaderFailed:
    case pull::error::kConnectionLost:
    case pull::error::kReadTimeout:
    case pull::error::kStreamTimeout: return kExitTransferFailed;
    case pull::error::kNoHttpServer:
    case pull::error::kEncoding: return kExitProtocolError;
    default: return kExitDeviceRejected;  // the server's answer or the image was refused
  }
}

int run_device_pull(device::RuntimeConfig runtime, bool json) {
  std::optional<net::PullOutcome> outcome;
  PullProgressBar bar;
  runtime.exit_after_pull = true;
  runtime.print_boot = !json;
  runtime.on_pull = [&](const net::PullOutcome& o) { outcome = o; };
  if (isatty(STDERR_FILENO) != 0 && !json)
    runtime.on_pull_progress = [&](uint32_t done, uint32_t total) { bar.update(done, total); };
  device::run_device(runtime);
  if (!outcome) throw std::runtime_error("the pull did not finish");
  if (json) std::printf("%s\n", outcome_json(*outcome).dump(2).c_str());
  return pull_exit_code(*outcome);
}

}  // namespace otakit::cli
