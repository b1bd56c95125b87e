// Content-addressed firmware blobs on disk, mirrored in the database when it is shared.
#include "server/store/blob_store.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <filesystem>
#include <stdexcept>

#include "files/file_io.h"
#include "host/image_report.h"

namespace otakit::server {
namespace {
bool is_sha256(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}
}  // namespace

BlobStore::BlobStore(std::string folder, bool shared) : folder_(std::move(folder)), shared_(shared) {
  std::filesystem::create_directories(folder_);
}

std::string BlobStore::file_for(const std::string& sha256) const {
  if (!is_sha256(sha256)) throw std::runtime_error(fmt::format("'{}' is not a SHA-256 blob name", sha256));
  return folder_ + "/" + sha256.substr(0, 2) + "/" + sha256;
}

std::string BlobStore::put(Database& db, const std::vector<uint8_t>& bytes, const std::string& sha256) {
  const std::string file = file_for(sha256);
  if (!files::file_exists(file)) {
    std::filesystem::create_directories(folder_ + "/" + sha256.substr(0, 2));
    files::write_file_atomic(file, bytes);
  }
  if (shared_)
    db.query("INSERT INTO blobs (sha256, data) VALUES (?, ?) ON CONFLICT (sha256) DO NOTHING", {sha256, bytes});
  return sha256;
}

std::string BlobStore::path(Database& db, const std::string& sha256) {
  const std::string file = file_for(sha256);
  if (files::file_exists(file)) return file;
  if (!shared_) throw std::runtime_error(fmt::format("blob {} is missing from {}", sha256, folder_));
  const auto rows = db.query("SELECT data FROM blobs WHERE sha256 = ?", {sha256});
  if (rows.empty()) throw std::runtime_error(fmt::format("blob {} is in neither the cache nor the database", sha256));
  const std::vector<uint8_t> bytes = as_blob(rows[0][0]);
  if (host::sha256_hex(bytes.data(), bytes.size()) != sha256)
    throw std::runtime_error(fmt::format("blob {} in the database does not hash to its name", sha256));
  std::filesystem::create_directories(folder_ + "/" + sha256.substr(0, 2));
  files::write_file_atomic(file, bytes);
  return file;
}

}  // namespace otakit::server
