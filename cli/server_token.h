// Admin API tokens made on the server's own database: `otakit server token create` and
// `otakit demo` both make theirs here, so a demo token is exactly what an operator gets.
#pragma once
#include <cstdint>
#include <string>

namespace otakit::cli {

struct CreatedToken {
  int64_t id = 0;
  std::string token;  // shown once; the store keeps only its SHA-256
  int64_t expires_at = 0;  // ms since 1970; 0: never
};

// Opens (and migrates) the database of data_dir, or `database` when it is not empty, and adds a
// token named `name`. expires_days 0: it never expires.
CreatedToken create_admin_token(const std::string& data_dir, const std::string& database, const std::string& name,
                                int expires_days);

}  // namespace otakit::cli
