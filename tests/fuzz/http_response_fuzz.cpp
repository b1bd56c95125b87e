// Responses come from whatever server the device pulls its update from. The first byte picks the
// piece size and what the rest is: a response (head, then the body it frames), or a body framed
// chunked, by a length or until close. In pieces the result must equal the one-piece result,
// slices must lie in the piece just fed, a length-framed body must never exceed its length, and
// the decoder must make progress until it is done or failed.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <string>

#include "core/http/body_framing.h"
#include "core/http/response_head.h"

using namespace otakit::http;

namespace {

struct Result {
  HeadStatus head = HeadStatus::complete;
  HeadError head_error = HeadError::ok;
  BodyFraming framing;
  std::string body;
  BodyError body_error = BodyError::ok;
  bool done = false;
};

void decode_body(BodyFraming framing, const uint8_t* data, size_t size, size_t piece, Result& out) {
  out.framing = framing;
  BodyDecoder decoder(framing);
  for (size_t offset = 0; offset < size && !decoder.done() && !decoder.failed(); offset += piece) {
    size_t len = size - offset < piece ? size - offset : piece;
    size_t used = 0;
    while (used < len && !decoder.done() && !decoder.failed()) {
      Slice slice;
      size_t n = decoder.decode(data + offset + used, len - used, &slice);
      if (n == 0 || n > len - used) __builtin_trap();
      if (slice.size && (slice.data < data + offset + used || slice.data + slice.size > data + offset + used + n)) {
        __builtin_trap();
      }
      out.body.append(reinterpret_cast<const char*>(slice.data), slice.size);
      used += n;
    }
  }
  if (decoder.received() != out.body.size()) __builtin_trap();
  if (framing.kind == Framing::length && (decoder.received() > framing.length ||
                                          decoder.done() != (decoder.received() == framing.length))) {
    __builtin_trap();
  }
  out.body_error = decoder.finish();
  out.done = decoder.done();
  if (out.done == decoder.failed() || strcmp(describe(out.body_error), "unknown") == 0) __builtin_trap();
}

void check_head(const ResponseHead& head) {
  if (head.status < 100 || head.status > 599) __builtin_trap();
  ContentRange range;
  if (parse_content_range(head.content_range, &range) && range.satisfied) {
    if (range.first > range.last || (range.length_known && range.last >= range.complete_length)) __builtin_trap();
  }
}

void parse_response(const uint8_t* data, size_t size, size_t piece, Result& out) {
  HeadStorage<512, 8> storage;
  ResponseHeadParser parser(storage);
  size_t used = 0;
  while (used < size && parser.status() == HeadStatus::incomplete) {
    size_t len = size - used < piece ? size - used : piece;
    size_t n = parser.feed(data + used, len);
    if (n > len || (n < len && parser.status() == HeadStatus::incomplete)) __builtin_trap();
    used += n;
  }
  out.head = parser.status();
  out.head_error = parser.error();
  if (parser.status() != HeadStatus::complete) return;
  check_head(parser.head());
  decode_body(parser.head().body_framing(), data + used, size - used, piece, out);
}

Result run(uint8_t mode, const uint8_t* data, size_t size, size_t piece) {
  Result out;
  if (mode == 0) {
    parse_response(data, size, piece, out);
  } else if (mode == 1) {
    decode_body(BodyFraming{Framing::chunked, 0}, data, size, piece, out);
  } else if (mode == 2 && size >= 2) {
    decode_body(BodyFraming{Framing::length, uint32_t(data[0] << 8 | data[1])}, data + 2, size - 2, piece, out);
  } else {
    decode_body(BodyFraming{Framing::until_close, 0}, data, size, piece, out);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  uint8_t mode = data[0] & 3;
  size_t piece = (data[0] >> 2) + 1;
  Result whole = run(mode, data + 1, size - 1, size);
  Result split = run(mode, data + 1, size - 1, piece);
  if (whole.head != split.head || whole.head_error != split.head_error || whole.body != split.body ||
      whole.body_error != split.body_error || whole.done != split.done || whole.framing.kind != split.framing.kind) {
    __builtin_trap();
  }
  return 0;
}
