// The admin REST API under /api/: devices, groups and tags, the firmware catalog, targets and
// rollouts, as JSON. Every request needs `Authorization: Bearer <token>`; tokens are stored as
// their SHA-256 and never logged (docs/server.md "Admin API").
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "server/fleet/firmware_intake.h"
#include "server/http/exchange.h"
#include "server/protocol/update_endpoint.h"
#include "server/store/blob_store.h"
#include "server/store/fleet_store.h"

namespace otakit::server {

class AdminApi {
 public:
  AdminApi(FleetStore& store, Database& db, BlobStore& blobs, const FleetKeys& keys, MillisecondClock now);
  // For paths under /api/.
  Response answer(const Request& request);
  // nullopt when the request carries a valid bearer token; else the 401 to send (also used by
  // /metrics with --private-metrics).
  std::optional<Response> refusal(const Request& request);

 private:
  Response route(const Request& request);
  Response devices(const Request& request);
  Response device(const Request& request, const std::string& mac, const std::string& rest);
  Response upload_firmware(const Request& request);
  Response put_target(const Request& request);
  Response create_rollout(const Request& request);
  Response rollout(const Request& request, int64_t id, const std::string& action);

  FleetStore& store_;
  Database& db_;
  BlobStore& blobs_;
  const FleetKeys& keys_;
  MillisecondClock now_;
};

// A new random token ("otk_" + 43 base64url characters) and the hex SHA-256 the server stores.
struct NewToken {
  std::string token;
  std::string sha256;
};
NewToken generate_token();
std::string token_hash(const std::string& token);

}  // namespace otakit::server
