// The demo devices' callbacks: each protocol's start, end and error, a download's progress, each check the
// server answers and each boot become facts in the device's story and one line in the live view.
#include <fmt/format.h>

#include "cli/demo/demo_fleet.h"

namespace otakit::cli::demo {

void DemoFleet::add_protocol_hooks(Member& m, device::NetworkAttachment& net) {
  DeviceStory& s = m.story;
  const auto began = [this, &s](const char* how) {
    s.update_began = true;
    s.started_ms = clock_.now_ms();
    view_.event(s, "{}", how);
  };
  if (net.espota) {
    net.hooks.on_start = [began](espota::Command) { began("espota: invitation accepted, password checked; receiving"); };
    net.hooks.on_end = [this, &s] { view_.event(s, "espota: image received and its signature verified; rebooting"); };
    net.hooks.on_error = [this, &s](espota::OtaError, const std::string& why) { view_.event(s, "espota: failed: {}", why); };
  }
  if (net.web) {
    net.web_hooks.on_start = [began](UpdateCommand) { began("upload page: a browser POSTs an image; receiving"); };
    net.web_hooks.on_end = [this, &s] { view_.event(s, "upload page: image received and its signature verified; rebooting"); };
    net.web_hooks.on_error = [this, &s](const std::string& why) { view_.event(s, "upload page: failed: {}", why); };
  }
  net.pull_hooks.on_start = [began] { began("offered an image by its rollout: downloading"); };
  net.pull_hooks.on_progress = [this, &s](uint32_t done, uint32_t total) { view_.download(s, done, total); };
  net.pull_done = [this, &m](const net::PullOutcome& outcome) { checked_in(m, outcome); };
}

void DemoFleet::checked_in(Member& m, const net::PullOutcome& o) {
  DeviceStory& s = m.story;
  if (o.result == pull::PullResult::failed) {
    view_.event(s, "update check failed: {}", o.error_text.empty() ? o.message : o.error_text);
    return;
  }
  ++checks_;
  s.last_check_ms = clock_.now_ms();
  if (s.checks++ == 0) {
    view_.event(s, "registered with the server: {}, running {}", s.mac, s.running_version);
  } else if (o.staged()) {
    view_.event(s, "image checked (MD5, signature) and staged; rebooting into it");
  } else if (!o.withheld.empty() && o.withheld != m.last_withheld) {
    view_.event(s, "checked in running {}: nothing offered ({})", s.running_version, o.withheld);
  }
  if (!o.withheld.empty()) m.last_withheld = o.withheld;
}

void DemoFleet::watch_boots(Member& m) {
  DeviceStory& s = m.story;
  device::Device& d = *m.device;
  // The sketch's post-boot check: field-b's sensors fail under the new version.
  d.set_health_check([this, &m, &s](const device::RunningImage& image) {
    const bool healthy = !(s.fails_new_image && image.version == kit_.update_version);
    m.trial_passed = healthy;
    view_.event(s, "rebooted into {} on trial; post-boot check {}", image.version,
                healthy ? "passed" : "FAILED: it gives the image up and resets");
    return healthy;
  });
  d.on_boot([this, &m, &s, &d](const BootReport& report) {
    s.running_version = d.running_image().version;
    if (s.first_version.empty()) s.first_version = s.running_version;
    if (report.action == BootAction::upgraded && m.trial_passed && !d.ota().on_trial() && s.running_version == kit_.update_version) {
      s.confirmed_new = true;
      s.finished_ms = clock_.now_ms();
      view_.event(s, "confirmed {}: it stays", s.running_version);
    } else if (report.action == BootAction::rolled_back) {
      s.rolled_back = true;
      s.finished_ms = clock_.now_ms();
      view_.event(s, "rolled back: {} runs again (its next check tells the server)", s.running_version);
    }
  });
}

}  // namespace otakit::cli::demo
