// Decodes a message body as its head frames it: exactly Content-Length bytes, the chunked coding
// (RFC 9112 §7.1), or everything until the connection closes. Body data comes out as slices of
// the input as it arrives; nothing of the body is buffered.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "core/http/message.h"

namespace otakit::http {

enum class Framing : uint8_t { length, chunked, until_close };

struct BodyFraming {
  Framing kind = Framing::length;
  uint32_t length = 0;  // Framing::length only; 0 = no body
};

enum class BodyError : uint8_t {
  ok,
  short_body,              // the connection closed before Content-Length bytes arrived
  truncated_chunked_body,  // the connection closed before the last chunk and trailers ended
  bad_chunk_size,          // the chunk-size line does not start with hex digits
  chunk_size_overflow,     // a chunk larger than 4 GiB - 1
  chunk_line_too_long,     // a chunk-size line (with its extensions) longer than kMaxChunkLine
  missing_chunk_crlf,      // chunk data not followed by CRLF
  bad_line_end,            // a CR without LF, or a LF without CR, in the chunked framing
  trailer_too_large,       // the trailer section is longer than kMaxTrailerBytes
};

const char* describe(BodyError error);

class BodyDecoder {
 public:
  static constexpr size_t kMaxChunkLine = 256;
  static constexpr size_t kMaxTrailerBytes = 4096;

  explicit BodyDecoder(BodyFraming framing);

  // Takes framing bytes and at most one run of body data, which goes to *data (empty when
  // none). Returns the bytes used: call again with the rest. Uses nothing once done or failed;
  // bytes after the end of the body are not the body's and stay with the caller.
  size_t decode(const uint8_t* input, size_t len, Slice* data);

  // The connection has closed: ok if the body was complete (always, for until_close).
  BodyError finish();

  bool done() const { return done_; }
  bool failed() const { return error_ != BodyError::ok; }
  BodyError error() const { return error_; }
  uint64_t received() const { return received_; }  // body bytes handed out so far

 private:
  enum class Chunk : uint8_t {
    size, size_space, extension, size_lf, data, data_cr, data_lf, trailer_begin, trailer_line,
    trailer_lf, final_lf
  };

  size_t hand_out(const uint8_t* input, size_t len, uint64_t limit, Slice* data);
  void take_framing_byte(uint8_t c);
  void take_size_byte(uint8_t c);
  void take_trailer_byte(uint8_t c);
  void expect(uint8_t c, uint8_t wanted, Chunk next, BodyError otherwise);
  void fail(BodyError error) { error_ = error; }

  BodyFraming framing_;
  bool done_ = false;
  BodyError error_ = BodyError::ok;
  uint64_t received_ = 0;

  Chunk chunk_ = Chunk::size;
  uint32_t chunk_size_ = 0;
  uint32_t chunk_left_ = 0;
  size_t size_digits_ = 0;
  size_t line_bytes_ = 0;
  size_t trailer_bytes_ = 0;
};

}  // namespace otakit::http
