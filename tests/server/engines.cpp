// The engines the store tests run on (tests/server/engines.h).
#include "tests/server/engines.h"

#include "tests/server/server_test_support.h"

namespace otakit::server::test {

const std::vector<std::string>& engines() {
  static const std::vector<std::string> list = {"sqlite"};
  return list;
}

std::string fresh_database_url(const std::string& engine) {
  if (engine == "sqlite") return "sqlite:" + temp_dir("store") + "/fleet.db";
  throw std::invalid_argument("no such engine: " + engine);
}

}  // namespace otakit::server::test
