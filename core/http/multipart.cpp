#include "core/http/multipart.h"

#include <string.h>

namespace otakit::http {
namespace {

constexpr char kDelimiterStart[] = "\r\n--";
constexpr size_t kDelimiterStartLength = 4;
constexpr size_t kDashBoundaryOffset = 2;  // the first boundary has no CRLF before it

// bcharsnospace of RFC 2046 §5.1.1; bchars adds the space.
bool is_boundary_char(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return c != 0 && strchr("'()+_,-./:=? ", c) != nullptr;
}

bool is_padding(uint8_t c) { return c == ' ' || c == '\t'; }

}  // namespace

const char* describe(MultipartError error) {
  switch (error) {
    case MultipartError::ok: return "ok";
    case MultipartError::missing_boundary: return "the Content-Type has no boundary";
    case MultipartError::boundary_too_long: return "the boundary is longer than 70 characters";
    case MultipartError::bad_boundary: return "the boundary has a character RFC 2046 does not allow";
    case MultipartError::missing_first_boundary: return "the body does not begin with the boundary";
    case MultipartError::bad_delimiter_line: return "a boundary line not ending in CRLF or '--'";
    case MultipartError::part_header_too_large: return "a part's headers are larger than the limit";
    case MultipartError::bad_part_header: return "a malformed part header line";
    case MultipartError::missing_content_disposition: return "a part without Content-Disposition";
    case MultipartError::bad_content_disposition: return "a part's Content-Disposition is not form-data with a name";
    case MultipartError::truncated_body: return "the body ended before the closing boundary";
  }
  return "unknown";
}

MultipartError MultipartParser::check_boundary(Text boundary) {
  if (boundary.size == 0) return MultipartError::missing_boundary;
  if (boundary.size > kMaxBoundary) return MultipartError::boundary_too_long;
  for (size_t i = 0; i < boundary.size; ++i)
    if (!is_boundary_char(boundary.data[i])) return MultipartError::bad_boundary;
  if (boundary.data[boundary.size - 1] == ' ') return MultipartError::bad_boundary;
  return MultipartError::ok;
}

MultipartParser::MultipartParser(Text boundary, char* bytes, size_t capacity, HeaderField* fields, size_t max_fields)
    : headers_(bytes, capacity, fields, max_fields, false) {
  MultipartError error = check_boundary(boundary);
  if (error != MultipartError::ok) {
    fail(error);
    return;
  }
  memcpy(delimiter_, kDelimiterStart, kDelimiterStartLength);
  memcpy(delimiter_ + kDelimiterStartLength, boundary.data, boundary.size);
  delimiter_length_ = kDelimiterStartLength + boundary.size;
  matched_ = kDashBoundaryOffset;
}

size_t MultipartParser::feed(const uint8_t* data, size_t len, MultipartEvent* event) {
  *event = MultipartEvent::need_input;
  data_ = Slice{};
  size_t used = 0;
  while (used < len && *event == MultipartEvent::need_input && state_ != State::failed) {
    switch (state_) {
      case State::epilogue:
        used = len;  // RFC 2046: the epilogue is to be ignored
        break;
      case State::data:
        used += scan_data(data + used, len - used, event);
        break;
      case State::headers:
        used += read_headers(data + used, len - used, event);
        break;
      default:
        take_delimiter_byte(data[used++], event);
        break;
    }
  }
  if (state_ == State::failed) *event = MultipartEvent::failed;
  return used;
}

MultipartError MultipartParser::finish() {
  if (state_ == State::failed || state_ == State::epilogue) return error_;
  fail(state_ == State::first_boundary ? MultipartError::missing_first_boundary : MultipartError::truncated_body);
  return error_;
}

// Data runs up to the next CR, the only place a delimiter can start (boundaries hold no CR).
size_t MultipartParser::scan_data(const uint8_t* input, size_t len, MultipartEvent* event) {
  if (matched_ > 0 || input[0] == '\r') return match_delimiter(input, len, event);
  const void* cr = memchr(input, '\r', len);
  size_t n = cr ? size_t(static_cast<const uint8_t*>(cr) - input) : len;
  data_ = Slice{input, n};
  *event = MultipartEvent::part_data;
  return n;
}

// Bytes that match the delimiter so far are held back. When the match breaks they were data
// after all, and since they equal the delimiter's first bytes they are handed out from there.
// The CR that starts the delimiter occurs nowhere else in it, so a broken match never hides the
// start of another one except at the byte that broke it, which is looked at again.
size_t MultipartParser::match_delimiter(const uint8_t* input, size_t len, MultipartEvent* event) {
  size_t i = 0;
  while (i < len && matched_ < delimiter_length_ && input[i] == uint8_t(delimiter_[matched_])) {
    ++i;
    ++matched_;
  }
  if (matched_ == delimiter_length_) {
    matched_ = 0;
    state_ = State::boundary_end;
    *event = MultipartEvent::part_end;
    return i;
  }
  if (i == len) return i;
  data_ = Slice{reinterpret_cast<const uint8_t*>(delimiter_), matched_};
  matched_ = 0;
  *event = MultipartEvent::part_data;
  return i;
}

size_t MultipartParser::read_headers(const uint8_t* input, size_t len, MultipartEvent* event) {
  HeadLine line;
  size_t used = headers_.read_line(input, len, &line);
  if (line == HeadLine::failed) {
    part_header_error_ = headers_.error();
    bool too_large =
        part_header_error_ == HeadError::head_too_large || part_header_error_ == HeadError::too_many_headers;
    fail(too_large ? MultipartError::part_header_too_large : MultipartError::bad_part_header);
  } else if (line == HeadLine::end) {
    MultipartError error = take_part_headers();
    if (error != MultipartError::ok) {
      fail(error);
    } else {
      state_ = State::data;
      *event = MultipartEvent::part_begin;
    }
  }
  return used;
}

void MultipartParser::take_delimiter_byte(uint8_t c, MultipartEvent* event) {
  switch (state_) {
    case State::first_boundary:
      if (c != uint8_t(delimiter_[matched_])) return fail(MultipartError::missing_first_boundary);
      if (++matched_ == delimiter_length_) {
        matched_ = 0;
        state_ = State::boundary_end;
      }
      return;
    case State::boundary_end:
    case State::padding:
      return after_boundary(c);
    case State::boundary_lf:
      if (c != '\n') return fail(MultipartError::bad_delimiter_line);
      headers_.reset();
      state_ = State::headers;
      return;
    case State::close_dash:
      if (c != '-') return fail(MultipartError::bad_delimiter_line);
      state_ = State::epilogue;
      *event = MultipartEvent::body_end;
      return;
    default:
      return;
  }
}

// After a boundary: "--" closes the body; otherwise optional padding, then CRLF (RFC 2046 §5.1.1).
void MultipartParser::after_boundary(uint8_t c) {
  if (c == '-' && state_ == State::boundary_end) {
    state_ = State::close_dash;
  } else if (c == '\r') {
    state_ = State::boundary_lf;
  } else if (is_padding(c)) {
    state_ = State::padding;
  } else {
    fail(MultipartError::bad_delimiter_line);
  }
}

MultipartError MultipartParser::take_part_headers() {
  HeaderList fields = headers_.fields();
  const HeaderField* disposition = fields.find("Content-Disposition");
  if (disposition == nullptr) return MultipartError::missing_content_disposition;
  if (fields.count_of("Content-Disposition") > 1) return MultipartError::bad_content_disposition;
  part_.name = find_parameter(disposition->value, "name");
  bool form_data = value_before_parameters(disposition->value).equals_ci("form-data");
  if (!form_data || !part_.name.present()) return MultipartError::bad_content_disposition;
  part_.filename = find_parameter(disposition->value, "filename");
  const HeaderField* type = fields.find("Content-Type");
  part_.content_type = type ? type->value : Text{};
  return MultipartError::ok;
}

void MultipartParser::fail(MultipartError error) {
  error_ = error;
  state_ = State::failed;
}

}  // namespace otakit::http
