// `otakit devices`: the devices the fleet server knows (they register with their first update
// check), one device with its history, and setting a device's group and tags.
#include <fmt/core.h>

#include <memory>
#include <string>
#include <vector>

#include "cli/admin_client.h"
#include "cli/admin_views.h"
#include "cli/commands.h"

namespace otakit::cli {
namespace {

using nlohmann::json;

struct DevicesFlags {
  AdminFlags admin;
  std::string group;
  std::string tag;
  std::string version;
  int64_t limit = 100;
  std::string mac;
  std::string value;  // set-group's group, set-tags' list
};

int list(const DevicesFlags& f) {
  AdminClient client(f.admin);
  std::string path = fmt::format("/api/devices?limit={}", f.limit);
  for (const auto& [key, value] :
       {std::pair{"group", &f.group}, std::pair{"tag", &f.tag}, std::pair{"version", &f.version}})
    if (!value->empty()) path += fmt::format("&{}={}", key, url_encode(*value));
  const json answer = client.get(path);
  if (f.admin.json) {
    fmt::print("{}\n", answer.dump(2));
    return kExitOk;
  }
  const json& devices = answer.at("devices");
  const int64_t total = answer.at("total");
  if (devices.empty()) {
    const bool filtered = !f.group.empty() || !f.tag.empty() || !f.version.empty();
    if (filtered)
      fmt::print("no device matches\n");
    else
      fmt::print(
          "no device has checked in yet: devices register with their first check "
          "(ESPhttpUpdate.update() to {}/update)\n",
          client.server());
    return kExitOk;
  }
  print_device_table(devices);
  if (total > static_cast<int64_t>(devices.size()))
    fmt::print("({} of {} devices shown: --limit N for more)\n", devices.size(), total);
  return kExitOk;
}

int show(const DevicesFlags& f) {
  AdminClient client(f.admin);
  const json device = client.get("/api/devices/" + url_encode(f.mac));
  if (f.admin.json)
    fmt::print("{}\n", device.dump(2));
  else
    print_device(device);
  return kExitOk;
}

// "t1,t2" → ["t1", "t2"]; "" → [] (no tags).
json tag_list(const std::string& text) {
  json tags = json::array();
  size_t start = 0;
  while (start <= text.size() && !text.empty()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    if (comma > start) tags.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return tags;
}

int set(const DevicesFlags& f, const std::string& what) {
  AdminClient client(f.admin);
  const json body =
      what == "group" ? json{{"group", f.value.empty() ? json() : json(f.value)}} : json{{"tags", tag_list(f.value)}};
  const json device = client.put("/api/devices/" + url_encode(f.mac) + "/" + what, body);
  if (f.admin.json)
    fmt::print("{}\n", device.dump(2));
  else if (what == "group")
    fmt::print("{}: {}\n", device.at("mac").get<std::string>(),
               device.at("group").get<std::string>().empty() ? "in no group"
                                                             : "group " + device.at("group").get<std::string>());
  else {
    std::string tags;
    for (const json& t : device.at("tags")) tags += (tags.empty() ? "" : ", ") + t.get<std::string>();
    fmt::print("{}: tags {}\n", device.at("mac").get<std::string>(), tags.empty() ? "(none)" : tags);
  }
  return kExitOk;
}

}  // namespace

void add_devices_command(CLI::App& app, RunState& state) {
  auto f = std::make_shared<DevicesFlags>();
  CLI::App* cmd = app.add_subcommand("devices", "List the fleet server's devices; show one; set its group and tags");
  cmd->footer(
      "Devices register with their first update check (ESPhttpUpdate or `otakit device --update-url`).\n"
      "LAST SEEN is their last check; VERSION what they run (x-ESP8266-version).\n\n"
      "Examples:\n"
      "  otakit devices                                # a table of every device (the first 100)\n"
      "  otakit devices --group lab --version 1.0.0    # those still on 1.0.0 in group lab\n"
      "  otakit devices show 18:FE:34:AA:BB:CC         # one device and its recent history\n"
      "  otakit devices set-group 18:FE:34:AA:BB:CC lab   # \"\" leaves its group\n"
      "  otakit devices set-tags 18:FE:34:AA:BB:CC door,hall\n"
      "Groups and tags select devices for `otakit publish --group G` and `--tag T`.\n"
      "Exit codes: as `otakit publish`; 7 for an unknown device (the server's reason).");
  cmd->add_option("--group", f->group, "Only devices of this group");
  cmd->add_option("--tag", f->tag, "Only devices with this tag");
  cmd->add_option("--version", f->version, "Only devices running this version");
  cmd->add_option("--limit", f->limit, "At most this many (default 100)")->check(CLI::Range(1, 10000));
  add_admin_flags(cmd, f->admin);
  cmd->callback([f, cmd, &state] {
    if (!cmd->get_subcommands().empty()) return;
    state.exit_code = run_admin("devices", f->admin, [&] { return list(*f); });
  });

  CLI::App* show_cmd = cmd->add_subcommand("show", "One device and its recent history");
  show_cmd->add_option("mac", f->mac, "Its STA MAC, e.g. 18:FE:34:AA:BB:CC (dashes and lowercase work too)")
      ->required();
  add_admin_flags(show_cmd, f->admin);
  show_cmd->callback([f, &state] { state.exit_code = run_admin("devices", f->admin, [&] { return show(*f); }); });

  for (const std::string what : {"group", "tags"}) {
    CLI::App* sub =
        cmd->add_subcommand("set-" + what, what == "group" ? "Put a device in a group (\"\" leaves it)"
                                                           : "Set a device's tags (comma-separated; \"\" clears)");
    sub->add_option("mac", f->mac, "Its STA MAC")->required();
    sub->add_option(what, f->value, what == "group" ? "The group's name" : "The tags, e.g. door,hall")->required();
    add_admin_flags(sub, f->admin);
    sub->callback(
        [f, what, &state] { state.exit_code = run_admin("devices", f->admin, [&] { return set(*f, what); }); });
  }
}

}  // namespace otakit::cli
