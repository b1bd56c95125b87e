#include "core/http/message.h"

#include <string.h>

namespace otakit::http {
namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? char(c + 32) : c; }

bool is_ows(char c) { return c == ' ' || c == '\t'; }

size_t skip_ows(Text text, size_t pos) {
  while (pos < text.size && is_ows(text.data[pos])) ++pos;
  return pos;
}

Text trim(Text text) {
  size_t begin = skip_ows(text, 0);
  size_t end = text.size;
  while (end > begin && is_ows(text.data[end - 1])) --end;
  return text.sub(begin, end);
}

size_t token_end(Text text, size_t pos) {
  while (pos < text.size && is_token_char(uint8_t(text.data[pos]))) ++pos;
  return pos;
}

// From the opening quote at `pos`: the index just past the closing quote, or 0 if there is none.
size_t quoted_string_end(Text text, size_t pos) {
  for (size_t i = pos + 1; i < text.size; ++i) {
    if (text.data[i] == '\\') {
      ++i;  // a quoted-pair: the next character is taken as it is
    } else if (text.data[i] == '"') {
      return i + 1;
    }
  }
  return 0;
}

// Reads `name=value` at *pos; false if it does not parse.
bool read_parameter(Text text, size_t* pos, Text* name, Text* value) {
  size_t name_end = token_end(text, *pos);
  if (name_end == *pos || name_end >= text.size || text.data[name_end] != '=') return false;
  *name = text.sub(*pos, name_end);
  size_t value_begin = name_end + 1;
  if (value_begin < text.size && text.data[value_begin] == '"') {
    size_t end = quoted_string_end(text, value_begin);
    if (end == 0) return false;
    *value = text.sub(value_begin + 1, end - 1);
    *pos = end;
    return true;
  }
  size_t end = token_end(text, value_begin);
  if (end == value_begin) return false;
  *value = text.sub(value_begin, end);
  *pos = end;
  return true;
}

}  // namespace

bool Text::equals(const char* literal) const {
  return data != nullptr && strlen(literal) == size && memcmp(data, literal, size) == 0;
}

bool Text::equals_ci(const char* literal) const {
  if (data == nullptr || strlen(literal) != size) return false;
  for (size_t i = 0; i < size; ++i)
    if (lower(data[i]) != lower(literal[i])) return false;
  return true;
}

size_t Text::find(char c, size_t from) const {
  while (from < size && data[from] != c) ++from;
  return from < size ? from : size;
}

const HeaderField* HeaderList::find(const char* name) const {
  for (size_t i = 0; i < count; ++i)
    if (fields[i].name.equals_ci(name)) return &fields[i];
  return nullptr;
}

size_t HeaderList::count_of(const char* name) const {
  size_t n = 0;
  for (size_t i = 0; i < count; ++i)
    if (fields[i].name.equals_ci(name)) ++n;
  return n;
}

bool is_token_char(uint8_t c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool is_token(Text text) { return text.size > 0 && token_end(text, 0) == text.size; }

DecimalResult parse_decimal(Text text, uint32_t* out) {
  if (text.size == 0) return DecimalResult::malformed;
  uint64_t value = 0;
  bool overflow = false;
  for (size_t i = 0; i < text.size; ++i) {
    char c = text.data[i];
    if (c < '0' || c > '9') return DecimalResult::malformed;
    value = value * 10 + uint32_t(c - '0');
    if (value > 0xFFFFFFFFu) {
      overflow = true;
      value = 0xFFFFFFFFu;  // keeps scanning for a non-digit without wrapping
    }
  }
  if (overflow) return DecimalResult::overflow;
  *out = uint32_t(value);
  return DecimalResult::ok;
}

Text value_before_parameters(Text value) {
  return trim(value.sub(0, value.find(';')));
}

Text find_parameter(Text value, const char* name) {
  size_t pos = value.find(';');
  while (pos < value.size) {
    pos = skip_ows(value, pos + 1);  // past the ';'
    if (pos == value.size) break;
    if (value.data[pos] == ';') continue;  // an empty parameter is allowed
    Text parameter_name, parameter_value;
    if (!read_parameter(value, &pos, &parameter_name, &parameter_value)) break;
    if (parameter_name.equals_ci(name)) return parameter_value;
    pos = skip_ows(value, pos);
    if (pos < value.size && value.data[pos] != ';') break;
  }
  return Text{};
}

bool is_field_value(const char* text) {
  for (const char* p = text; *p != '\0'; ++p) {
    uint8_t c = uint8_t(*p);
    if ((c < 0x20 && c != '\t') || c == 0x7F) return false;
  }
  return true;
}

bool list_has_token(Text list, const char* token) {
  size_t begin = 0;
  while (begin <= list.size) {
    size_t end = list.find(',', begin);
    if (trim(list.sub(begin, end)).equals_ci(token)) return true;
    begin = end + 1;
  }
  return false;
}

}  // namespace otakit::http
