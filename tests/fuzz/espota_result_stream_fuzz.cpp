// The device's bytes on the upload connection (acks, OK, ERROR text): fed in pieces whose size
// comes from the first input byte, so joined and split reads are both explored.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/espota/result_stream.h"

using namespace otakit::espota;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  size_t piece = (data[0] % 16) + 1;
  uint32_t sent = (static_cast<uint32_t>(data[0]) << 8) | 0x5B4;
  DeviceStreamParser parser;
  for (size_t i = 1; i < size; i += piece) {
    size_t n = size - i < piece ? size - i : piece;
    parser.feed(data + i, n, sent);
    if (parser.acked_estimate() > sent) __builtin_trap();
    sent += 97;
  }
  parser.finish();
  if (strlen(parser.text()) > DeviceStreamParser::kMaxText) __builtin_trap();
  if (parser.result() == StreamResult::pending && parser.error_started()) __builtin_trap();
  return 0;
}
