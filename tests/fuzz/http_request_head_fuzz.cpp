// Request heads come from anyone who can reach the device's web server. Parsed in pieces whose
// size comes from the first byte, a head must give exactly what it gives in one piece, stay inside
// its storage, answer with one of the parser's statuses, and any Basic credentials in it must
// survive a re-encode.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <string>

#include "core/http/basic_auth.h"
#include "core/http/request_head.h"

using namespace otakit::http;

namespace {

constexpr size_t kHeadLimit = 512;
constexpr size_t kFields = 8;

struct Parsed {
  HeadStorage<kHeadLimit, kFields> storage;
  RequestHeadParser parser{storage};
  size_t used = 0;
};

void parse(Parsed& parsed, const uint8_t* data, size_t size, size_t piece) {
  for (size_t offset = 0; offset < size && parsed.parser.status() == HeadStatus::incomplete; offset += piece) {
    size_t n = size - offset < piece ? size - offset : piece;
    size_t used = parsed.parser.feed(data + offset, n);
    if (used > n || (used < n && parsed.parser.status() == HeadStatus::incomplete)) __builtin_trap();
    parsed.used += used;
  }
}

bool inside(const Parsed& parsed, Text text) {
  if (!text.present()) return true;
  return text.data >= parsed.storage.bytes && text.data + text.size <= parsed.storage.bytes + kHeadLimit;
}

std::string str(Text text) { return std::string(text.data ? text.data : "", text.size); }

// The same head from both parses, and every view inside its own storage.
void compare(const Parsed& a, const Parsed& b) {
  const RequestHead& x = a.parser.head();
  const RequestHead& y = b.parser.head();
  if (x.fields.count != y.fields.count || x.fields.count > kFields) __builtin_trap();
  for (size_t i = 0; i < x.fields.count; ++i) {
    if (str(x.fields.fields[i].name) != str(y.fields.fields[i].name)) __builtin_trap();
    if (str(x.fields.fields[i].value) != str(y.fields.fields[i].value)) __builtin_trap();
    if (!inside(a, x.fields.fields[i].name) || !inside(a, x.fields.fields[i].value)) __builtin_trap();
  }
  for (Text RequestHead::*member : {&RequestHead::target, &RequestHead::path, &RequestHead::query, &RequestHead::host,
                                    &RequestHead::boundary, &RequestHead::authorization}) {
    if (str(x.*member) != str(y.*member) || !inside(a, x.*member)) __builtin_trap();
  }
  if (x.method != y.method || x.version != y.version || x.keep_alive != y.keep_alive) __builtin_trap();
  if (x.body.content_length != y.body.content_length || x.body.chunked != y.body.chunked) __builtin_trap();
  if (x.body.chunked && x.body.has_content_length) __builtin_trap();
  if (x.version == Version::http11 && !x.host.present()) __builtin_trap();
}

void check_credentials(Text authorization) {
  char scratch[kHeadLimit];
  BasicCredentials credentials;
  if (decode_basic_authorization(authorization, scratch, sizeof(scratch), &credentials) != BasicAuthError::ok) return;
  if (memchr(credentials.user.data, ':', credentials.user.size) != nullptr) __builtin_trap();
  std::string user = str(credentials.user);
  std::string password = str(credentials.password);
  char encoded[kHeadLimit];
  size_t n = format_basic_authorization(user.c_str(), password.c_str(), encoded, sizeof(encoded));
  if (user.size() + 1 + password.size() > kMaxBasicCredentials) return;
  char again[kHeadLimit];
  BasicCredentials back;
  if (n == 0 || decode_basic_authorization(Text{encoded, n}, again, sizeof(again), &back) != BasicAuthError::ok) {
    __builtin_trap();
  }
  if (!credentials_match(back, user.c_str(), password.c_str())) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  size_t piece = data[0] % 32 + 1;
  Parsed whole, split;
  parse(whole, data + 1, size - 1, size);
  parse(split, data + 1, size - 1, piece);
  if (whole.parser.status() != split.parser.status() || whole.parser.error() != split.parser.error()) __builtin_trap();
  // Every byte fed counts towards the limit, the one found over it included.
  if (whole.used != split.used || whole.used > size - 1 || whole.parser.head_size() != whole.used) __builtin_trap();
  if (whole.used > kHeadLimit + 1) __builtin_trap();
  if (whole.parser.status() == HeadStatus::failed) {
    uint16_t s = status_for(whole.parser.error());
    if (s != 400 && s != 413 && s != 414 && s != 431 && s != 501 && s != 505) __builtin_trap();
    if (strcmp(describe(whole.parser.error()), "unknown") == 0) __builtin_trap();
  }
  if (whole.parser.status() != HeadStatus::complete) return 0;
  compare(whole, split);
  check_credentials(whole.parser.head().authorization);
  return 0;
}
