// `otakit rollout status|approve|pause|resume|cancel|rollback`: follows and steers the fleet
// server's rollouts through the admin API. A command the rollout's state does not allow now is
// refused by the server (409) and exits 7 with its reason.
#include <fmt/core.h>

#include <memory>
#include <string>

#include "cli/admin_client.h"
#include "cli/admin_views.h"
#include "cli/commands.h"

namespace otakit::cli {
namespace {

using nlohmann::json;

struct RolloutFlags {
  AdminFlags admin;
  int64_t id = 0;
  int64_t firmware_id = 0;
};

int status(const RolloutFlags& f, bool has_id) {
  AdminClient client(f.admin);
  if (!has_id) {
    const json list = client.get("/api/rollouts");
    if (f.admin.json)
      fmt::print("{}\n", list.dump(2));
    else
      print_rollout_table(list.at("rollouts"));
    return kExitOk;
  }
  const json rollout = client.get(fmt::format("/api/rollouts/{}", f.id));
  if (f.admin.json)
    fmt::print("{}\n", rollout.dump(2));
  else
    print_rollout(rollout);
  return kExitOk;
}

// The past tense for the line that confirms a command.
const char* done_word(const std::string& action) {
  if (action == "approve") return "approved";
  if (action == "pause") return "paused";
  if (action == "resume") return "resumed";
  return "canceled";
}

int command(const RolloutFlags& f, const std::string& action) {
  AdminClient client(f.admin);
  json body = json::object();
  if (action == "rollback" && f.firmware_id != 0) body["firmware_id"] = f.firmware_id;
  json rollout;
  try {
    rollout = client.post(fmt::format("/api/rollouts/{}/{}", f.id, action), body);
  } catch (const AdminFailure& e) {
    if (action != "rollback" || e.http_status != 422 || f.firmware_id != 0) throw;
    // The API names its field (firmware_id); say which flag that is here.
    throw AdminFailure(e.exit_code,
                       fmt::format("{} (with `otakit publish OLD.bin --upload-only`, then `otakit rollout rollback {} "
                                   "--firmware-id N`)",
                                   e.what(), f.id),
                       e.http_status, e.server_error);
  }
  if (f.admin.json) {
    fmt::print("{}\n", rollout.dump(2));
    return kExitOk;
  }
  if (action == "rollback")
    fmt::print("rollout {} canceled; rollout {} brings its devices back to firmware {}\n\n", f.id,
               rollout.at("id").get<int64_t>(), rollout.at("firmware_id").get<int64_t>());
  else
    fmt::print("rollout {} {}\n\n", f.id, done_word(action));
  print_rollout(rollout);
  return kExitOk;
}

CLI::App* add_id_command(CLI::App* parent, RolloutFlags& f, const std::string& name, const std::string& help) {
  CLI::App* cmd = parent->add_subcommand(name, help);
  cmd->add_option("id", f.id, "The rollout's id (otakit rollout status lists them)")->required();
  add_admin_flags(cmd, f.admin);
  return cmd;
}

}  // namespace

void add_rollout_command(CLI::App& app, RunState& state) {
  auto f = std::make_shared<RolloutFlags>();
  CLI::App* cmd = app.add_subcommand("rollout", "Follow and steer the fleet server's staged rollouts");
  cmd->footer(
      "A rollout (made by `otakit publish FILE --rollout 5%,25%,100%`) offers an image to one deployment\n"
      "group after the other, in hawkBit's terms. Its state is one of:\n"
      "  waiting_for_approval  made with --approval: nothing is offered until `approve`\n"
      "  running               the current group and the ones before it are offered the image\n"
      "  paused                by `pause`, or after a group with --pause-between: `resume` goes on\n"
      "  stopped               the error threshold was crossed: nothing new is offered\n"
      "  canceled, finished    final: nothing more happens\n"
      "A device counts as updated once it checks in running the image after its reboot, and as\n"
      "failed when it comes back with its old one.\n\n"
      "Examples:\n"
      "  otakit rollout status                  # every rollout, newest first\n"
      "  otakit rollout status 3                # its deployment groups as progress bars\n"
      "  otakit rollout pause 3 && otakit rollout resume 3\n"
      "  otakit rollout rollback 3              # cancel it; devices it reached get their old image\n"
      "Exit codes: as `otakit publish`; 7 when the server refuses a command now (e.g. resuming a\n"
      "finished rollout: 409) or there is no such rollout (404), with the server's reason.");
  add_admin_flags(cmd, f->admin);
  cmd->require_subcommand(1);

  CLI::App* status_cmd = cmd->add_subcommand("status", "List the rollouts, or show one with its deployment groups");
  CLI::Option* id = status_cmd->add_option("id", f->id, "A rollout's id: show it in full");
  add_admin_flags(status_cmd, f->admin);
  status_cmd->callback([f, id, &state] {
    state.exit_code = run_admin("rollout", f->admin, [&] { return status(*f, id->count() > 0); });
  });

  const std::pair<const char*, const char*> actions[] = {
      {"approve", "Approve a rollout made with --approval: it starts"},
      {"pause", "Pause a running rollout: nothing new is offered until resume"},
      {"resume", "Resume a paused rollout"},
      {"cancel", "Cancel a rollout: nothing new is offered (devices keep what they have)"},
  };
  for (const auto& [name, help] : actions) {
    const std::string action = name;
    add_id_command(cmd, *f, name, help)->callback([f, action, &state] {
      state.exit_code = run_admin("rollout", f->admin, [&] { return command(*f, action); });
    });
  }
  CLI::App* rollback = add_id_command(
      cmd, *f, "rollback", "Cancel a rollout and roll its devices back to the image most of them ran before");
  rollback->add_option("--firmware-id", f->firmware_id,
                       "Roll back to this firmware instead (when the old image is not in the catalog)");
  rollback->callback(
      [f, &state] { state.exit_code = run_admin("rollout", f->admin, [&] { return command(*f, "rollback"); }); });
}

}  // namespace otakit::cli
