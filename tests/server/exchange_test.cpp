// Percent-decoding and query parsing for every handler.
#include <gtest/gtest.h>

#include "server/http/exchange.h"

using namespace otakit::server;

TEST(Exchange, PercentDecodesPathsAndQueries) {
  EXPECT_EQ(percent_decode("/a%20b", false), "/a b");
  EXPECT_EQ(percent_decode("a+b", false), "a+b");
  EXPECT_EQ(percent_decode("a+b", true), "a b");
  EXPECT_EQ(percent_decode("%2e%2E", false), "..");
}

TEST(Exchange, MalformedEscapesAndNulAreRefused) {
  for (const char* bad : {"%", "%4", "%zz", "a%00b", "%%"}) EXPECT_FALSE(percent_decode(bad, false).has_value()) << bad;
}

TEST(Exchange, QueriesSplitIntoDecodedPairs) {
  const auto q = parse_query("name=fw%201.bin&version=2.0&flag&empty=");
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->at("name"), "fw 1.bin");
  EXPECT_EQ(q->at("version"), "2.0");
  EXPECT_EQ(q->at("flag"), "");
  EXPECT_EQ(q->at("empty"), "");
  EXPECT_FALSE(parse_query("a=%zz").has_value());
}

TEST(Exchange, HeadersCompareWithoutCase) {
  Request r;
  r.headers = {{"Content-Type", "a"}, {"content-type", "b"}};
  ASSERT_NE(r.header("CONTENT-TYPE"), nullptr);
  EXPECT_EQ(*r.header("CONTENT-TYPE"), "a");
  EXPECT_EQ(r.header("Range"), nullptr);
}
