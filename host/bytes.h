// The byte buffer every host tool passes around.
#pragma once
#include <cstdint>
#include <vector>

namespace otakit::host {

using Bytes = std::vector<uint8_t>;

}  // namespace otakit::host
