// `otakit publish FILE`: uploads a firmware to the fleet server's catalog, then points devices at
// it: the whole fleet, one group (a target), or a staged rollout (hawkBit's deployment groups).
#include <fmt/core.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "cli/admin_client.h"
#include "cli/admin_views.h"
#include "cli/commands.h"
#include "files/file_io.h"
#include "server/rollout/rollout_policy.h"

namespace otakit::cli {
namespace {

using nlohmann::json;

struct PublishFlags {
  AdminFlags admin;
  std::string file;
  std::string group;
  std::string tag;
  std::string stages;  // --rollout
  std::string version;
  std::string name;
  std::string rollout_name;
  std::string success;
  std::string error;
  bool approval = false;
  bool pause_between = false;
  bool fs = false;
  bool upload_only = false;
};

// Anything only a rollout can do makes one; --group alone is a target.
bool wants_rollout(const PublishFlags& f) {
  return !f.stages.empty() || !f.tag.empty() || !f.success.empty() || !f.error.empty() || f.approval ||
         f.pause_between || !f.rollout_name.empty();
}

// Checked before the upload, with the server's own parser, so a typo costs no transfer.
void check_rollout_flags(const PublishFlags& f) {
  if (!f.stages.empty()) {
    const server::StagePlan plan = server::parse_stage_percentages(f.stages);
    if (!plan.error.empty()) throw CommandFailure(kExitUsage, fmt::format("--rollout {}: {}", f.stages, plan.error));
  }
  for (auto [flag, text] : {std::pair{"--success-threshold", &f.success}, std::pair{"--error-threshold", &f.error}}) {
    std::string why;
    if (!text->empty() && !server::parse_threshold(*text, &why))
      throw CommandFailure(kExitUsage, fmt::format("{} {}: {}", flag, *text, why));
  }
}

// A bar on stderr while the image goes out, when stderr is a terminal (logs stay clean).
class UploadBar {
 public:
  explicit UploadBar(std::string name) : name_(std::move(name)), tty_(isatty(STDERR_FILENO) != 0) {}
  void update(uint64_t sent, uint64_t total) {
    if (!tty_) return;
    const int percent = total ? static_cast<int>(sent * 100 / total) : 100;
    if (percent == last_) return;
    last_ = percent;
    const int blocks = percent * 40 / 100;
    fmt::print(stderr, "\rUploading {} [{}{}] {:3}%", name_, std::string(blocks, '='), std::string(40 - blocks, ' '),
               percent);
    std::fflush(stderr);
  }
  void finish() {
    if (tty_ && last_ >= 0) fmt::print(stderr, "\n");
  }

 private:
  std::string name_;
  bool tty_;
  int last_ = -1;
};

json rollout_request(const PublishFlags& f, int64_t firmware_id) {
  json body = {{"firmware_id", firmware_id},
               {"stages", f.stages.empty() ? "100%" : f.stages},
               {"approval_required", f.approval},
               {"pause_after_each_stage", f.pause_between},
               {"filter", {{"group", f.group}, {"tag", f.tag}}}};
  if (!f.rollout_name.empty()) body["name"] = f.rollout_name;
  if (!f.success.empty()) body["success_threshold"] = f.success;
  if (!f.error.empty()) body["error_threshold"] = f.error;
  return body;
}

void print_firmware(const json& fw, bool created) {
  const std::string version = fw.value("version", "");
  fmt::print("uploaded {} as firmware {}: {}, md5 {}, version {}{} ({})\n", fw.value("name", ""),
             fw.at("id").get<int64_t>(), size_text(fw.at("size")), fw.value("md5", ""),
             version.empty() ? "(none)" : version, fw.value("signed", false) ? ", signed" : "",
             created ? "new in the catalog" : "already in the catalog");
}

int publish(PublishFlags& f) {
  if (f.upload_only && (wants_rollout(f) || !f.group.empty()))
    throw CommandFailure(kExitUsage,
                         "--upload-only only adds the image to the catalog: drop the target and rollout flags");
  check_rollout_flags(f);
  AdminClient client(f.admin);
  files::Bytes bytes;
  try {
    bytes = files::read_file(f.file);
  } catch (const std::exception& e) {
    throw CommandFailure(kExitInputError, fmt::format("cannot read the firmware: {}", e.what()));
  }
  if (bytes.empty()) throw CommandFailure(kExitInputError, f.file + " is empty: there is nothing to publish");
  const std::string name = f.name.empty() ? std::filesystem::path(f.file).filename().string() : f.name;
  std::string path = "/api/firmware?name=" + url_encode(name);
  if (!f.version.empty()) path += "&version=" + url_encode(f.version);
  if (f.fs) path += "&kind=spiffs";

  UploadBar bar(name);
  const AdminReply reply = client.upload(path, bytes, [&](uint64_t sent, uint64_t total) { bar.update(sent, total); });
  bar.finish();
  const json& fw = reply.body;
  const bool created = reply.status == 201;
  const int64_t id = fw.at("id");
  json out = {{"ok", true}, {"firmware", fw}, {"created", created}};
  if (!f.admin.json) print_firmware(fw, created);

  if (f.upload_only) {
    if (!f.admin.json) fmt::print("nothing targets it yet (--upload-only)\n");
  } else if (!wants_rollout(f)) {
    const std::string scope = f.group.empty() ? "*" : "group:" + f.group;
    out["target"] = client.put("/api/targets", {{"scope", scope}, {"firmware_id", id}});
    if (!f.admin.json)
      fmt::print("target: {} now get{} firmware {} at {} next check\n",
                 f.group.empty() ? "every device" : "the devices of group " + f.group, f.group.empty() ? "s" : "", id,
                 f.group.empty() ? "its" : "their");
  } else {
    const json rollout = client.post("/api/rollouts", rollout_request(f, id));
    out["rollout"] = rollout;
    if (!f.admin.json) {
      fmt::print("\n");
      print_rollout(rollout);
      if (rollout.at("totals").at("targets").get<uint64_t>() == 0)
        fmt::print(
            "note: no device matched when the rollout was made, so it has nobody to update (it takes the "
            "devices registered now; for every device that checks in later, publish without --rollout)\n");
      fmt::print("follow it with: otakit rollout status {}\n", rollout.at("id").get<int64_t>());
    }
  }
  if (f.admin.json) fmt::print("{}\n", out.dump(2));
  return kExitOk;
}

}  // namespace

void add_publish_command(CLI::App& app, RunState& state) {
  auto f = std::make_shared<PublishFlags>();
  CLI::App* cmd = app.add_subcommand("publish", "Upload a firmware to the fleet server and target it or roll it out");
  cmd->footer(
      "The image is checked by the server as a device would check it (magic, flash size, signature\n"
      "for a signed fleet); a refusal prints the server's reason. Uploading the same bytes again is fine.\n\n"
      "Examples (the token comes from `otakit server token create`; export it once):\n"
      "  export OTAKIT_SERVER=http://fleet.local:8070 OTAKIT_TOKEN=otk_...\n"
      "  otakit publish fw.bin                              # every device gets it at its next check\n"
      "  otakit publish fw.bin --group lab                  # only the devices of group lab\n"
      "  otakit publish fw.bin --rollout 5%,25%,100%        # three deployment groups, one after the other\n"
      "  otakit publish fw.bin --rollout 10%,100% --group lab --tag door --approval --error-threshold 2\n"
      "  otakit publish fs.bin --fs --version 1.2.0 --json  # a filesystem image; JSON for scripts\n"
      "A rollout starts its next deployment group when --success-threshold of the current one runs the\n"
      "image after its reboot (default 90%), and stops when --error-threshold fail (a % or a count,\n"
      "default 20%). It covers the devices registered when it is made. Then: otakit rollout status ID.\n"
      "Exit codes: 0 ok, 2 usage or no token, 3 unreadable file, 4 no server at the URL, 5 token refused,\n"
      "6 connection broke, 7 the server refused (its reason is printed), 8 not an otakit server.");
  cmd->add_option("file", f->file, "The firmware (or filesystem) image")->required();
  cmd->add_option("--group", f->group, "Only the devices of this group");
  cmd->add_option("--rollout", f->stages, "Deployment groups as cumulative percentages, e.g. 5%,25%,100%");
  cmd->add_option("--tag", f->tag, "Only devices with this tag (makes a rollout, 100% unless --rollout)");
  cmd->add_option("--version", f->version, "The version devices compare (default: the image's own, if it has one)");
  cmd->add_option("--name", f->name, "The file name devices are sent (default: the file's own)");
  cmd->add_option("--rollout-name", f->rollout_name, "A name for the rollout");
  cmd->add_option("--success-threshold", f->success, "Updated devices that start the next group: 90% or a count");
  cmd->add_option("--error-threshold", f->error, "Failed devices that stop the rollout: 20% or a count");
  cmd->add_flag("--approval", f->approval, "The rollout waits for `otakit rollout approve ID`");
  cmd->add_flag("--pause-between", f->pause_between, "Pause after each deployment group until resumed");
  cmd->add_flag("--upload-only", f->upload_only, "Only add it to the catalog (e.g. for `otakit rollout rollback`)");
  cmd->add_flag("--fs", f->fs, "A filesystem image (devices ask with x-ESP8266-mode: spiffs)");
  add_admin_flags(cmd, f->admin);
  cmd->callback([f, &state] { state.exit_code = run_admin("publish", f->admin, [&] { return publish(*f); }); });
}

}  // namespace otakit::cli
