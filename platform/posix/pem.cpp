#include "platform/posix/pem.h"

#include <bearssl_pem.h>

#include <stdexcept>

namespace otakit::posix {
namespace {

void append_bytes(void* to, const void* data, size_t len) {
  auto* bytes = static_cast<std::vector<unsigned char>*>(to);
  const auto* p = static_cast<const unsigned char*>(data);
  bytes->insert(bytes->end(), p, p + len);
}

}  // namespace

std::vector<PemObject> decode_pem(const std::string& pem, const std::string& source) {
  br_pem_decoder_context decoder;
  br_pem_decoder_init(&decoder);
  std::vector<PemObject> objects;
  std::string text = pem + "\n";  // the decoder ends an object only at the newline after its END line
  size_t used = 0;
  while (used < text.size()) {
    used += br_pem_decoder_push(&decoder, text.data() + used, text.size() - used);
    switch (br_pem_decoder_event(&decoder)) {
      case BR_PEM_BEGIN_OBJ:
        objects.push_back(PemObject{br_pem_decoder_name(&decoder), {}});
        br_pem_decoder_setdest(&decoder, append_bytes, &objects.back().der);
        break;
      case BR_PEM_END_OBJ: br_pem_decoder_setdest(&decoder, nullptr, nullptr); break;
      case BR_PEM_ERROR: throw std::runtime_error(source + ": not valid PEM");
      default: break;
    }
  }
  return objects;
}

}  // namespace otakit::posix
