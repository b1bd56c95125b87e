// PEM -> DER with BearSSL's br_pem_decoder: every object of a PEM text with its label
// ("CERTIFICATE", "PRIVATE KEY", ...). Shared by the trust anchors and the server identity.
#pragma once
#include <string>
#include <vector>

namespace otakit::posix {

struct PemObject {
  std::string label;
  std::vector<unsigned char> der;
};

// Throws std::runtime_error "<source>: not valid PEM" for text BearSSL's decoder refuses.
std::vector<PemObject> decode_pem(const std::string& pem, const std::string& source);

}  // namespace otakit::posix
