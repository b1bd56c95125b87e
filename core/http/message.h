// The vocabulary every HTTP/1.x message shares: views into a parsed head, header fields, the
// version, and the field grammar (RFC 9110 §5) that the request, response and multipart parsers use.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace otakit::http {

// Bytes inside a parser's storage or the caller's input, not NUL-terminated. data == nullptr
// means absent, which differs from present and empty (filename="").
struct Text {
  const char* data = nullptr;
  size_t size = 0;

  bool present() const { return data != nullptr; }
  bool equals(const char* literal) const;     // byte for byte
  bool equals_ci(const char* literal) const;  // ASCII case-insensitive, as field names compare
  // The index of the first c at or after `from`, or size if there is none.
  size_t find(char c, size_t from = 0) const;
  // Bytes [begin, end), with begin <= end <= size.
  Text sub(size_t begin, size_t end) const { return Text{data + begin, end - begin}; }
};

// Body bytes inside the caller's input (or, for a few held-back bytes, the parser's own copy).
struct Slice {
  const uint8_t* data = nullptr;
  size_t size = 0;
};

struct HeaderField {
  Text name;
  Text value;  // without leading and trailing whitespace
};

// The fields of one head, in arrival order.
struct HeaderList {
  const HeaderField* fields = nullptr;
  size_t count = 0;

  // The first field of that name (case-insensitive), or nullptr.
  const HeaderField* find(const char* name) const;
  size_t count_of(const char* name) const;
};

enum class Version : uint8_t { http10, http11 };

// tchar of RFC 9110 §5.6.2: what methods, field names and parameter names are made of.
bool is_token_char(uint8_t c);
bool is_token(Text text);

enum class DecimalResult : uint8_t { ok, malformed, overflow };
// One or more digits and nothing else (no sign, no spaces), at most 2^32 - 1.
DecimalResult parse_decimal(Text text, uint32_t* out);

// "type/subtype" of a Content-Type or the disposition type of a Content-Disposition: the value up
// to its first ';', without surrounding whitespace.
Text value_before_parameters(Text value);

// The parameter `name` (case-insensitive) of a value such as `multipart/form-data; boundary=x` or
// `form-data; name="firmware"`: the token, or the inside of the quoted string with any
// backslash escapes left as they are. Absent if missing or if the parameters do not parse.
Text find_parameter(Text value, const char* name);

// True if a NUL-terminated text can go into a header value as it is: no control character
// but HTAB, so it cannot end the line early and inject a header.
bool is_field_value(const char* text);

// True if a comma-separated list such as Connection's holds `token` (case-insensitive).
bool list_has_token(Text list, const char* token);

}  // namespace otakit::http
