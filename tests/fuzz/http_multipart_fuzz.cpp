// Upload bodies come from anyone who can reach the device's web server. Input: a boundary length
// byte, the boundary, a piece-size byte, then the body. In pieces the parser must give the same
// parts, data and outcome as in one piece; events must come in order; data slices must lie in
// the piece just fed or be held-back delimiter bytes; and no part's byte may be held back
// longer than the delimiter's length allows.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <string>
#include <vector>

#include "core/http/multipart.h"

using namespace otakit::http;

namespace {

struct Outcome {
  std::vector<std::string> names;
  std::vector<std::string> data;
  bool body_end = false;
  MultipartError error = MultipartError::ok;
};

void on_event(MultipartEvent event, const MultipartParser& parser, const uint8_t* piece, size_t len,
              size_t boundary_size, Outcome& out, bool& in_part) {
  switch (event) {
    case MultipartEvent::part_begin:
      if (in_part || out.body_end) __builtin_trap();
      in_part = true;
      out.names.push_back(std::string(parser.part().name.data, parser.part().name.size));
      out.data.emplace_back();
      break;
    case MultipartEvent::part_data: {
      Slice data = parser.data();
      bool in_piece = data.data >= piece && data.data + data.size <= piece + len;
      if (!in_part || data.size == 0 || (!in_piece && data.size > boundary_size + 3)) __builtin_trap();
      out.data.back().append(reinterpret_cast<const char*>(data.data), data.size);
      break;
    }
    case MultipartEvent::part_end:
      if (!in_part) __builtin_trap();
      in_part = false;
      break;
    case MultipartEvent::body_end:
      if (in_part || out.body_end) __builtin_trap();
      out.body_end = true;
      break;
    case MultipartEvent::need_input:
    case MultipartEvent::failed:
      break;
  }
}

Outcome run(Text boundary, const uint8_t* body, size_t size, size_t piece) {
  HeadStorage<256, 4> storage;
  MultipartParser parser(boundary, storage);
  Outcome out;
  bool in_part = false;
  size_t taken = 0, part_start = 0, part_bytes = 0;
  for (size_t offset = 0; offset < size; offset += piece) {
    size_t len = size - offset < piece ? size - offset : piece;
    size_t used = 0;
    MultipartEvent event;
    do {
      size_t n = parser.feed(body + offset + used, len - used, &event);
      if (n > len - used) __builtin_trap();
      used += n;
      taken += n;
      if (event == MultipartEvent::part_data) part_bytes += parser.data().size;
      on_event(event, parser, body + offset, len, boundary.size, out, in_part);
      if (event == MultipartEvent::part_begin) {
        part_start = taken;
        part_bytes = 0;
      }
    } while (event != MultipartEvent::need_input && event != MultipartEvent::failed);
    if (event == MultipartEvent::failed) break;
    if (used != len) __builtin_trap();
    if (in_part && taken - part_start - part_bytes > boundary.size + 3) __builtin_trap();
  }
  out.error = parser.finish();
  if (out.body_end != (out.error == MultipartError::ok)) __builtin_trap();
  if (strcmp(describe(out.error), "unknown") == 0) __builtin_trap();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  size_t boundary_size = data[0] % (MultipartParser::kMaxBoundary + 2);
  if (size < 2 + boundary_size) return 0;
  Text boundary{reinterpret_cast<const char*>(data + 1), boundary_size};
  size_t piece = data[1 + boundary_size] % 64 + 1;
  const uint8_t* body = data + 2 + boundary_size;
  size_t body_size = size - 2 - boundary_size;
  Outcome whole = run(boundary, body, body_size, body_size ? body_size : 1);
  Outcome split = run(boundary, body, body_size, piece);
  if (whole.names != split.names || whole.data != split.data || whole.error != split.error) __builtin_trap();
  size_t total = 0;
  for (const std::string& part : whole.data) total += part.size();
  if (total > body_size) __builtin_trap();
  return 0;
}
