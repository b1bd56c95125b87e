// The pull client's URLs: every part of an absolute URL, one test per malformed case, and
// redirect targets resolved against the URL they answered.
#include <gtest/gtest.h>

#include <string>

#include "core/http/url.h"

namespace otakit::http {
namespace {

Url parsed(const char* text) {
  Url url;
  UrlError error = parse_url(text, &url);
  EXPECT_EQ(error, UrlError::ok) << text << ": " << describe(error);
  return url;
}

UrlError error_of(const std::string& text) {
  Url url;
  return parse_url(Text{text.data(), text.size()}, &url);
}

UrlError resolve(const char* base, const char* location, Url* out) {
  return resolve_location(parsed(base), Text{location, std::char_traits<char>::length(location)}, out);
}

TEST(Url, PlainHttpGetsPort80AndTheWholePathAndQuery) {
  Url url = parsed("http://example.com/fw/file.bin?board=d1&v=1.2");
  EXPECT_FALSE(url.secure);
  EXPECT_FALSE(url.ipv6);
  EXPECT_STREQ(url.host, "example.com");
  EXPECT_EQ(url.port, 80);
  EXPECT_STREQ(url.path, "/fw/file.bin?board=d1&v=1.2");
  EXPECT_FALSE(url.has_userinfo());
}

TEST(Url, HttpsGetsPort443AndSchemeCaseDoesNotMatter) {
  Url url = parsed("HTTPS://Example.com:8443/x");
  EXPECT_TRUE(url.secure);
  EXPECT_EQ(url.port, 8443);
  EXPECT_STREQ(url.host, "Example.com");
  EXPECT_EQ(parsed("https://h/").port, 443);
}

TEST(Url, EmptyPathIsSlashAndAQueryAloneGetsOne) {
  EXPECT_STREQ(parsed("http://h").path, "/");
  EXPECT_STREQ(parsed("http://h:81").path, "/");
  EXPECT_STREQ(parsed("http://h?x=1").path, "/?x=1");
}

TEST(Url, FragmentIsDropped) {
  EXPECT_STREQ(parsed("http://h/a.bin#part").path, "/a.bin");
  EXPECT_STREQ(parsed("http://h#part").path, "/");
}

TEST(Url, Ipv6LiteralInBracketsIsStoredWithoutThem) {
  Url url = parsed("http://[fe80::1:2]:8000/f");
  EXPECT_TRUE(url.ipv6);
  EXPECT_STREQ(url.host, "fe80::1:2");
  EXPECT_EQ(url.port, 8000);
  char host[64];
  ASSERT_EQ(format_request_host(url, host, sizeof(host)), 11u);
  EXPECT_STREQ(host, "[fe80::1:2]");
  EXPECT_STREQ(parsed("http://[::ffff:10.0.0.1]/").host, "::ffff:10.0.0.1");
}

TEST(Url, UserinfoIsKeptAsWrittenForBasicCredentials) {
  Url url = parsed("http://admin:se%3Acret@h:8000/f");
  EXPECT_STREQ(url.userinfo, "admin:se%3Acret");
  EXPECT_STREQ(url.host, "h");
  EXPECT_STREQ(parsed("http://admin@h/").userinfo, "admin");
}

TEST(Url, RejectsEmpty) { EXPECT_EQ(error_of(""), UrlError::empty); }

TEST(Url, RejectsOtherSchemes) {
  EXPECT_EQ(error_of("ftp://h/f"), UrlError::bad_scheme);
  EXPECT_EQ(error_of("http:/h/f"), UrlError::bad_scheme);
  EXPECT_EQ(error_of("h/f"), UrlError::bad_scheme);
  EXPECT_EQ(error_of("httpx://h/"), UrlError::bad_scheme);
}

TEST(Url, RejectsSpacesControlCharactersNonAsciiAndBadEscapes) {
  EXPECT_EQ(error_of("http://h/a b"), UrlError::bad_character);
  EXPECT_EQ(error_of("http://h/a\r\nX-Evil: 1"), UrlError::bad_character);
  EXPECT_EQ(error_of(std::string("http://h/a\0b", 12)), UrlError::bad_character);
  EXPECT_EQ(error_of("http://h/\t"), UrlError::bad_character);
  EXPECT_EQ(error_of("http://h/\x7f"), UrlError::bad_character);
  EXPECT_EQ(error_of("http://h/caf\xc3\xa9"), UrlError::bad_character);
  EXPECT_EQ(error_of("http://h\\evil/"), UrlError::bad_character);
  EXPECT_EQ(error_of("http://h/%zz"), UrlError::bad_character);
  EXPECT_EQ(error_of("http://h/%4"), UrlError::bad_character);
  EXPECT_EQ(error_of("http://h/a\"b"), UrlError::bad_character);
}

TEST(Url, RejectsMissingHost) {
  EXPECT_EQ(error_of("http:///f"), UrlError::missing_host);
  EXPECT_EQ(error_of("http://:80/f"), UrlError::missing_host);
  EXPECT_EQ(error_of("http://user@/f"), UrlError::missing_host);
  EXPECT_EQ(error_of("http://[]/f"), UrlError::missing_host);
}

TEST(Url, RejectsBadHosts) {
  EXPECT_EQ(error_of("http://h!/f"), UrlError::bad_host);
  EXPECT_EQ(error_of("http://[fe80::1/f"), UrlError::bad_host) << "unclosed bracket";
  EXPECT_EQ(error_of("http://[fe80::1]x/f"), UrlError::bad_host) << "junk after the bracket";
  EXPECT_EQ(error_of("http://[1.2.3.4]/f"), UrlError::bad_host) << "no colon: not IPv6";
  EXPECT_EQ(error_of("http://[fe80::1%25eth0]/f"), UrlError::bad_host) << "zone ids are not supported";
  EXPECT_EQ(error_of("http://[g::1]/f"), UrlError::bad_host);
}

TEST(Url, RejectsATooLongHost) {
  EXPECT_EQ(error_of("http://" + std::string(254, 'a') + "/"), UrlError::host_too_long);
  EXPECT_EQ(error_of("http://" + std::string(253, 'a') + "/"), UrlError::ok);
}

TEST(Url, RejectsBadPorts) {
  EXPECT_EQ(error_of("http://h:/f"), UrlError::bad_port);
  EXPECT_EQ(error_of("http://h:0/f"), UrlError::bad_port);
  EXPECT_EQ(error_of("http://h:65536/f"), UrlError::bad_port);
  EXPECT_EQ(error_of("http://h:+80/f"), UrlError::bad_port);
  EXPECT_EQ(error_of("http://h:8a/f"), UrlError::bad_port);
  EXPECT_EQ(error_of("http://h:80:81/f"), UrlError::bad_port);
  EXPECT_EQ(error_of("http://h:0000080/f"), UrlError::bad_port);
  EXPECT_EQ(error_of("http://h:65535/f"), UrlError::ok);
}

TEST(Url, RejectsBadUserinfo) {
  EXPECT_EQ(error_of("http://@h/f"), UrlError::bad_userinfo);
  EXPECT_EQ(error_of("http://:pw@h/f"), UrlError::bad_userinfo) << "no user";
  EXPECT_EQ(error_of("http://a@b@h/f"), UrlError::bad_userinfo);
  EXPECT_EQ(error_of("http://" + std::string(129, 'u') + "@h/f"), UrlError::bad_userinfo);
}

TEST(Url, RejectsATooLongPath) {
  EXPECT_EQ(error_of("http://h/" + std::string(512, 'p')), UrlError::path_too_long);
  EXPECT_EQ(error_of("http://h/" + std::string(511, 'p')), UrlError::ok);
  EXPECT_EQ(error_of("http://h?" + std::string(511, 'q')), UrlError::path_too_long) << "the '/' added counts";
}

TEST(Url, SameOriginComparesSchemeHostAndPort) {
  EXPECT_TRUE(parsed("http://h/a").same_origin(parsed("http://h:80/b")));
  EXPECT_FALSE(parsed("http://h/a").same_origin(parsed("https://h:80/a")));
  EXPECT_FALSE(parsed("http://h/a").same_origin(parsed("http://h:81/a")));
  EXPECT_FALSE(parsed("http://h/a").same_origin(parsed("http://g/a")));
}

TEST(Location, AbsoluteUrlReplacesEverything) {
  Url out;
  ASSERT_EQ(resolve("http://a:8000/x?y", "https://b/c.bin", &out), UrlError::ok);
  EXPECT_TRUE(out.secure);
  EXPECT_STREQ(out.host, "b");
  EXPECT_EQ(out.port, 443);
  EXPECT_STREQ(out.path, "/c.bin");
}

TEST(Location, AbsolutePathKeepsSchemeHostAndPortButNotUserinfo) {
  Url out;
  ASSERT_EQ(resolve("https://u:p@a:8443/x?y", "/fw/2.bin?z", &out), UrlError::ok);
  EXPECT_TRUE(out.secure);
  EXPECT_STREQ(out.host, "a");
  EXPECT_EQ(out.port, 8443);
  EXPECT_STREQ(out.path, "/fw/2.bin?z");
  EXPECT_FALSE(out.has_userinfo());
}

TEST(Location, NetworkPathKeepsTheScheme) {
  Url out;
  ASSERT_EQ(resolve("https://a/x", "//b:9/c", &out), UrlError::ok);
  EXPECT_TRUE(out.secure);
  EXPECT_STREQ(out.host, "b");
  EXPECT_EQ(out.port, 9);
  EXPECT_STREQ(out.path, "/c");
}

TEST(Location, RelativePathsAreRefused) {
  Url out;
  EXPECT_EQ(resolve("http://a/x/y", "z.bin", &out), UrlError::relative_location);
  EXPECT_EQ(resolve("http://a/x/y", "../z.bin", &out), UrlError::relative_location);
  EXPECT_EQ(resolve("http://a/x/y", "?q", &out), UrlError::relative_location);
  EXPECT_EQ(resolve("http://a/x/y", "ftp://b/", &out), UrlError::relative_location) << "no http(s) scheme";
}

TEST(Location, MalformedTargetsAreRefused) {
  Url out;
  EXPECT_EQ(resolve("http://a/", "", &out), UrlError::empty);
  EXPECT_EQ(resolve("http://a/", "/a b", &out), UrlError::bad_character);
  EXPECT_EQ(resolve("http://a/", "http://b:99999/", &out), UrlError::bad_port);
  EXPECT_EQ(resolve("http://a/", "///x", &out), UrlError::missing_host);
}

}  // namespace
}  // namespace otakit::http
