#include "device/pull_setup.h"

#include <fmt/format.h>

#include <memory>

#include "core/http/url.h"
#include "core/util/base64.h"
#include "device/device_errors.h"

namespace otakit::device {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

pull::RedirectPolicy redirect_policy(const std::string& name) {
  if (name == "off") return pull::RedirectPolicy::off;
  if (name == "strict") return pull::RedirectPolicy::strict;
  if (name == "force") return pull::RedirectPolicy::force;
  throw DeviceInputError("--follow-redirects '" + name + "': use off, strict or force");
}

// curl's --pinnedpubkey form "sha256//<base64>", or 64 hex digits.
void parse_pin(const std::string& text, uint8_t* out) {
  const std::string prefix = "sha256//";
  if (text.rfind(prefix, 0) == 0) {
    size_t n = 0;
    uint8_t decoded[tls::kPublicKeyPinSize + 3];
    const std::string b64 = text.substr(prefix.size());
    if (base64_decode(b64.data(), b64.size(), decoded, sizeof(decoded), &n) && n == tls::kPublicKeyPinSize) {
      std::copy(decoded, decoded + n, out);
      return;
    }
  } else if (parse_hex_bytes(text, out, tls::kPublicKeyPinSize)) {
    return;
  }
  throw DeviceInputError("--pin-sha256 '" + text +
                         "' is not a SHA-256 (64 hex digits, or sha256//<base64> as curl --pinnedpubkey); get it with: "
                         "openssl x509 -in server.pem -pubkey -noout | openssl pkey -pubin -outform der | "
                         "openssl dgst -sha256");
}

}  // namespace

bool parse_hex_bytes(const std::string& text, uint8_t* out, size_t size) {
  size_t n = 0;
  for (size_t i = 0; i < text.size();) {
    if (text[i] == ':' || text[i] == ' ') {
      ++i;
      continue;
    }
    if (i + 1 >= text.size() || n == size) return false;
    int hi = hex_value(text[i]), lo = hex_value(text[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[n++] = uint8_t(hi * 16 + lo);
    i += 2;
  }
  return n == size;
}

PullSetup pull_setup_for(const PullServiceConfig& config, const net::Logger& log) {
  PullSetup setup;
  net::PullClientOptions& c = setup.options.client;
  // A malformed URL is bad input, not a connection that failed (what the session would report).
  http::Url parsed;
  if (http::UrlError e = http::parse_url(config.url.c_str(), &parsed); e != http::UrlError::ok)
    throw DeviceInputError("the update URL '" + config.url + "': " + http::describe(e));
  c.url = config.url;
  c.mode = config.filesystem ? http::UpdateMode::spiffs : http::UpdateMode::sketch;
  c.current_version = config.version;
  c.user = config.user;
  c.password = config.password;
  c.redirects = redirect_policy(config.redirects);
  c.redirect_limit = uint8_t(config.redirect_limit);
  c.max_resumes = uint8_t(config.max_resumes);
  if (config.timeout_s != 0)
    c.connect_timeout_ms = c.header_timeout_ms = c.body_idle_timeout_ms = config.timeout_s * 1000;
  if (config.tls_buffer != 0) {
    if (config.tls_buffer < tls::kTlsBuffer512)
      throw DeviceInputError(fmt::format("--tls-buffer {}: give at least {} bytes (512-byte records)", config.tls_buffer,
                                         tls::kTlsBuffer512));
    c.tls_buffer_size = config.tls_buffer;
  }
  c.log = log;
  const int trust_flags = !config.ca_file.empty() + !config.pin_sha256.empty() + !config.fingerprint.empty();
  if (trust_flags > 1) throw DeviceInputError("give one of --ca-file, --pin-sha256 and --fingerprint");
  if (!config.ca_file.empty()) {
    try {
      setup.anchors = posix::TrustAnchors::load_pem_file(config.ca_file);
    } catch (const std::runtime_error& e) {
      throw DeviceInputError(std::string("--ca-file: ") + e.what());
    }
    c.trust.mode = tls::TrustMode::anchors;
    c.trust.anchors = setup.anchors->data();
    c.trust.anchor_count = setup.anchors->size();
  } else if (!config.pin_sha256.empty()) {
    c.trust.mode = tls::TrustMode::public_key_pin;
    parse_pin(config.pin_sha256, c.trust.public_key_sha256.data());
  } else if (!config.fingerprint.empty()) {
    c.trust.mode = tls::TrustMode::sha1_fingerprint;
    if (!parse_hex_bytes(config.fingerprint, c.trust.certificate_sha1.data(), c.trust.certificate_sha1.size()))
      throw DeviceInputError("--fingerprint '" + config.fingerprint +
                             "' is not a SHA-1 (40 hex digits); get it with: openssl x509 -in server.pem -noout "
                             "-fingerprint -sha1");
  } else if (config.url.rfind("https://", 0) == 0) {
    throw DeviceInputError("an https update URL needs --ca-file, --pin-sha256 or --fingerprint to trust the server");
  }
  setup.options.at_boot = true;
  setup.options.interval_ms = config.interval_s * 1000;
  return setup;
}

net::PullHooks pull_console_hooks(const net::Logger& console) {
  auto last_percent = std::make_shared<uint32_t>(0);
  net::PullHooks hooks;
  hooks.on_start = [last_percent, console] {
    *last_percent = 0;
    console.info("pull: start");
  };
  hooks.on_progress = [last_percent, console](uint32_t done, uint32_t total) {
    if (total == 0) return;
    uint32_t percent = uint32_t(uint64_t(done) * 100 / total);
    if (percent >= *last_percent + 25 || (done == total && *last_percent != 100)) {
      *last_percent = percent;
      console.info("pull: {}% ({} of {} bytes)", percent, done, total);
    }
  };
  hooks.on_end = [console] { console.info("pull: end"); };
  return hooks;
}

void print_pull_outcome(const net::Logger& console, const net::PullOutcome& o) {
  switch (o.result) {
    case pull::PullResult::ok:
      if (!o.available_version.empty()) return console.info("pull: HTTP_UPDATE_OK version {} is available", o.available_version);
      // The session's message says what was done with the bytes (image staged, filesystem written).
      return console.info("pull: HTTP_UPDATE_OK {}{}{}", o.message,
                          o.resumed_from > 0 ? fmt::format(" (continued from byte {} after a reset)", o.resumed_from) : "",
                          o.resumes > 0 ? fmt::format(" ({} resumes)", o.resumes) : "");
    case pull::PullResult::no_updates: return console.info("pull: HTTP_UPDATE_NO_UPDATES ({})", o.message);
    case pull::PullResult::failed:
      return console.info("pull: HTTP_UPDATE_FAILED Error ({}): {}{}", o.error,
                          o.error_text.empty() ? o.message : o.error_text,
                          o.error_text.empty() || o.error_text == o.message ? "" : " - " + o.message);
  }
}

}  // namespace otakit::device
