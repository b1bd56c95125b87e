// The engines the store tests run on (tests/server/engines.h).
#include "tests/server/engines.h"

#include "tests/server/postgres_fixture.h"
#include "tests/server/server_test_support.h"

namespace otakit::server::test {

const std::vector<std::string>& engines() {
  static const std::vector<std::string> list = {"sqlite", "postgresql"};
  return list;
}

std::string fresh_database_url(const std::string& engine) {
  if (engine == "sqlite") return "sqlite:" + temp_dir("store") + "/fleet.db";
  if (engine == "postgresql") return PostgresServer::shared().create_database();
  throw std::invalid_argument("no such engine: " + engine);
}

}  // namespace otakit::server::test
