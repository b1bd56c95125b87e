// The pull client's response-head parser: the status line, the fields an update download needs
// (length, chunked, x-MD5, ETag, ranges, redirects) and how the body that follows is framed.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "core/http/body_framing.h"
#include "core/http/head_reader.h"
#include "core/http/message.h"

namespace otakit::http {

struct ResponseHead {
  Version version = Version::http11;
  uint16_t status = 0;
  Text reason;  // may be empty

  Text content_type;
  Text location;
  Text etag;
  Text x_md5;      // ESP8266httpUpdate's MD5 of the image
  Text x_version;  // ESP8266httpUpdate's getAvailableVersion() answer
  Text accept_ranges;
  Text content_range;  // see parse_content_range()
  BodyFields body;
  bool keep_alive = false;  // Connection over the version's default
  HeaderList fields;        // every field, for anything not picked out above

  // 1xx, 204 and 304 have no body; then chunked, Content-Length, or until the server closes
  // (RFC 9112 §6.3). The client sends no HEAD requests, so that case is not handled.
  BodyFraming body_framing() const;
};

class ResponseHeadParser : public HeadParser<ResponseHeadParser> {
 public:
  ResponseHeadParser(char* bytes, size_t capacity, HeaderField* fields, size_t max_fields)
      : HeadParser(bytes, capacity, fields, max_fields) {}
  template <size_t Bytes, size_t Fields>
  explicit ResponseHeadParser(HeadStorage<Bytes, Fields>& storage)
      : HeadParser(storage.bytes, Bytes, storage.fields, Fields) {}

  // For the next response, e.g. the final one after a 100 Continue.
  void reset();
  const ResponseHead& head() const { return head_; }  // whole once status() is complete

 private:
  friend class HeadParser<ResponseHeadParser>;
  HeadError on_start_line(Text line);
  HeadError on_field(const HeaderField& field);
  HeadError on_end(HeaderList fields);

  ResponseHead head_;
};

// Content-Range of a 206 ("bytes 100-199/1000", "bytes 100-199/*") or a 416 ("bytes */1000").
struct ContentRange {
  bool satisfied = true;          // false for "*/<length>"
  uint32_t first = 0;             // satisfied only
  uint32_t last = 0;              // inclusive; satisfied only
  bool length_known = false;      // false for "/*"
  uint32_t complete_length = 0;
};

// False unless the value is a well-formed byte range with first <= last < complete length.
bool parse_content_range(Text value, ContentRange* out);

}  // namespace otakit::http
