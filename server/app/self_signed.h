// A self-signed certificate for `otakit server --tls-self-signed` (demos and tests): an EC P-256
// key and a certificate for localhost and 127.0.0.1, made once and kept in the data folder.
#pragma once
#include <string>

namespace otakit::server {

struct SelfSigned {
  std::string certificate;  // PEM file paths
  std::string private_key;
};

// Reuses <folder>/cert.pem and key.pem when both exist; throws std::runtime_error otherwise on failure.
SelfSigned ensure_self_signed(const std::string& folder);

}  // namespace otakit::server
