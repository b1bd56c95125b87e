#include "cli/server_token.h"

#include <filesystem>
#include <memory>

#include "cli/admin_views.h"
#include "cli/command_failure.h"
#include "server/admin/admin_api.h"
#include "server/store/database.h"
#include "server/store/migrations.h"

namespace otakit::cli {
namespace {

struct OpenStore {
  std::unique_ptr<server::Database> db;
  std::unique_ptr<server::FleetStore> store;
};

// create: a token may be made before the server's first start; listing a folder with no
// database in it is a mistaken --data.
OpenStore open_store(const std::string& data_dir, const std::string& database, bool create) {
  const std::string file = data_dir + "/fleet.db";
  const std::string url = database.empty() ? "sqlite:" + file : database;
  if (database.empty() && !create && !std::filesystem::exists(file))
    throw CommandFailure(kExitInputError,
                         "no server database at " + file + ": give the server's --data DIR or --database URL");
  if (database.empty()) std::filesystem::create_directories(data_dir);
  OpenStore out;
  out.db = server::open_database(url);
  server::migrate(*out.db, server::fleet_migrations());
  out.store = std::make_unique<server::FleetStore>(*out.db, "cli");
  return out;
}

}  // namespace

CreatedToken create_admin_token(const std::string& data_dir, const std::string& database, const std::string& name,
                                int expires_days) {
  OpenStore open = open_store(data_dir, database, true);
  const int64_t now = now_ms();
  const server::NewToken made = server::generate_token();
  CreatedToken out;
  out.token = made.token;
  out.expires_at = expires_days > 0 ? now + int64_t{expires_days} * 86400000 : 0;
  out.id = open.store->add_token(name, made.sha256, now, out.expires_at);
  return out;
}

std::vector<server::TokenView> list_admin_tokens(const std::string& data_dir, const std::string& database) {
  return open_store(data_dir, database, false).store->list_tokens();
}

bool revoke_admin_token(const std::string& data_dir, const std::string& database, int64_t id) {
  return open_store(data_dir, database, false).store->revoke_token(id);
}

}  // namespace otakit::cli
