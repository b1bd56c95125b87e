// Admin API tokens, made and managed on the server's own database: `otakit server token
// create|list|revoke`, and `otakit demo` makes its token here too, so a demo token is exactly
// what an operator gets.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "server/store/fleet_store.h"

namespace otakit::cli {

struct CreatedToken {
  int64_t id = 0;
  std::string token;  // shown once; the store keeps only its SHA-256
  int64_t expires_at = 0;  // ms since 1970; 0: never
};

// Each opens (and migrates) the database of data_dir, or `database` when it is not empty.
// create: a token named `name`; expires_days 0: it never expires.
CreatedToken create_admin_token(const std::string& data_dir, const std::string& database, const std::string& name,
                                int expires_days);
std::vector<server::TokenView> list_admin_tokens(const std::string& data_dir, const std::string& database);
// false: there is no token with that id.
bool revoke_admin_token(const std::string& data_dir, const std::string& database, int64_t id);

}  // namespace otakit::cli
