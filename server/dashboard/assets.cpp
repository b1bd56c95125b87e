// Looking up the embedded dashboard files (the bytes are in the generated embedded_assets.cpp).
#include "server/dashboard/assets.h"

namespace otakit::server {

const Asset* embedded_assets(size_t* count);

const Asset* find_dashboard_asset(const std::string& path) {
  const std::string wanted = (path == "/" || path == "/dashboard" || path == "/dashboard/") ? "/index.html" : path;
  size_t count = 0;
  const Asset* assets = embedded_assets(&count);
  for (size_t i = 0; i < count; ++i)
    if (wanted == assets[i].path) return &assets[i];
  return nullptr;
}

}  // namespace otakit::server
