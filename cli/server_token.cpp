#include "cli/server_token.h"

#include <chrono>
#include <filesystem>

#include "server/admin/admin_api.h"
#include "server/store/database.h"
#include "server/store/fleet_store.h"
#include "server/store/migrations.h"

namespace otakit::cli {

CreatedToken create_admin_token(const std::string& data_dir, const std::string& database, const std::string& name,
                                int expires_days) {
  const std::string url = database.empty() ? "sqlite:" + data_dir + "/fleet.db" : database;
  std::filesystem::create_directories(data_dir);
  auto db = server::open_database(url);
  server::migrate(*db, server::fleet_migrations());
  server::FleetStore store(*db, "cli");
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const server::NewToken made = server::generate_token();
  CreatedToken out;
  out.token = made.token;
  out.expires_at = expires_days > 0 ? now + int64_t{expires_days} * 86400000 : 0;
  out.id = store.add_token(name, made.sha256, now, out.expires_at);
  return out;
}

}  // namespace otakit::cli
