// Firmware bytes stored by their SHA-256: files under <data>/blobs/<2 hex>/<64 hex> that the
// transport sends with sendfile. With a shared database (several instances), the database holds
// every blob too and each instance's folder is a cache it fills on first use.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "server/store/database.h"

namespace otakit::server {

class BlobStore {
 public:
  // shared: also keep blobs in the database's blobs table (PostgreSQL deployments).
  BlobStore(std::string folder, bool shared);

  // Stores the bytes (once per content); returns their SHA-256.
  std::string put(Database& db, const std::vector<uint8_t>& bytes, const std::string& sha256);
  // The path of the blob's file, fetching it from the database into the cache when needed;
  // throws std::runtime_error if neither has it or the bytes do not hash to the name.
  std::string path(Database& db, const std::string& sha256);

 private:
  std::string file_for(const std::string& sha256) const;
  std::string folder_;
  bool shared_;
};

}  // namespace otakit::server
