// The device web server's request-head parser: method, target, version and the fields the server
// acts on, from bytes arriving in any split, with the HTTP status to answer every rejection.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "core/http/body_framing.h"
#include "core/http/head_reader.h"
#include "core/http/message.h"

namespace otakit::http {

constexpr size_t kDefaultHeadLimit = 2048;
constexpr size_t kDefaultMaxHeaders = 24;

// The methods a device server meets; any other well-formed method is unsupported_method (501).
enum class Method : uint8_t { get, head, post, put, options };

struct RequestHead {
  Method method = Method::get;
  Version version = Version::http11;
  Text target;  // path and query as sent ("*" only for OPTIONS)
  Text path;    // up to the '?'
  Text query;   // after the '?'; absent without one

  Text host;
  Text content_type;  // the whole value
  Text media_type;    // its type/subtype, e.g. multipart/form-data
  Text boundary;      // its boundary parameter, without quotes; absent if none
  Text authorization;
  Text origin;                          // CORS
  Text access_control_request_method;   // CORS preflight
  Text access_control_request_headers;  // CORS preflight
  BodyFields body;
  bool keep_alive = false;        // Connection over the version's default
  bool expects_continue = false;  // Expect: 100-continue
  HeaderList fields;              // every field, for anything not picked out above

  // A request without Content-Length or chunked coding has no body (RFC 9112 §6.3).
  BodyFraming body_framing() const;
};

class RequestHeadParser : public HeadParser<RequestHeadParser> {
 public:
  // The storage's size is the head limit and its field count the field limit.
  RequestHeadParser(char* bytes, size_t capacity, HeaderField* fields, size_t max_fields)
      : HeadParser(bytes, capacity, fields, max_fields) {}
  template <size_t Bytes, size_t Fields>
  explicit RequestHeadParser(HeadStorage<Bytes, Fields>& storage)
      : HeadParser(storage.bytes, Bytes, storage.fields, Fields) {}

  // For the next request on a kept-alive connection.
  void reset();
  const RequestHead& head() const { return head_; }  // whole once status() is complete

 private:
  friend class HeadParser<RequestHeadParser>;
  HeadError on_start_line(Text line);
  HeadError on_field(const HeaderField& field);
  HeadError on_end(HeaderList fields);

  RequestHead head_;
};

// The status to answer a request the parser rejected: 400, 413, 414, 431, 501 or 505 (200 for ok).
uint16_t status_for(HeadError error);

}  // namespace otakit::http
