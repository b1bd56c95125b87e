// The admin API's routes (docs/server.md "Admin API").
#include "server/admin/admin_api.h"

#include <fmt/format.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <strings.h>

#include <stdexcept>

#include "core/http/device_report.h"
#include "core/util/base64.h"
#include "host/image_report.h"
#include "server/admin/json_views.h"

namespace otakit::server {
namespace {

using nlohmann::json;

Response error(int status, const std::string& message) {
  return Response::json(status, json{{"error", message}}.dump());
}
Response ok(const json& body, int status = 200) { return Response::json(status, body.dump()); }

// "/api/rollouts/7/pause" → {"rollouts", "7", "pause"}
std::vector<std::string> segments(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 5;  // after "/api/"
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (end > start) parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

bool parse_id(const std::string& text, int64_t* id) {
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos) return false;
  *id = std::stoll(text);
  return true;
}

// A MAC as the device sends it; lowercase and dashes are accepted from operators.
std::optional<std::string> normal_mac(std::string text) {
  for (char& c : text) c = c == '-' ? ':' : c;
  uint8_t bytes[6];
  if (!http::parse_mac(text.data(), text.size(), bytes)) return std::nullopt;
  char mac[18];
  http::format_mac(bytes, mac);
  return std::string(mac);
}

// Group and tag names: short, and safe in URLs and filters.
bool valid_name(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
      return false;
  return true;
}

std::optional<json> body_json(const Request& request, std::string* why) {
  try {
    json j = json::parse(request.body.empty() ? "{}" : request.body);
    if (!j.is_object()) {
      *why = "the body must be a JSON object";
      return std::nullopt;
    }
    return j;
  } catch (const json::exception& e) {
    *why = fmt::format("the body is not JSON: {}", e.what());
    return std::nullopt;
  }
}

std::optional<DeviceFilter> filter_from(const json& j, std::string* why) {
  DeviceFilter f;
  try {
    f.group = j.value("group", "");
    f.tag = j.value("tag", "");
    f.version = j.value("version", "");
    f.chip_size = j.value("chip_size", 0u);
    f.seen_since = j.value("seen_since", int64_t{0});
  } catch (const json::exception& e) {
    *why = fmt::format("bad filter: {}", e.what());
    return std::nullopt;
  }
  if ((!f.group.empty() && !valid_name(f.group)) || (!f.tag.empty() && !valid_name(f.tag))) {
    *why = "group and tag names are 1-64 characters of A-Z a-z 0-9 . _ -";
    return std::nullopt;
  }
  return f;
}

std::optional<DeviceFilter> filter_from_query(const Request& r, std::string* why) {
  json j = json::object();
  for (const char* key : {"group", "tag", "version"})
    if (r.query.count(key)) j[key] = r.query_value(key);
  for (const char* key : {"chip_size", "seen_since"}) {
    if (!r.query.count(key)) continue;
    int64_t n = 0;
    if (!parse_id(r.query_value(key), &n)) {
      *why = fmt::format("{} must be a number", key);
      return std::nullopt;
    }
    j[key] = n;
  }
  return filter_from(j, why);
}

}  // namespace

NewToken generate_token() {
  uint8_t random[32];
  if (RAND_bytes(random, sizeof(random)) != 1) throw std::runtime_error("the system has no randomness for a token");
  char text[64];
  const size_t n = base64_encode(random, sizeof(random), text);
  std::string token = "otk_";
  for (size_t i = 0; i < n; ++i) {
    const char c = text[i];
    if (c == '=') break;
    token += c == '+' ? '-' : c == '/' ? '_' : c;
  }
  return {token, token_hash(token)};
}

std::string token_hash(const std::string& token) {
  return host::sha256_hex(reinterpret_cast<const uint8_t*>(token.data()), token.size());
}

AdminApi::AdminApi(FleetStore& store, Database& db, BlobStore& blobs, const FleetKeys& keys, MillisecondClock now)
    : store_(store), db_(db), blobs_(blobs), keys_(keys), now_(std::move(now)) {}

std::optional<Response> AdminApi::refusal(const Request& request) {
  const std::string* auth = request.header("Authorization");
  const std::string scheme = "Bearer ";  // the scheme's name is case-insensitive (RFC 9110 §11.1)
  if (auth == nullptr || auth->size() < scheme.size() || strncasecmp(auth->c_str(), scheme.c_str(), scheme.size()) != 0)
    return error(401, "the admin API needs `Authorization: Bearer <token>`; create one with "
                      "`otakit server token create`")
        .set("WWW-Authenticate", "Bearer realm=\"otakit\"");
  switch (store_.check_token(token_hash(auth->substr(scheme.size())), now_())) {
    case FleetStore::TokenCheck::valid: return std::nullopt;
    case FleetStore::TokenCheck::unknown:
      return error(401, "the token is not known to this server").set("WWW-Authenticate", "Bearer error=\"invalid_token\"");
    case FleetStore::TokenCheck::expired:
      return error(401, "the token has expired: create a new one").set("WWW-Authenticate", "Bearer error=\"invalid_token\"");
    case FleetStore::TokenCheck::revoked:
      return error(401, "the token was revoked").set("WWW-Authenticate", "Bearer error=\"invalid_token\"");
  }
  return error(401, "the token was not accepted");
}

Response AdminApi::answer(const Request& request) {
  if (std::optional<Response> refused = refusal(request)) return *refused;
  try {
    return route(request);
  } catch (const std::invalid_argument& e) {
    return error(422, e.what());
  } catch (const json::exception& e) {  // a field of the wrong type
    return error(400, fmt::format("bad request body: {}", e.what()));
  } catch (const DatabaseError& e) {
    spdlog::error("admin {} {}: {}", request.method, request.path, e.what());
    return error(e.kind() == DatabaseError::Kind::serialization_failure ? 409 : 500,
                 fmt::format("the database refused the change: {}", e.what()));
  }
}

Response AdminApi::route(const Request& r) {
  const std::vector<std::string> s = segments(r.path);
  const std::string& m = r.method;
  if (s.empty()) return error(404, "see docs/server.md for the API's paths");
  const std::string& root = s[0];
  if (root == "devices" && s.size() == 1 && m == "GET") return devices(r);
  if (root == "devices" && s.size() >= 2) {
    const auto mac = normal_mac(s[1]);
    if (!mac) return error(400, fmt::format("'{}' is not a MAC address like 18:FE:34:AA:BB:CC", s[1]));
    return device(r, *mac, s.size() > 2 ? s[2] : "");
  }
  if (root == "groups" && s.size() == 1 && m == "GET") return ok(json{{"groups", store_.list_groups()}});
  if (root == "firmware" && s.size() == 1 && m == "GET") {
    json list = json::array();
    for (const Firmware& f : store_.list_firmware()) list.push_back(to_json(f));
    return ok(json{{"firmware", list}});
  }
  if (root == "firmware" && s.size() == 1 && m == "POST") return upload_firmware(r);
  if (root == "targets" && s.size() == 1 && m == "GET") {
    json list = json::array();
    for (const TargetView& t : store_.list_targets()) list.push_back(to_json(t));
    return ok(json{{"targets", list}});
  }
  if (root == "targets" && s.size() == 1 && m == "PUT") return put_target(r);
  if (root == "rollouts" && s.size() == 1 && m == "GET") {
    json list = json::array();
    for (const RolloutView& v : store_.list_rollouts()) list.push_back(to_json(v));
    return ok(json{{"rollouts", list}});
  }
  if (root == "rollouts" && s.size() == 1 && m == "POST") return create_rollout(r);
  if (root == "rollouts" && s.size() >= 2) {
    int64_t id = 0;
    if (!parse_id(s[1], &id)) return error(400, fmt::format("'{}' is not a rollout id", s[1]));
    return rollout(r, id, s.size() > 2 ? s[2] : "");
  }
  if (root == "status" && m == "GET")
    return ok(json{{"devices", store_.count_devices({})},
                   {"firmware", store_.list_firmware().size()},
                   {"rollouts", store_.list_rollouts().size()}});
  return error(404, fmt::format("no {} {} in the admin API (docs/server.md lists them)", m, r.path));
}

Response AdminApi::devices(const Request& r) {
  std::string why;
  const auto filter = filter_from_query(r, &why);
  if (!filter) return error(400, why);
  int64_t limit = 100, offset = 0;
  if (r.query.count("limit") && (!parse_id(r.query_value("limit"), &limit) || limit > 10000))
    return error(400, "limit must be a number up to 10000");
  if (r.query.count("offset") && !parse_id(r.query_value("offset"), &offset)) return error(400, "offset must be a number");
  json list = json::array();
  for (const Device& d : store_.list_devices(*filter, limit, offset)) list.push_back(to_json(d));
  return ok(json{{"devices", list}, {"total", store_.count_devices(*filter)}, {"limit", limit}, {"offset", offset}});
}

Response AdminApi::device(const Request& r, const std::string& mac, const std::string& rest) {
  const int64_t now = now_();
  if (rest.empty() && r.method == "GET") {
    const auto d = store_.device(mac);
    if (!d) return error(404, fmt::format("no device {} has checked in", mac));
    json history = json::array();
    for (const HistoryEntry& h : store_.history(mac, 50)) history.push_back(to_json(h));
    json j = to_json(*d);
    j["history"] = history;
    return ok(j);
  }
  if (rest == "history" && r.method == "GET") {
    int64_t limit = 100;
    if (r.query.count("limit") && !parse_id(r.query_value("limit"), &limit)) return error(400, "limit must be a number");
    json history = json::array();
    for (const HistoryEntry& h : store_.history(mac, limit)) history.push_back(to_json(h));
    return ok(json{{"mac", mac}, {"history", history}, {"total", store_.count_history(mac)}});
  }
  std::string why;
  const auto body = r.method == "PUT" ? body_json(r, &why) : std::nullopt;
  if (r.method == "PUT" && !body) return error(400, why);
  if (rest == "group" && r.method == "PUT") {
    const json& g = (*body)["group"];
    const std::string group = g.is_string() ? g.get<std::string>() : "";
    if (!g.is_null() && !g.is_string()) return error(400, "group must be a string, or null to leave the group");
    if (!group.empty() && !valid_name(group)) return error(400, "group names are 1-64 characters of A-Z a-z 0-9 . _ -");
    if (!store_.set_device_group(mac, group, now)) return error(404, fmt::format("no device {} has checked in", mac));
    return ok(to_json(*store_.device(mac)));
  }
  if (rest == "tags" && r.method == "PUT") {
    const json& t = (*body)["tags"];
    if (!t.is_array()) return error(400, "tags must be an array of names");
    std::vector<std::string> tags;
    for (const json& tag : t) {
      if (!tag.is_string() || !valid_name(tag.get<std::string>()))
        return error(400, "tag names are 1-64 characters of A-Z a-z 0-9 . _ -");
      tags.push_back(tag.get<std::string>());
    }
    if (!store_.set_device_tags(mac, tags, now)) return error(404, fmt::format("no device {} has checked in", mac));
    return ok(to_json(*store_.device(mac)));
  }
  return error(404, fmt::format("no {} {} in the admin API", r.method, r.path));
}

Response AdminApi::upload_firmware(const Request& r) {
  IntakeRequest intake;
  intake.name = r.query_value("name", "firmware.bin");
  intake.version = r.query_value("version");
  const std::string kind = r.query_value("kind", "sketch");
  if (kind != "sketch" && kind != "spiffs") return error(400, "kind is sketch or spiffs");
  intake.kind = kind == "spiffs" ? ImageKind::spiffs : ImageKind::sketch;
  if (intake.version.size() > 63) return error(400, "the version is longer than 63 characters");
  for (char c : intake.version)
    if (c < 0x20 || c > 0x7E) return error(400, "the version has a control or non-ASCII character");
  const std::vector<uint8_t> bytes(r.body.begin(), r.body.end());
  const IntakeResult result = inspect_upload(bytes, intake, keys_);
  if (!result.ok) return error(422, result.error);
  blobs_.put(db_, bytes, result.firmware.sha256);
  const bool existed = store_.firmware_by_sha256(result.firmware.sha256).has_value();
  const Firmware stored = store_.add_firmware(result.firmware, now_());
  spdlog::info("firmware {} id={} md5={} size={} version={}{}", stored.name, stored.id, stored.md5, stored.size,
               stored.version, existed ? " (already in the catalog)" : "");
  return ok(to_json(stored), existed ? 200 : 201);
}

Response AdminApi::put_target(const Request& r) {
  std::string why;
  const auto body = body_json(r, &why);
  if (!body) return error(400, why);
  const std::string scope = body->value("scope", "*");
  if (scope != "*" && !(scope.rfind("group:", 0) == 0 && valid_name(scope.substr(6))))
    return error(400, "scope is \"*\" (every device) or \"group:<name>\"");
  const int64_t firmware_id = body->value("firmware_id", int64_t{0});
  if (!store_.firmware(firmware_id)) return error(422, fmt::format("no firmware with id {}", firmware_id));
  store_.set_target(scope, firmware_id, now_());
  return ok(json{{"scope", scope}, {"firmware_id", firmware_id}});
}

Response AdminApi::create_rollout(const Request& r) {
  std::string why;
  const auto body = body_json(r, &why);
  if (!body) return error(400, why);
  RolloutSpec spec;
  try {
    spec.firmware_id = body->value("firmware_id", int64_t{0});
    spec.name = body->value("name", fmt::format("rollout of firmware {}", spec.firmware_id));
    const StagePlan plan = parse_stage_percentages(body->value("stages", "100%"));
    if (!plan.error.empty()) return error(400, plan.error);
    spec.cumulative_percent = plan.cumulative_percent;
    for (auto [key, target] : {std::pair{"success_threshold", &spec.success}, std::pair{"error_threshold", &spec.error}}) {
      if (!body->contains(key)) continue;
      const auto t = parse_threshold((*body)[key].get<std::string>(), &why);
      if (!t) return error(400, fmt::format("{}: {}", key, why));
      *target = *t;
    }
    spec.approval_required = body->value("approval_required", false);
    spec.pause_after_each_stage = body->value("pause_after_each_stage", false);
    if (body->contains("filter")) {
      const auto filter = filter_from((*body)["filter"], &why);
      if (!filter) return error(400, why);
      spec.filter = *filter;
    }
  } catch (const json::exception& e) {
    return error(400, fmt::format("bad rollout: {}", e.what()));
  }
  if (spec.name.size() > 200) return error(400, "the name is longer than 200 characters");
  const int64_t id = store_.create_rollout(spec, now_());
  return ok(to_json(*store_.rollout(id)), 201);
}

Response AdminApi::rollout(const Request& r, int64_t id, const std::string& action) {
  if (action.empty() && r.method == "GET") {
    const auto view = store_.rollout(id);
    if (!view) return error(404, fmt::format("no rollout {}", id));
    return ok(to_json(*view));
  }
  if (r.method != "POST") return error(405, "rollout actions are POST requests");
  if (action == "rollback") {
    const auto original = store_.rollout(id);
    if (!original) return error(404, fmt::format("no rollout {}", id));
    std::string why;
    const auto body = body_json(r, &why);
    if (!body) return error(400, why);
    RolloutSpec spec;
    spec.rollback_of = id;
    const auto previous = store_.rollback_firmware(id);
    spec.firmware_id = body->value("firmware_id", previous.value_or(0));
    if (spec.firmware_id == 0)
      return error(422, "the image these devices ran before is not in the catalog: upload it and pass firmware_id");
    if (!store_.firmware(spec.firmware_id)) return error(422, fmt::format("no firmware with id {}", spec.firmware_id));
    spec.name = fmt::format("rollback of rollout {}", id);
    spec.success = original->rules.stages.back().success;
    store_.command_rollout(id, RolloutCommand::cancel, now_());  // refused when already final: fine
    const int64_t rollback = store_.create_rollout(spec, now_());
    return ok(to_json(*store_.rollout(rollback)), 201);
  }
  RolloutCommand command;
  if (action == "approve") command = RolloutCommand::approve;
  else if (action == "pause") command = RolloutCommand::pause;
  else if (action == "resume") command = RolloutCommand::resume;
  else if (action == "cancel") command = RolloutCommand::cancel;
  else return error(404, fmt::format("'{}' is not a rollout action (approve, pause, resume, cancel, rollback)", action));
  const auto result = store_.command_rollout(id, command, now_());
  if (!result) return error(404, fmt::format("no rollout {}", id));
  if (!result->ok) return error(409, result->error);
  return ok(to_json(*store_.rollout(id)));
}

}  // namespace otakit::server
