#include "cli/demo/scenario.h"

#include <fmt/format.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <csignal>
#include <memory>
#include <optional>
#include <stdexcept>

#include "cli/admin_client.h"
#include "cli/demo/demo_fleet.h"
#include "cli/demo/demo_folder.h"
#include "cli/demo/demo_server.h"
#include "cli/demo/event_wait.h"
#include "cli/demo/firmware_kit.h"
#include "cli/demo/live_view.h"
#include "cli/demo/result_table.h"
#include "cli/demo/rollout_watch.h"
#include "cli/demo/uploads.h"
#include "cli/exit_codes.h"
#include "net/clock.h"

namespace otakit::cli::demo {
namespace {

using nlohmann::json;

class DemoRun {
 public:
  explicit DemoRun(const DemoOptions& o) : o_(o), out_(o.json ? stderr : stdout), view_(out_, clock_) {}
  int run();

 private:
  template <class Step>
  void attempt(const char* what, Step&& step);
  void make_firmware();
  void start_server();
  void start_devices();
  int64_t publish_update();
  void push_to_first();
  void upload_to_second();
  void wait_for_manual_update(DeviceStory& device, const std::string& what,
                              const std::shared_ptr<std::optional<net::EspotaUploadResult>>& result);
  void roll_out(int64_t firmware_id);
  bool rollouts_settled(uint32_t stopped_at_ms);
  int report();
  void serve_until_interrupted();

  std::chrono::milliseconds timeout() const { return std::chrono::seconds(o_.step_timeout_s); }
  std::string look_at() const {
    return fmt::format("the devices' lines are in {}/devices.log, the server's in {}/server/server.log", o_.dir, o_.dir);
  }

  const DemoOptions& o_;
  boost::asio::io_context io_;
  net::SteadyClock clock_;
  std::FILE* out_;
  LiveView view_;
  FirmwareKit kit_;
  std::unique_ptr<DemoServer> server_;
  std::unique_ptr<AdminClient> admin_;
  std::unique_ptr<DemoFleet> fleet_;
  std::unique_ptr<RolloutWatch> watch_;
};

// A failure says which step it stopped in, and where its details are.
template <class Step>
void DemoRun::attempt(const char* what, Step&& step) {
  try {
    step();
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("{} failed: {}\n  ({})", what, e.what(), look_at()));
  }
}

int DemoRun::run() {
  prepare_demo_folder(o_.dir);
  attempt("making the keys and images", [&] { make_firmware(); });
  attempt("starting the fleet server", [&] { start_server(); });
  attempt("booting the devices", [&] { start_devices(); });
  int64_t firmware_id = 0;
  attempt("publishing 2.0.0 to the server's catalog", [&] { firmware_id = publish_update(); });
  attempt("the espota push to dev-1", [&] { push_to_first(); });
  attempt("the browser upload to dev-2", [&] { upload_to_second(); });
  attempt("the staged rollouts", [&] { roll_out(firmware_id); });
  return report();
}

void DemoRun::make_firmware() {
  view_.step("1. A signing key pair (RSA-2048) and two signed firmware versions");
  kit_ = make_firmware_kit(o_.dir);
  view_.note(fmt::format("{}/private.key and public.key (the devices and the server trust it)", o_.dir));
  view_.note(fmt::format("factory image {} ({} bytes) and the update {} ({} bytes), signed like signing.py",
                         kit_.factory_version, kit_.factory.size(), kit_.update_version, kit_.update.size()));
}

void DemoRun::start_server() {
  view_.step("2. The fleet server (otakit server, in this process)");
  server_ = std::make_unique<DemoServer>(o_.dir + "/server", o_.port, kit_.public_key_path);
  AdminFlags flags;
  flags.server = server_->url();
  flags.token = server_->token();
  flags.timeout_s = 10;
  admin_ = std::make_unique<AdminClient>(flags);
  watch_ = std::make_unique<RolloutWatch>(*admin_, view_);
  view_.note(fmt::format("listening on {} with data in {}/server; a signed fleet: it takes only images the key "
                         "signed", server_->url(), o_.dir));
}

void DemoRun::start_devices() {
  view_.step(fmt::format("3. {} devices boot {} and check in every second", o_.devices, kit_.factory_version));
  fleet_ = std::make_unique<DemoFleet>(io_, clock_, kit_, o_.devices, server_->update_url(), o_.dir + "/devices.log",
                                       view_);
  fleet_->boot_all();
  run_until(io_, timeout(), "every device's first check", "is the server up? " + look_at(), [&] {
    for (const DeviceStory* d : fleet_->stories())
      if (!d->registered()) return false;
    return true;
  });
  for (size_t i = 0; i < fleet_->size(); ++i) {
    DeviceStory& d = fleet_->story(i);
    if (d.group.empty()) continue;
    admin_->put("/api/devices/" + d.mac + "/group", json{{"group", d.group}});
    view_.event(d, "put in group {} through the admin API{}", d.group,
                d.fails_new_image ? " (its post-boot check will fail under " + kit_.update_version + ")" : "");
  }
}

int64_t DemoRun::publish_update() {
  view_.step(fmt::format("4. {} goes into the server's catalog (as otakit publish --upload-only)", kit_.update_version));
  const AdminReply reply = admin_->upload("/api/firmware?name=update.bin.signed", kit_.update, {});
  const int64_t id = reply.body.at("id");
  view_.fleet("firmware {}: version {}, md5 {}, signature verified", id, reply.body.value("version", "?"),
              reply.body.value("md5", "?"));
  return id;
}

void DemoRun::push_to_first() {
  DeviceStory& d = fleet_->story(0);
  const uint16_t port = fleet_->device(0).espota()->local_port();
  view_.step(fmt::format("5. Push to {} with espota (as otakit upload -i {} -p {} -a ...)", d.name, d.address, port));
  auto result = std::make_shared<std::optional<net::EspotaUploadResult>>();
  start_push(
      io_, clock_, d.address, port, kPushPassword, kit_.update,
      [this, &d](uint32_t sent, uint32_t total) { view_.bar(d, "espota push", sent, total); },
      [result](const auto& r) { *result = r; });
  wait_for_manual_update(d, "the espota push", result);
}

void DemoRun::upload_to_second() {
  DeviceStory& d = fleet_->story(1);
  const uint16_t port = fleet_->device(1).web()->local_port();
  view_.step(fmt::format("6. {}'s upload page at http://{}:{}/update, as a browser POSTs it (as otakit upload --url)",
                         d.name, d.address, port));
  auto result = std::make_shared<std::optional<net::EspotaUploadResult>>();
  start_browser_upload(
      io_, clock_, d.address, port, kit_.update,
      [this, &d](uint32_t sent, uint32_t total) { view_.bar(d, "browser upload", sent, total); },
      [result](const auto& r) { *result = r; });
  wait_for_manual_update(d, "the browser upload", result);
}

// Until the uploader has its result and the device has rebooted and decided about the image.
void DemoRun::wait_for_manual_update(DeviceStory& d, const std::string& what,
                                     const std::shared_ptr<std::optional<net::EspotaUploadResult>>& result) {
  run_until(io_, timeout(), what + " and " + d.name + "'s reboot into " + kit_.update_version, look_at(), [&] {
    return *result && ((*result)->outcome != espota::UploadOutcome::ok || d.done());
  });
  const net::EspotaUploadResult& r = **result;
  if (r.outcome != espota::UploadOutcome::ok) throw std::runtime_error("the uploader says: " + r.message);
  if (!d.confirmed_new) throw std::runtime_error(d.name + " took the image but did not confirm it after its reboot");
  view_.event(d, "the uploader's result: OK, {} bytes in {:.2f} s", r.sent, r.seconds);
}

void DemoRun::roll_out(int64_t firmware_id) {
  view_.step("7. Staged rollouts from the server (as otakit publish --rollout): the devices pull");
  const size_t failing = fleet_->in_group(kFailingGroup).size();
  // field-b's first deployment group is one device, and one failure stops the rollout: the
  // others are never offered the image.
  const std::string plans[2][3] = {{kHealthyGroup, "50%,100%", "20%"},
                                   {kFailingGroup, fmt::format("{}%,100%", 100 / failing), "1"}};
  for (const auto& [group, stages, errors] : plans) {
    const json body = {{"firmware_id", firmware_id}, {"name", fmt::format("{} to {}", kit_.update_version, group)},
                       {"stages", stages},           {"error_threshold", errors},
                       {"filter", {{"group", group}}}};
    watch_->follow(group, admin_->post("/api/rollouts", body));
  }
  uint64_t seen = fleet_->checks();
  uint32_t stopped_at = 0;
  run_until(io_, timeout(), "the rollouts' end (field-a finished, field-b stopped)", look_at(), [&] {
    if (fleet_->checks() != seen) {  // rollouts move only on checks
      seen = fleet_->checks();
      watch_->refresh();
    }
    if (stopped_at == 0 && watch_->in_state(kFailingGroup, "stopped")) stopped_at = clock_.now_ms();
    return rollouts_settled(stopped_at);
  });
  for (DeviceStory* d : fleet_->in_group(kFailingGroup))
    if (!d->update_began && stopped_at != 0)
      view_.event(*d, "checked in after the stop: not offered {}, stays on {}", kit_.update_version, d->running_version);
}

// field-a's rollout ended and its devices decided; field-b's stopped and each of its devices has
// either been through the image, or checked in after the stop without being offered it. An end
// that is not the expected one settles too: the table says what went wrong.
bool DemoRun::rollouts_settled(uint32_t stopped_at_ms) {
  const WatchedRollout* healthy = watch_->of_group(kHealthyGroup);
  const WatchedRollout* failing = watch_->of_group(kFailingGroup);
  const auto final_state = [](const std::string& s) { return s == "finished" || s == "stopped" || s == "canceled"; };
  if (!final_state(healthy->state()) || !final_state(failing->state())) return false;
  for (DeviceStory* d : fleet_->in_group(kHealthyGroup))
    if (!d->done()) return healthy->state() != "finished";  // a stopped field-a leaves some waiting forever
  const bool stopped = failing->state() == "stopped";
  for (DeviceStory* d : fleet_->in_group(kFailingGroup)) {
    const bool checked_since_stop = stopped_at_ms != 0 && int32_t(d->last_check_ms - stopped_at_ms) > 0;
    if (d->update_began ? !d->done() : stopped && !checked_since_stop) return false;
  }
  return true;
}

int DemoRun::report() {
  DemoSummary summary{fleet_->stories(), watch_->of_group(kHealthyGroup)->state(),
                      watch_->of_group(kFailingGroup)->state(), server_->url() + "/", server_->token(), o_.dir};
  const std::vector<std::string> problems = unmet_expectations(summary);
  if (o_.json) {
    fmt::print("{}\n", summary_json(summary, problems).dump(2));
    std::fflush(stdout);
  } else {
    view_.step("Result");
    print_table(out_, summary);
  }
  if (!problems.empty()) {
    fmt::print(stderr, "otakit demo: the scenario did not go as it should:\n");
    for (const std::string& p : problems) fmt::print(stderr, "  - {}\n", p);
    fmt::print(stderr, "  ({})\n", look_at());
    return kExitFailure;
  }
  if (!o_.json) {
    fmt::print(out_, "\nEverything went as it should. The fleet's dashboard: {}/  (token: {})\n", server_->url(),
               server_->token());
    fmt::print(out_, "Or from a shell: export OTAKIT_SERVER={} OTAKIT_TOKEN={}; otakit devices; otakit rollout status\n",
               server_->url(), server_->token());
  }
  if (!o_.no_wait) serve_until_interrupted();
  return kExitOk;
}

// The devices keep checking in, so what the dashboard shows (and any rollout made there) is live.
void DemoRun::serve_until_interrupted() {
  fmt::print(out_, "The devices keep running; press Ctrl-C to stop.\n");
  std::fflush(out_);
  boost::asio::signal_set signals(io_, SIGINT, SIGTERM);
  bool interrupted = false;
  signals.async_wait([&](const boost::system::error_code&, int) { interrupted = true; });
  while (!interrupted) {
    io_.restart();
    io_.run_one();
  }
  fmt::print(out_, "\nStopped.\n");
}

}  // namespace

int run_demo(const DemoOptions& options) { return DemoRun(options).run(); }

}  // namespace otakit::cli::demo
