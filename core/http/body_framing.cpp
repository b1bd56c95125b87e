#include "core/http/body_framing.h"

#include "core/util/hex.h"

namespace otakit::http {

const char* describe(BodyError error) {
  switch (error) {
    case BodyError::ok: return "ok";
    case BodyError::short_body: return "the connection closed before the whole Content-Length arrived";
    case BodyError::truncated_chunked_body: return "the connection closed inside the chunked body";
    case BodyError::bad_chunk_size: return "a chunk size that is not a hex number";
    case BodyError::chunk_size_overflow: return "a chunk larger than 4 GiB - 1";
    case BodyError::chunk_line_too_long: return "a chunk-size line longer than the limit";
    case BodyError::missing_chunk_crlf: return "chunk data not followed by CRLF";
    case BodyError::bad_line_end: return "a line in the chunked framing not ending in CRLF";
    case BodyError::trailer_too_large: return "the chunked trailer is larger than the limit";
  }
  return "unknown";
}

BodyDecoder::BodyDecoder(BodyFraming framing) : framing_(framing) {
  done_ = framing.kind == Framing::length && framing.length == 0;
}

size_t BodyDecoder::decode(const uint8_t* input, size_t len, Slice* data) {
  *data = Slice{};
  if (done_ || failed()) return 0;
  switch (framing_.kind) {
    case Framing::length: {
      size_t used = hand_out(input, len, framing_.length - received_, data);
      done_ = received_ == framing_.length;
      return used;
    }
    case Framing::until_close:
      return hand_out(input, len, len, data);
    case Framing::chunked:
      break;
  }
  size_t used = 0;
  while (used < len && !done_ && !failed()) {
    if (chunk_ == Chunk::data) {
      used += hand_out(input + used, len - used, chunk_left_, data);
      chunk_left_ -= uint32_t(data->size);
      if (chunk_left_ == 0) chunk_ = Chunk::data_cr;
      return used;
    }
    take_framing_byte(input[used++]);
  }
  return used;
}

BodyError BodyDecoder::finish() {
  if (failed() || done_) return error_;
  switch (framing_.kind) {
    case Framing::until_close:
      done_ = true;
      break;
    case Framing::length:
      fail(BodyError::short_body);
      break;
    case Framing::chunked:
      fail(BodyError::truncated_chunked_body);
      break;
  }
  return error_;
}

size_t BodyDecoder::hand_out(const uint8_t* input, size_t len, uint64_t limit, Slice* data) {
  size_t n = len < limit ? len : size_t(limit);
  *data = Slice{input, n};
  received_ += n;
  return n;
}

void BodyDecoder::take_framing_byte(uint8_t c) {
  switch (chunk_) {
    case Chunk::size:
    case Chunk::size_space:
    case Chunk::extension:
      return take_size_byte(c);
    case Chunk::size_lf:
      if (c != '\n') return fail(BodyError::bad_line_end);
      chunk_ = chunk_size_ == 0 ? Chunk::trailer_begin : Chunk::data;
      chunk_left_ = chunk_size_;
      return;
    case Chunk::data_cr:
      return expect(c, '\r', Chunk::data_lf, BodyError::missing_chunk_crlf);
    case Chunk::data_lf:
      chunk_size_ = 0;
      size_digits_ = 0;
      line_bytes_ = 0;
      return expect(c, '\n', Chunk::size, BodyError::missing_chunk_crlf);
    case Chunk::trailer_begin:
    case Chunk::trailer_line:
    case Chunk::trailer_lf:
      return take_trailer_byte(c);
    case Chunk::final_lf:
      if (c != '\n') return fail(BodyError::bad_line_end);
      done_ = true;
      return;
    case Chunk::data:
      return;  // decode() hands data out itself
  }
}

// chunk-size [ BWS ";" extensions ] CRLF; the extensions are skipped (RFC 9112 §7.1.1).
void BodyDecoder::take_size_byte(uint8_t c) {
  if (++line_bytes_ > kMaxChunkLine) return fail(BodyError::chunk_line_too_long);
  if (c == '\n') return fail(BodyError::bad_line_end);
  if (chunk_ == Chunk::extension) {
    if (c == '\r') chunk_ = Chunk::size_lf;
    return;
  }
  bool after_digits = size_digits_ > 0;
  if (c == ';' && after_digits) {
    chunk_ = Chunk::extension;
    return;
  }
  if (chunk_ == Chunk::size_space) {
    if (c != ' ' && c != '\t') fail(BodyError::bad_chunk_size);
    return;
  }
  if (c == '\r' && after_digits) {
    chunk_ = Chunk::size_lf;
    return;
  }
  if ((c == ' ' || c == '\t') && after_digits) {
    chunk_ = Chunk::size_space;
    return;
  }
  int digit = hex_digit_value(char(c));
  if (digit < 0) return fail(BodyError::bad_chunk_size);
  if (chunk_size_ > 0x0FFFFFFFu) return fail(BodyError::chunk_size_overflow);
  chunk_size_ = chunk_size_ << 4 | uint32_t(digit);
  ++size_digits_;
}

// Trailer fields are skipped, bounded in total (RFC 9112 §7.1.2 lets a recipient discard them).
void BodyDecoder::take_trailer_byte(uint8_t c) {
  if (++trailer_bytes_ > kMaxTrailerBytes) return fail(BodyError::trailer_too_large);
  if (c == '\n' && chunk_ != Chunk::trailer_lf) return fail(BodyError::bad_line_end);
  switch (chunk_) {
    case Chunk::trailer_begin:
      chunk_ = c == '\r' ? Chunk::final_lf : Chunk::trailer_line;
      return;
    case Chunk::trailer_line:
      if (c == '\r') chunk_ = Chunk::trailer_lf;
      return;
    default:
      return expect(c, '\n', Chunk::trailer_begin, BodyError::bad_line_end);
  }
}

void BodyDecoder::expect(uint8_t c, uint8_t wanted, Chunk next, BodyError otherwise) {
  if (c != wanted) return fail(otherwise);
  chunk_ = next;
}

}  // namespace otakit::http
