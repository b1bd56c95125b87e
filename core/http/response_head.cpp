#include "core/http/response_head.h"

namespace otakit::http {
namespace {

// Fields the client reads that may appear only once: a second x-MD5 or Location is ambiguous.
constexpr SingleField<ResponseHead> kSingleFields[] = {
    {"Content-Type", &ResponseHead::content_type}, {"Location", &ResponseHead::location},
    {"ETag", &ResponseHead::etag},                 {"x-MD5", &ResponseHead::x_md5},
    {"x-version", &ResponseHead::x_version},       {"Accept-Ranges", &ResponseHead::accept_ranges},
    {"Content-Range", &ResponseHead::content_range},
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// reason-phrase = *( HTAB / SP / VCHAR / obs-text )
bool is_reason(Text text) {
  for (size_t i = 0; i < text.size; ++i) {
    uint8_t c = uint8_t(text.data[i]);
    if ((c < 0x20 && c != '\t') || c == 0x7F) return false;
  }
  return true;
}

HeadError parse_status_code(Text text, uint16_t* out) {
  if (text.size != 3 || !is_digit(text.data[0]) || !is_digit(text.data[1]) || !is_digit(text.data[2])) {
    return HeadError::bad_status_code;
  }
  uint16_t code = uint16_t((text.data[0] - '0') * 100 + (text.data[1] - '0') * 10 + (text.data[2] - '0'));
  if (code < 100 || code > 599) return HeadError::bad_status_code;
  *out = code;
  return HeadError::ok;
}

bool parse_range_number(Text text, uint32_t* out) { return parse_decimal(text, out) == DecimalResult::ok; }

}  // namespace

BodyFraming ResponseHead::body_framing() const {
  if (status < 200 || status == 204 || status == 304) return BodyFraming{Framing::length, 0};
  if (body.chunked) return BodyFraming{Framing::chunked, 0};
  if (body.has_content_length) return BodyFraming{Framing::length, body.content_length};
  return BodyFraming{Framing::until_close, 0};
}

void ResponseHeadParser::reset() {
  restart();
  head_ = ResponseHead{};
}

// HTTP-version SP 3DIGIT SP [reason] (RFC 9112 §4). A missing " reason" is accepted as well:
// servers that send "HTTP/1.1 200" exist and ESP8266HTTPClient reads them.
HeadError ResponseHeadParser::on_start_line(Text line) {
  size_t space = line.find(' ');
  if (space == line.size) return HeadError::bad_status_line;
  HeadError error = parse_version(line.sub(0, space), &head_.version);
  if (error != HeadError::ok) return error;
  size_t code_end = line.find(' ', space + 1);
  error = parse_status_code(line.sub(space + 1, code_end), &head_.status);
  if (error != HeadError::ok) return error;
  head_.reason = code_end < line.size ? line.sub(code_end + 1, line.size) : line.sub(line.size, line.size);
  return is_reason(head_.reason) ? HeadError::ok : HeadError::bad_status_line;
}

HeadError ResponseHeadParser::on_field(const HeaderField& field) {
  HeadError error = head_.body.take(field, head_.version);
  if (error != HeadError::ok) return error;
  return take_single_field(kSingleFields, field, &head_);
}

HeadError ResponseHeadParser::on_end(HeaderList fields) {
  head_.fields = fields;
  head_.keep_alive = keeps_alive(fields, head_.version);
  return HeadError::ok;
}

bool parse_content_range(Text value, ContentRange* out) {
  if (value.size < 6 || !Text{value.data, 6}.equals_ci("bytes ")) return false;
  Text spec = value.sub(6, value.size);
  size_t slash = spec.find('/');
  if (slash == spec.size) return false;
  Text range = spec.sub(0, slash);
  Text length = spec.sub(slash + 1, spec.size);
  ContentRange result;
  result.length_known = !length.equals("*");
  if (result.length_known && !parse_range_number(length, &result.complete_length)) return false;
  if (range.equals("*")) {
    result.satisfied = false;
    if (!result.length_known) return false;
    *out = result;
    return true;
  }
  size_t dash = range.find('-');
  if (!parse_range_number(range.sub(0, dash), &result.first)) return false;
  if (dash == range.size || !parse_range_number(range.sub(dash + 1, range.size), &result.last)) return false;
  if (result.first > result.last) return false;
  if (result.length_known && result.last >= result.complete_length) return false;
  *out = result;
  return true;
}

}  // namespace otakit::http
