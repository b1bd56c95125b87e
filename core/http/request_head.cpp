#include "core/http/request_head.h"

namespace otakit::http {
namespace {

struct KnownMethod {
  const char* name;
  Method method;
};
constexpr KnownMethod kMethods[] = {
    {"GET", Method::get}, {"HEAD", Method::head}, {"POST", Method::post},
    {"PUT", Method::put}, {"OPTIONS", Method::options},
};

// Fields the server reads that may appear only once.
constexpr SingleField<RequestHead> kSingleFields[] = {
    {"Host", &RequestHead::host},
    {"Content-Type", &RequestHead::content_type},
    {"Authorization", &RequestHead::authorization},
    {"Origin", &RequestHead::origin},
    {"Access-Control-Request-Method", &RequestHead::access_control_request_method},
    {"Access-Control-Request-Headers", &RequestHead::access_control_request_headers},
};

HeadError parse_method(Text text, Method* out) {
  if (!is_token(text)) return HeadError::bad_method;
  for (const KnownMethod& known : kMethods) {
    if (text.equals(known.name)) {
      *out = known.method;
      return HeadError::ok;
    }
  }
  return HeadError::unsupported_method;
}

// origin-form (RFC 9112 §3.2.1), or asterisk-form for OPTIONS; visible ASCII without a fragment.
HeadError check_target(Text target, Method method) {
  if (target.equals("*")) return method == Method::options ? HeadError::ok : HeadError::bad_target;
  if (target.size == 0 || target.data[0] != '/') return HeadError::bad_target;
  for (size_t i = 0; i < target.size; ++i) {
    uint8_t c = uint8_t(target.data[i]);
    if (c <= 0x20 || c >= 0x7F || c == '#') return HeadError::bad_target;
  }
  return HeadError::ok;
}

}  // namespace

BodyFraming RequestHead::body_framing() const {
  if (body.chunked) return BodyFraming{Framing::chunked, 0};
  return BodyFraming{Framing::length, body.content_length};
}

void RequestHeadParser::reset() {
  restart();
  head_ = RequestHead{};
}

// method SP request-target SP HTTP-version, single spaces (RFC 9112 §3). The version is checked
// first so that an HTTP/2 preface ("PRI * HTTP/2.0") is answered 505, not 501.
HeadError RequestHeadParser::on_start_line(Text line) {
  size_t first_space = line.find(' ');
  size_t second_space = line.find(' ', first_space + 1);
  bool three_parts = second_space < line.size && line.find(' ', second_space + 1) == line.size;
  if (!three_parts || first_space == 0 || second_space == first_space + 1) return HeadError::bad_request_line;
  HeadError error = parse_version(line.sub(second_space + 1, line.size), &head_.version);
  if (error == HeadError::ok) error = parse_method(line.sub(0, first_space), &head_.method);
  if (error != HeadError::ok) return error;
  head_.target = line.sub(first_space + 1, second_space);
  error = check_target(head_.target, head_.method);
  if (error != HeadError::ok) return error;
  size_t question = head_.target.find('?');
  head_.path = head_.target.sub(0, question);
  if (question < head_.target.size) head_.query = head_.target.sub(question + 1, head_.target.size);
  return HeadError::ok;
}

HeadError RequestHeadParser::on_field(const HeaderField& field) {
  HeadError error = head_.body.take(field, head_.version);
  if (error != HeadError::ok) return error;
  error = take_single_field(kSingleFields, field, &head_);
  if (error != HeadError::ok) return error;
  if (field.name.equals_ci("Expect") && list_has_token(field.value, "100-continue")) head_.expects_continue = true;
  return HeadError::ok;
}

HeadError RequestHeadParser::on_end(HeaderList fields) {
  if (head_.version == Version::http11 && !head_.host.present()) return HeadError::missing_host;
  head_.fields = fields;
  head_.keep_alive = keeps_alive(head_.fields, head_.version);
  head_.media_type = value_before_parameters(head_.content_type);
  head_.boundary = find_parameter(head_.content_type, "boundary");
  return HeadError::ok;
}

uint16_t status_for(HeadError error) {
  switch (error) {
    case HeadError::ok: return 200;
    case HeadError::start_line_too_long: return 414;
    case HeadError::head_too_large:
    case HeadError::too_many_headers: return 431;
    case HeadError::content_length_overflow: return 413;
    case HeadError::unsupported_method:
    case HeadError::unsupported_transfer_encoding: return 501;
    case HeadError::unsupported_version: return 505;
    default: return 400;
  }
}

}  // namespace otakit::http
