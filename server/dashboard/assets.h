// The dashboard's files (server/dashboard/www), compiled into the binary so `otakit server`
// needs nothing beside it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace otakit::server {

struct Asset {
  const char* path;          // "/index.html"
  const char* content_type;
  const uint8_t* data;
  size_t size;
};

// "/" and "/dashboard" give index.html; nullptr when there is no such file.
const Asset* find_dashboard_asset(const std::string& path);

}  // namespace otakit::server
