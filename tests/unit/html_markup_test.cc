// The HTML report's markup helpers: cut text, escaped values, dates.
#include "report/html_markup.h"

#include <gtest/gtest.h>

#include <pugixml.hpp>
#include <sstream>
#include <string>

namespace pytest_shards {
namespace {

TEST(Fit, CutsCharactersNotBytesAndMarksTheCut) {
  EXPECT_EQ(Fit("abc", 3), "abc");
  EXPECT_EQ(Fit("abcd", 3), "abc\xE2\x80\xA6");
  // "é" is two bytes and one character: three characters fit whole.
  EXPECT_EQ(Fit("\xC3\xA9t\xC3\xA9", 3), "\xC3\xA9t\xC3\xA9");
  EXPECT_EQ(Fit("\xC3\xA9t\xC3\xA9s", 3), "\xC3\xA9t\xC3\xA9\xE2\x80\xA6");
}

TEST(EscapeGreaterInValues, EscapesOnlyInsideAttributeValues) {
  EXPECT_EQ(EscapeGreaterInValues(R"(<a title="x>y]]>">1 &gt; 0</a>)"),
            R"(<a title="x&gt;y]]&gt;">1 &gt; 0</a>)");
  EXPECT_EQ(EscapeGreaterInValues("<p>a</p>"), "<p>a</p>");
}

TEST(Markup, TextAndValuesAreMadeSafeForXml) {
  pugi::xml_document doc;
  pugi::xml_node table = Element(doc, "table", "t");
  Row(table, {"a<b", std::string("bell\x07")}, {"first"});
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw);
  std::string markup = out.str();
  EXPECT_NE(markup.find(R"(<table class="t"><tr><td class="first">a&lt;b</td><td>bell)"),
            std::string::npos)
      << markup;
  EXPECT_EQ(markup.find('\x07'), std::string::npos) << "a character XML 1.0 cannot hold";
}

TEST(UtcTime, IsTheDateAndTimeInUtc) {
  EXPECT_EQ(UtcTime(0), "1970-01-01 00:00:00 UTC");
  EXPECT_EQ(UtcTime(1796502069), "2026-12-05 20:21:09 UTC");
}

}  // namespace
}  // namespace pytest_shards
