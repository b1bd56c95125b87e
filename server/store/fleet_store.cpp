// The catalog, devices, targets, history and tokens of FleetStore (checks and rollouts have
// their own files).
#include "server/store/fleet_store.h"

#include <algorithm>

#include "server/store/fleet_catalog.h"

namespace otakit::server {
namespace {

const char* const kDeviceColumns =
    "mac, ap_mac, chip_id, chip_size, free_space, sketch_size, running_md5, running_version, sdk_version, "
    "address, group_name, tags, max_security_version, first_seen, last_seen, checks";

std::vector<std::string> split_tags(const std::string& text) {
  std::vector<std::string> tags;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) tags.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return tags;
}

Device device_from_row(const Row& row) {
  Device d;
  d.mac = as_text(row[0]);
  d.ap_mac = as_text(row[1]);
  d.chip_id = static_cast<uint32_t>(as_int(row[2]));
  d.chip_size = static_cast<uint32_t>(as_int(row[3]));
  d.free_space = static_cast<uint32_t>(as_int(row[4]));
  d.sketch_size = static_cast<uint32_t>(as_int(row[5]));
  d.running_md5 = as_text(row[6]);
  d.running_version = as_text(row[7]);
  d.sdk_version = as_text(row[8]);
  d.address = as_text(row[9]);
  d.group = as_text(row[10]);
  d.tags = split_tags(as_text(row[11]));
  d.max_security_version = static_cast<uint32_t>(as_int(row[12]));
  d.first_seen = as_int(row[13]);
  d.last_seen = as_int(row[14]);
  d.checks = as_int(row[15]);
  return d;
}

// A LIKE pattern that matches text literally.
std::string like_literal(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// WHERE clause and parameters for a filter. Tags are stored ",a,b," so a tag matches as ",tag,".
std::string filter_clause(const DeviceFilter& f, std::vector<Value>& params) {
  std::string where = " WHERE 1 = 1";
  if (!f.group.empty()) where += " AND group_name = ?", params.emplace_back(f.group);
  if (!f.tag.empty()) where += " AND tags LIKE ? ESCAPE '\\'", params.emplace_back("%," + like_literal(f.tag) + ",%");
  if (!f.version.empty()) where += " AND running_version = ?", params.emplace_back(f.version);
  if (f.chip_size != 0) where += " AND chip_size = ?", params.emplace_back(int64_t{f.chip_size});
  if (f.seen_since != 0) where += " AND last_seen >= ?", params.emplace_back(f.seen_since);
  return where;
}

}  // namespace

FleetStore::FleetStore(Database& db, std::string instance)
    : db_(db), instance_(std::move(instance)), catalog_(std::make_unique<Catalog>()) {}
FleetStore::~FleetStore() = default;

void FleetStore::pin_catalog(bool pinned) {
  pinned_ = false;
  if (pinned) catalog();
  pinned_ = pinned;
}

const FleetStore::Catalog& FleetStore::catalog() {
  if (pinned_ && !changed_ && catalog_->revision >= 0) return *catalog_;
  changed_ = false;
  const int64_t revision = as_int(db_.query("SELECT revision FROM fleet_revision WHERE id = 1")[0][0]);
  if (revision != catalog_->revision) catalog_->load(db_, revision);
  return *catalog_;
}

void FleetStore::bump_revision() {
  db_.query("UPDATE fleet_revision SET revision = revision + 1 WHERE id = 1");
  changed_ = true;
}

void FleetStore::add_history(const std::string& mac, int64_t at, const std::string& event, int64_t firmware_id,
                             int64_t rollout_id, const std::string& detail) {
  db_.query("INSERT INTO history (mac, at, event, firmware_id, rollout_id, detail, instance) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            {mac, at, event, firmware_id == 0 ? Value{Null{}} : Value{firmware_id},
             rollout_id == 0 ? Value{Null{}} : Value{rollout_id}, detail, instance_});
}

Firmware FleetStore::add_firmware(const Firmware& f, int64_t now) {
  Firmware stored;
  db_.transaction([&] {
    if (auto existing = firmware_by_sha256(f.sha256)) {
      stored = *existing;
      return;
    }
    const auto rows = db_.query(
        "INSERT INTO firmware (sha256, md5, size, name, version, project, security_version, signed, flash_size, "
        "kind, uploaded_at, running_md5) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING " +
            std::string(kFirmwareColumns),
        {f.sha256, f.md5, static_cast<int64_t>(f.size), f.name, f.version, f.project, int64_t{f.security_version},
         int64_t{f.is_signed ? 1 : 0}, int64_t{f.flash_size}, std::string(to_string(f.kind)), now,
         f.device_md5()});
    stored = firmware_from_row(rows[0]);
    bump_revision();
  });
  return stored;
}

std::optional<Firmware> FleetStore::firmware(int64_t id) {
  const auto rows = db_.query(std::string("SELECT ") + kFirmwareColumns + " FROM firmware WHERE id = ?", {id});
  if (rows.empty()) return std::nullopt;
  return firmware_from_row(rows[0]);
}

std::optional<Firmware> FleetStore::firmware_by_sha256(const std::string& sha256) {
  const auto rows = db_.query(std::string("SELECT ") + kFirmwareColumns + " FROM firmware WHERE sha256 = ?", {sha256});
  if (rows.empty()) return std::nullopt;
  return firmware_from_row(rows[0]);
}

std::vector<Firmware> FleetStore::list_firmware() {
  std::vector<Firmware> list;
  for (const Row& row : db_.query(std::string("SELECT ") + kFirmwareColumns + " FROM firmware ORDER BY id"))
    list.push_back(firmware_from_row(row));
  return list;
}

std::optional<Device> FleetStore::device(const std::string& mac) {
  const auto rows = db_.query(std::string("SELECT ") + kDeviceColumns + " FROM devices WHERE mac = ?", {mac});
  if (rows.empty()) return std::nullopt;
  return device_from_row(rows[0]);
}

std::vector<Device> FleetStore::list_devices(const DeviceFilter& filter, int64_t limit, int64_t offset) {
  std::vector<Value> params;
  const std::string sql = std::string("SELECT ") + kDeviceColumns + " FROM devices" + filter_clause(filter, params) +
                          " ORDER BY mac LIMIT ? OFFSET ?";
  params.emplace_back(limit);
  params.emplace_back(offset);
  std::vector<Device> list;
  for (const Row& row : db_.query(sql, params)) list.push_back(device_from_row(row));
  return list;
}

int64_t FleetStore::count_devices(const DeviceFilter& filter) {
  std::vector<Value> params;
  return as_int(db_.query("SELECT COUNT(*) FROM devices" + filter_clause(filter, params), params)[0][0]);
}

bool FleetStore::set_device_group(const std::string& mac, const std::string& group, int64_t now) {
  bool found = false;
  db_.transaction([&] {
    if (!group.empty())
      db_.query("INSERT INTO device_groups (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                {group, now});
    found = !db_.query("UPDATE devices SET group_name = ? WHERE mac = ? RETURNING mac",
                       {group.empty() ? Value{Null{}} : Value{group}, mac})
                 .empty();
    if (found) add_history(mac, now, "group", 0, 0, group.empty() ? "left its group" : "joined group " + group);
  });
  return found;
}

bool FleetStore::set_device_tags(const std::string& mac, std::vector<std::string> tags, int64_t now) {
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
  std::string text = tags.empty() ? "" : ",";
  for (const std::string& t : tags) text += t + ",";
  bool found = false;
  db_.transaction([&] {
    found = !db_.query("UPDATE devices SET tags = ? WHERE mac = ? RETURNING mac", {text, mac}).empty();
    if (found) add_history(mac, now, "tags", 0, 0, text);
  });
  return found;
}

std::vector<std::string> FleetStore::list_groups() {
  std::vector<std::string> groups;
  for (const Row& row : db_.query("SELECT name FROM device_groups ORDER BY name")) groups.push_back(as_text(row[0]));
  return groups;
}

std::vector<HistoryEntry> FleetStore::history(const std::string& mac, int64_t limit) {
  std::vector<HistoryEntry> list;
  for (const Row& row : db_.query("SELECT id, mac, at, event, firmware_id, rollout_id, detail, instance FROM history "
                                  "WHERE mac = ? ORDER BY id DESC LIMIT ?",
                                  {mac, limit}))
    list.push_back({as_int(row[0]), as_text(row[1]), as_int(row[2]), as_text(row[3]), as_int(row[4]), as_int(row[5]),
                    as_text(row[6]), as_text(row[7])});
  return list;
}

int64_t FleetStore::count_history(const std::string& mac) {
  return as_int(db_.query("SELECT COUNT(*) FROM history WHERE mac = ?", {mac})[0][0]);
}

void FleetStore::set_target(const std::string& scope, int64_t firmware_id, int64_t now) {
  db_.transaction([&] {
    db_.query("INSERT INTO targets (scope, firmware_id, set_at) VALUES (?, ?, ?) "
              "ON CONFLICT (scope) DO UPDATE SET firmware_id = excluded.firmware_id, set_at = excluded.set_at",
              {scope, firmware_id, now});
    add_history("", now, "target", firmware_id, 0, scope);
    bump_revision();
  });
}

std::vector<TargetView> FleetStore::list_targets() {
  std::vector<TargetView> list;
  for (const Row& row : db_.query("SELECT scope, firmware_id, set_at FROM targets ORDER BY scope"))
    list.push_back({as_text(row[0]), as_int(row[1]), as_int(row[2])});
  return list;
}

int64_t FleetStore::add_token(const std::string& name, const std::string& sha256_hex, int64_t now, int64_t expires_at) {
  return as_int(db_.query("INSERT INTO tokens (name, hash, created_at, expires_at) VALUES (?, ?, ?, ?) RETURNING id",
                          {name, sha256_hex, now, expires_at == 0 ? Value{Null{}} : Value{expires_at}})[0][0]);
}

FleetStore::TokenCheck FleetStore::check_token(const std::string& sha256_hex, int64_t now) {
  const auto rows = db_.query("SELECT expires_at, revoked FROM tokens WHERE hash = ?", {sha256_hex});
  if (rows.empty()) return TokenCheck::unknown;
  if (as_int(rows[0][1]) != 0) return TokenCheck::revoked;
  if (!is_null(rows[0][0]) && as_int(rows[0][0]) <= now) return TokenCheck::expired;
  return TokenCheck::valid;
}

bool FleetStore::revoke_token(int64_t id) {
  return !db_.query("UPDATE tokens SET revoked = 1 WHERE id = ? RETURNING id", {id}).empty();
}

std::vector<TokenView> FleetStore::list_tokens() {
  std::vector<TokenView> list;
  for (const Row& row : db_.query("SELECT id, name, created_at, expires_at, revoked FROM tokens ORDER BY id"))
    list.push_back({as_int(row[0]), as_text(row[1]), as_int(row[2]), is_null(row[3]) ? 0 : as_int(row[3]),
                    as_int(row[4]) != 0});
  return list;
}

}  // namespace otakit::server
