// Reads a message head (start line, header fields, blank line) arriving in any split into bounded
// storage, rejecting on the byte where it goes wrong. Shared by the request, response and
// multipart part-header parsers, together with the checks of the fields that frame a body.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "core/http/message.h"

namespace otakit::http {

enum class HeadError : uint8_t {
  ok,
  // bytes and lines
  nul_byte,                 // a NUL anywhere in the head
  bare_cr,                  // a CR not followed by LF
  bare_lf,                  // a LF without the CR before it
  start_line_too_long,      // the start line alone fills the head limit
  head_too_large,           // the head is longer than the head limit
  too_many_headers,         // more fields than the field limit
  obs_fold,                 // a line starting with whitespace: obsolete line folding (RFC 9112 §5.2)
  whitespace_before_colon,  // "Name : value", a request smuggling vector (RFC 9112 §5.1)
  missing_colon,            // a field line without ':'
  invalid_header_name,      // empty, or a character that is not a token character
  invalid_header_value,     // a control character in a value
  // start lines
  bad_request_line,     // not "method SP target SP version"
  bad_method,           // the method is not a token
  unsupported_method,   // a well-formed method this server does not know
  bad_target,           // not an origin-form path (or "*" for OPTIONS)
  bad_status_line,      // not "version SP code [SP reason]"
  bad_status_code,      // not three digits in 100..599
  bad_version,          // not "HTTP/<digit>.<digit>"
  unsupported_version,  // a version other than HTTP/1.0 and HTTP/1.1
  // fields
  missing_host,                            // an HTTP/1.1 request without Host
  duplicate_header,                        // a field that may appear once appears twice
  bad_content_length,                      // not a plain decimal number
  content_length_overflow,                 // more than 2^32 - 1
  duplicate_content_length,                // Content-Length twice with the same value
  conflicting_content_length,              // Content-Length twice with different values
  unsupported_transfer_encoding,           // anything but a single "chunked"
  content_length_with_transfer_encoding,   // both framings at once, a smuggling vector
  transfer_encoding_in_http10,             // HTTP/1.0 has no transfer codings (RFC 9112 §6.1)
};

const char* describe(HeadError error);

// Caller-owned memory for one head: the bytes (also the head limit) and the field index.
template <size_t Bytes, size_t Fields>
struct HeadStorage {
  char bytes[Bytes];
  HeaderField fields[Fields];
};

// What the bytes read so far completed.
enum class HeadLine : uint8_t { partial, start_line, field, end, failed };

class HeadReader {
 public:
  // has_start_line false reads MIME part headers: fields straight away, no leading blank lines.
  HeadReader(char* bytes, size_t capacity, HeaderField* fields, size_t max_fields, bool has_start_line);

  // Consumes bytes up to the end of the next line (or all of them); returns how many it used.
  size_t read_line(const uint8_t* data, size_t len, HeadLine* line);
  void reset();

  HeadError error() const { return error_; }
  Text start_line() const { return start_line_; }
  HeaderList fields() const { return HeaderList{fields_, field_count_}; }
  const HeaderField& last_field() const { return fields_[field_count_ - 1]; }
  size_t size() const { return consumed_; }

 private:
  enum class State : uint8_t {
    line_begin, start_line, name, name_cr, name_space, value_lead, value, line_cr, done, failed
  };
  enum class Line : uint8_t { blank, start, field };

  HeadLine take(uint8_t c);
  HeadLine at_line_begin(uint8_t c);
  HeadLine in_name(uint8_t c);
  HeadLine after_name_space(uint8_t c);
  HeadLine in_value(uint8_t c);
  HeadLine line_complete();
  HeadLine begin_field(uint8_t c);
  HeadLine fail(HeadError error);
  bool in_start_line() const {
    return state_ == State::start_line || (state_ == State::line_cr && line_ == Line::start);
  }
  void store(uint8_t c) { bytes_[stored_++] = char(c); }
  Text stored_since(size_t begin) const { return Text{bytes_ + begin, stored_ - begin}; }

  char* bytes_;
  size_t capacity_;
  HeaderField* fields_;
  size_t max_fields_;
  bool has_start_line_;

  State state_ = State::line_begin;
  Line line_ = Line::blank;
  HeadError error_ = HeadError::ok;
  size_t consumed_ = 0;  // raw head bytes; the storage never holds more than this
  size_t stored_ = 0;
  size_t text_begin_ = 0;
  size_t field_count_ = 0;
  Text start_line_;
};

enum class HeadStatus : uint8_t { incomplete, complete, failed };

// A field a message keeps in `member` and that may appear only once (a second is ambiguous).
template <typename Head>
struct SingleField {
  const char* name;
  Text Head::*member;
};

// Stores `field` in its member of *head when it is one of `fields`; duplicate_header if it was
// already seen.
template <typename Head, size_t N>
HeadError take_single_field(const SingleField<Head> (&fields)[N], const HeaderField& field, Head* head) {
  for (const SingleField<Head>& single : fields) {
    if (!field.name.equals_ci(single.name)) continue;
    Text& member = head->*single.member;
    if (member.present()) return HeadError::duplicate_header;
    member = field.value;
  }
  return HeadError::ok;
}

// Runs a HeadReader over the input and hands each completed line to the message's own checks,
// Message::on_start_line, on_field and on_end: the base of the request and response parsers.
template <typename Message>
class HeadParser {
 public:
  // Consumes head bytes and stops after the blank line that ends the head (the body's first
  // bytes stay with the caller) or at the byte that makes the head invalid.
  size_t feed(const uint8_t* data, size_t len) {
    size_t used = 0;
    while (used < len && status_ == HeadStatus::incomplete) {
      HeadLine line;
      used += reader_.read_line(data + used, len - used, &line);
      settle(line, check(line));
    }
    return used;
  }

  HeadStatus status() const { return status_; }
  HeadError error() const { return error_; }
  size_t head_size() const { return reader_.size(); }

 protected:
  HeadParser(char* bytes, size_t capacity, HeaderField* fields, size_t max_fields)
      : reader_(bytes, capacity, fields, max_fields, true) {}

  void restart() {
    reader_.reset();
    status_ = HeadStatus::incomplete;
    error_ = HeadError::ok;
  }

 private:
  HeadError check(HeadLine line) {
    Message& message = static_cast<Message&>(*this);
    switch (line) {
      case HeadLine::start_line: return message.on_start_line(reader_.start_line());
      case HeadLine::field: return message.on_field(reader_.last_field());
      case HeadLine::end: return message.on_end(reader_.fields());
      case HeadLine::failed: return reader_.error();
      case HeadLine::partial: break;
    }
    return HeadError::ok;
  }

  void settle(HeadLine line, HeadError error) {
    if (error != HeadError::ok) {
      error_ = error;
      status_ = HeadStatus::failed;
    } else if (line == HeadLine::end) {
      status_ = HeadStatus::complete;
    }
  }

  HeadReader reader_;
  HeadStatus status_ = HeadStatus::incomplete;
  HeadError error_ = HeadError::ok;
};

// "HTTP/1.0" or "HTTP/1.1"; bad_version or unsupported_version otherwise.
HeadError parse_version(Text text, Version* out);

// The fields that frame a body, taken one by one as they arrive, with the checks both message
// directions need against request smuggling and response splitting.
struct BodyFields {
  bool has_content_length = false;
  uint32_t content_length = 0;
  bool chunked = false;

  // ok for other fields; an error if this Content-Length / Transfer-Encoding is not acceptable.
  HeadError take(const HeaderField& field, Version version);
};

// Whether the connection stays open after this message: Connection's close / keep-alive tokens
// over the version's default.
bool keeps_alive(const HeaderList& fields, Version version);

}  // namespace otakit::http
