#include "core/http/head_reader.h"

namespace otakit::http {

const char* describe(HeadError error) {
  switch (error) {
    case HeadError::ok: return "ok";
    case HeadError::nul_byte: return "a NUL byte in the head";
    case HeadError::bare_cr: return "a CR not followed by LF";
    case HeadError::bare_lf: return "a line ending in LF without CR";
    case HeadError::start_line_too_long: return "the start line is longer than the head limit";
    case HeadError::head_too_large: return "the head is larger than the head limit";
    case HeadError::too_many_headers: return "more header fields than the field limit";
    case HeadError::obs_fold: return "a header line starts with whitespace (obsolete line folding)";
    case HeadError::whitespace_before_colon: return "whitespace between a field name and its colon";
    case HeadError::missing_colon: return "a header line without a colon";
    case HeadError::invalid_header_name: return "a field name that is empty or not a token";
    case HeadError::invalid_header_value: return "a control character in a field value";
    case HeadError::bad_request_line: return "the request line is not 'method target version'";
    case HeadError::bad_method: return "the method is not a token";
    case HeadError::unsupported_method: return "a method this server does not implement";
    case HeadError::bad_target: return "the request target is not a path (or '*' for OPTIONS)";
    case HeadError::bad_status_line: return "the status line is not 'version code reason'";
    case HeadError::bad_status_code: return "the status code is not three digits in 100..599";
    case HeadError::bad_version: return "the version is not HTTP/<digit>.<digit>";
    case HeadError::unsupported_version: return "an HTTP version other than 1.0 and 1.1";
    case HeadError::missing_host: return "an HTTP/1.1 request without Host";
    case HeadError::duplicate_header: return "a field that may appear once appears twice";
    case HeadError::bad_content_length: return "Content-Length is not a decimal number";
    case HeadError::content_length_overflow: return "Content-Length is larger than 4 GiB - 1";
    case HeadError::duplicate_content_length: return "Content-Length appears twice";
    case HeadError::conflicting_content_length: return "two Content-Length fields disagree";
    case HeadError::unsupported_transfer_encoding: return "a transfer coding other than chunked";
    case HeadError::content_length_with_transfer_encoding: return "both Content-Length and Transfer-Encoding";
    case HeadError::transfer_encoding_in_http10: return "Transfer-Encoding in an HTTP/1.0 message";
  }
  return "unknown";
}

HeadReader::HeadReader(char* bytes, size_t capacity, HeaderField* fields, size_t max_fields, bool has_start_line)
    : bytes_(bytes), capacity_(capacity), fields_(fields), max_fields_(max_fields), has_start_line_(has_start_line) {}

void HeadReader::reset() {
  state_ = State::line_begin;
  line_ = Line::blank;
  error_ = HeadError::ok;
  consumed_ = 0;
  stored_ = 0;
  text_begin_ = 0;
  field_count_ = 0;
  start_line_ = Text{};
}

size_t HeadReader::read_line(const uint8_t* data, size_t len, HeadLine* line) {
  if (state_ == State::done || state_ == State::failed) {
    *line = state_ == State::done ? HeadLine::end : HeadLine::failed;
    return 0;
  }
  for (size_t i = 0; i < len; ++i) {
    HeadLine got = take(data[i]);
    if (got != HeadLine::partial) {
      *line = got;
      return i + 1;
    }
  }
  *line = HeadLine::partial;
  return len;
}

// Every byte counts against the limit; CR, LF, the colon and the whitespace around values are
// counted but not stored, so the storage (as large as the limit) can never overflow.
HeadLine HeadReader::take(uint8_t c) {
  if (++consumed_ > capacity_) {
    return fail(in_start_line() ? HeadError::start_line_too_long : HeadError::head_too_large);
  }
  if (c == 0) return fail(HeadError::nul_byte);
  switch (state_) {
    case State::line_begin:
      return at_line_begin(c);
    case State::start_line:
      if (c == '\r') {
        state_ = State::line_cr;
        return HeadLine::partial;
      }
      if (c == '\n') return fail(HeadError::bare_lf);
      store(c);
      return HeadLine::partial;
    case State::name:
    case State::name_cr:
      return in_name(c);
    case State::name_space:
      return after_name_space(c);
    case State::value_lead:
      if (c == ' ' || c == '\t') return HeadLine::partial;
      state_ = State::value;
      return in_value(c);
    case State::value:
      return in_value(c);
    case State::line_cr:
      if (c != '\n') return fail(HeadError::bare_cr);
      return line_complete();
    case State::done:
    case State::failed:
      break;
  }
  return HeadLine::failed;
}

HeadLine HeadReader::at_line_begin(uint8_t c) {
  if (c == '\r') {
    line_ = Line::blank;
    state_ = State::line_cr;
    return HeadLine::partial;
  }
  if (c == '\n') return fail(HeadError::bare_lf);
  if (has_start_line_ && !start_line_.present()) {
    line_ = Line::start;
    state_ = State::start_line;
    text_begin_ = stored_;
    store(c);
    return HeadLine::partial;
  }
  if (c == ' ' || c == '\t') return fail(HeadError::obs_fold);
  return begin_field(c);
}

HeadLine HeadReader::begin_field(uint8_t c) {
  if (field_count_ == max_fields_) return fail(HeadError::too_many_headers);
  line_ = Line::field;
  state_ = State::name;
  text_begin_ = stored_;
  return in_name(c);
}

HeadLine HeadReader::in_name(uint8_t c) {
  if (state_ == State::name_cr) return fail(c == '\n' ? HeadError::missing_colon : HeadError::bare_cr);
  if (c == ':') {
    if (stored_ == text_begin_) return fail(HeadError::invalid_header_name);
    fields_[field_count_].name = stored_since(text_begin_);
    text_begin_ = stored_;
    state_ = State::value_lead;
    return HeadLine::partial;
  }
  if (c == ' ' || c == '\t') {
    state_ = State::name_space;
    return HeadLine::partial;
  }
  if (c == '\r') {
    state_ = State::name_cr;
    return HeadLine::partial;
  }
  if (c == '\n') return fail(HeadError::bare_lf);
  if (!is_token_char(c)) return fail(HeadError::invalid_header_name);
  store(c);
  return HeadLine::partial;
}

// Whitespace after a name: a colon later makes it "Name : value" (smuggling), a line end without
// one makes it a line with no colon at all.
HeadLine HeadReader::after_name_space(uint8_t c) {
  if (c == ':') return fail(HeadError::whitespace_before_colon);
  if (c == '\r' || c == '\n') return fail(HeadError::missing_colon);
  return HeadLine::partial;
}

HeadLine HeadReader::in_value(uint8_t c) {
  if (c == '\r') {
    while (stored_ > text_begin_ && (bytes_[stored_ - 1] == ' ' || bytes_[stored_ - 1] == '\t')) --stored_;
    fields_[field_count_].value = stored_since(text_begin_);
    state_ = State::line_cr;
    return HeadLine::partial;
  }
  if (c == '\n') return fail(HeadError::bare_lf);
  if ((c < 0x20 && c != '\t') || c == 0x7F) return fail(HeadError::invalid_header_value);
  store(c);
  return HeadLine::partial;
}

HeadLine HeadReader::line_complete() {
  state_ = State::line_begin;
  switch (line_) {
    case Line::start:
      start_line_ = stored_since(text_begin_);
      return HeadLine::start_line;
    case Line::field:
      ++field_count_;
      return HeadLine::field;
    case Line::blank:
      break;
  }
  // RFC 9112 §2.2: empty lines before a request line are ignored.
  if (has_start_line_ && !start_line_.present()) return HeadLine::partial;
  state_ = State::done;
  return HeadLine::end;
}

HeadLine HeadReader::fail(HeadError error) {
  error_ = error;
  state_ = State::failed;
  return HeadLine::failed;
}

HeadError parse_version(Text text, Version* out) {
  if (text.size != 8 || !Text{text.data, 5}.equals("HTTP/") || text.data[6] != '.') return HeadError::bad_version;
  char major = text.data[5];
  char minor = text.data[7];
  if (major < '0' || major > '9' || minor < '0' || minor > '9') return HeadError::bad_version;
  if (major != '1' || (minor != '0' && minor != '1')) return HeadError::unsupported_version;
  *out = minor == '0' ? Version::http10 : Version::http11;
  return HeadError::ok;
}

HeadError BodyFields::take(const HeaderField& field, Version version) {
  if (field.name.equals_ci("Content-Length")) {
    uint32_t value = 0;
    DecimalResult parsed = parse_decimal(field.value, &value);
    if (parsed == DecimalResult::malformed) return HeadError::bad_content_length;
    if (parsed == DecimalResult::overflow) return HeadError::content_length_overflow;
    if (has_content_length) {
      return value == content_length ? HeadError::duplicate_content_length : HeadError::conflicting_content_length;
    }
    if (chunked) return HeadError::content_length_with_transfer_encoding;
    has_content_length = true;
    content_length = value;
    return HeadError::ok;
  }
  if (field.name.equals_ci("Transfer-Encoding")) {
    if (version == Version::http10) return HeadError::transfer_encoding_in_http10;
    if (chunked) return HeadError::duplicate_header;
    if (!field.value.equals_ci("chunked")) return HeadError::unsupported_transfer_encoding;
    if (has_content_length) return HeadError::content_length_with_transfer_encoding;
    chunked = true;
  }
  return HeadError::ok;
}

bool keeps_alive(const HeaderList& fields, Version version) {
  bool keep_alive = version == Version::http11;
  for (size_t i = 0; i < fields.count; ++i) {
    const HeaderField& field = fields.fields[i];
    if (!field.name.equals_ci("Connection")) continue;
    if (list_has_token(field.value, "close")) return false;
    if (list_has_token(field.value, "keep-alive")) keep_alive = true;
  }
  return keep_alive;
}

}  // namespace otakit::http
