// Streaming multipart/form-data (RFC 7578 on RFC 2046 framing) for browser uploads: the decoded
// body goes in in any pieces; out come part begin (field name, filename, type), the part's data as
// slices as it arrives, part end, and body end. Only bytes that may begin a delimiter are held
// back (at most the boundary's length + 3), and those are never copied.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "core/http/head_reader.h"
#include "core/http/message.h"

namespace otakit::http {

enum class MultipartError : uint8_t {
  ok,
  missing_boundary,             // no boundary parameter, or an empty one
  boundary_too_long,            // more than 70 characters (RFC 2046 §5.1.1)
  bad_boundary,                 // a character outside RFC 2046's bchars, or a trailing space
  missing_first_boundary,       // the body does not begin with --boundary
  bad_delimiter_line,           // a delimiter followed by anything but padding and CRLF, or "--"
  part_header_too_large,        // a part's headers do not fit the part-header storage
  bad_part_header,              // a part header line is malformed (part_header_error() says how)
  missing_content_disposition,  // a part without Content-Disposition
  bad_content_disposition,      // not form-data with a name, or given twice
  truncated_body,               // the input ended before the closing delimiter
};

const char* describe(MultipartError error);

enum class MultipartEvent : uint8_t { need_input, part_begin, part_data, part_end, body_end, failed };

// The part being read, from part_begin until the next part begins.
struct PartInfo {
  Text name;          // Content-Disposition's name
  Text filename;      // its filename, absent for a plain field (escapes are left as sent)
  Text content_type;  // absent if the part has none
};

class MultipartParser {
 public:
  static constexpr size_t kMaxBoundary = 70;

  // boundary: the request's Content-Type parameter (RequestHead::boundary). The storage holds
  // one part's header lines; its size and field count are the part-header limits.
  MultipartParser(Text boundary, char* bytes, size_t capacity, HeaderField* fields, size_t max_fields);
  template <size_t Bytes, size_t Fields>
  MultipartParser(Text boundary, HeadStorage<Bytes, Fields>& storage)
      : MultipartParser(boundary, storage.bytes, Bytes, storage.fields, Fields) {}

  // Consumes input up to the next event and returns the bytes used. Call again with the rest
  // until the event is need_input (everything used) or failed. After body_end the epilogue is
  // consumed and ignored.
  size_t feed(const uint8_t* data, size_t len, MultipartEvent* event);
  // The input has ended: ok after the closing delimiter, an error otherwise.
  MultipartError finish();

  MultipartError error() const { return error_; }
  HeadError part_header_error() const { return part_header_error_; }
  const PartInfo& part() const { return part_; }
  // The bytes of the last part_data event: valid until the next call.
  Slice data() const { return data_; }
  bool done() const { return state_ == State::epilogue; }

  // Whether a boundary parameter is usable, so a server can answer 400 before reading the body.
  static MultipartError check_boundary(Text boundary);

 private:
  enum class State : uint8_t {
    first_boundary, boundary_end, padding, boundary_lf, close_dash, headers, data, epilogue, failed
  };

  size_t scan_data(const uint8_t* input, size_t len, MultipartEvent* event);
  size_t match_delimiter(const uint8_t* input, size_t len, MultipartEvent* event);
  size_t read_headers(const uint8_t* input, size_t len, MultipartEvent* event);
  void take_delimiter_byte(uint8_t c, MultipartEvent* event);
  void after_boundary(uint8_t c);
  MultipartError take_part_headers();
  void fail(MultipartError error);

  HeadReader headers_;
  char delimiter_[kMaxBoundary + 4] = {};  // CRLF "--" boundary
  size_t delimiter_length_ = 0;
  size_t matched_ = 0;  // delimiter bytes matched so far; in the data, the held-back bytes
  State state_ = State::first_boundary;
  MultipartError error_ = MultipartError::ok;
  HeadError part_header_error_ = HeadError::ok;
  PartInfo part_;
  Slice data_;
};

}  // namespace otakit::http
