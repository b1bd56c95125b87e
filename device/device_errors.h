// Failures of the virtual device that come from a file the user gave it (flash file, public key):
// the command line reports them as bad input (exit 3), and each message says what to do.
#pragma once
#include <stdexcept>

namespace otakit::device {

struct DeviceInputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace otakit::device
