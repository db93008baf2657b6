#include "util/json_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pytest_shards {
namespace {

using nlohmann::json;

json ReadValue(const std::string& text) {
  JsonReader reader(text);
  json value = reader.Value();
  reader.Finish();
  return value;
}

TEST(JsonReader, ReadsMembersAndElementsInOrder) {
  std::string text = R"( {"name": "shard-00", "ids": ["a", "b"], "cost": 1.5, "line": -12,
                          "ok": true, "no": false, "none": null, "empty": {}} )";
  JsonReader reader(text);
  std::vector<std::string> keys, ids;
  reader.BeginObject();
  for (std::string key; reader.NextKey(&key);) {
    keys.push_back(key);
    if (key == "name") {
      EXPECT_EQ(reader.String(), "shard-00");
    } else if (key == "ids") {
      reader.BeginArray();
      while (reader.NextElement()) ids.push_back(reader.String());
    } else if (key == "cost") {
      EXPECT_DOUBLE_EQ(reader.Number(), 1.5);
    } else if (key == "line") {
      EXPECT_EQ(reader.Integer(), -12);
    } else if (key == "ok") {
      EXPECT_TRUE(reader.Bool());
    } else if (key == "no") {
      EXPECT_FALSE(reader.Bool());
    } else if (key == "none") {
      EXPECT_EQ(reader.Peek(), JsonReader::Type::kNull);
      EXPECT_TRUE(reader.Null());
    } else {
      EXPECT_FALSE(reader.Null());
      reader.Skip();
    }
  }
  reader.Finish();
  EXPECT_EQ(keys,
            (std::vector<std::string>{"name", "ids", "cost", "line", "ok", "no", "none", "empty"}));
  EXPECT_EQ(ids, (std::vector<std::string>{"a", "b"}));
}

TEST(JsonReader, DecodesEscapesAndUtf8) {
  EXPECT_EQ(ReadValue(R"("q\" b\\ s\/ \b\f\n\r\t")"), "q\" b\\ s/ \b\f\n\r\t");
  EXPECT_EQ(ReadValue(R"("\u00fc\u20AC\u0000x")"), std::string("\xc3\xbc\xe2\x82\xac\0x", 7));
  // A surrogate pair is one character outside the BMP.
  EXPECT_EQ(ReadValue(R"("\ud83d\ude00")"), "\xf0\x9f\x98\x80");
  // Raw UTF-8 passes through as it is.
  EXPECT_EQ(ReadValue("\"\xc3\xbc \xe2\x82\xac \xf0\x9f\x98\x80\""),
            "\xc3\xbc \xe2\x82\xac \xf0\x9f\x98\x80");
  // What pytest makes of parameters: its own escapes, kept literally.
  EXPECT_EQ(ReadValue(R"("t.py::test[\\xfc\\\\\"0\"\\t]")"), R"(t.py::test[\xfc\\"0"\t])");
}

// Whatever it reads, it reads as nlohmann_json does: the other readers and
// writers of these files use nlohmann_json.
TEST(JsonReader, ValuesEqualWhatNlohmannParses) {
  for (std::string text :
       {"0", "-0", "5", "-5", "1.5", "-2.5e-3", "1E3", "1e+2", "9223372036854775807",
        "-9223372036854775808", "18446744073709551615", "18446744073709551616",
        "-9223372036854775809", "123456789012345678901234567890", "0.1",
        // below double's range: nlohmann (strtod) reads 0
        // or a subnormal, where from_chars gives up
        "1e-54444444444444444444444444", "-1e-400", "4.9e-324", "2.2250738585072011e-308", "true",
        "null", R"("")", R"("a\u0001b")", "[]", "{}", R"([1, [2, [3, {}]], {"k": [null]}])",
        R"({"b": 1, "a": {"c": [true, false]}, "b": 2})", " \t\r\n[ 1 , 2 ]\n"}) {
    json expected = json::parse(text);
    json value = ReadValue(text);
    EXPECT_EQ(value, expected) << text;
    EXPECT_EQ(value.dump(), expected.dump()) << text;
    EXPECT_EQ(value.type(), expected.type()) << text;
  }
}

TEST(JsonReader, TextThatIsNotJsonIsASyntaxError) {
  std::string deep(300, '[');
  for (const std::string& text : std::vector<std::string>{"",
                                                          "   ",
                                                          "{",
                                                          "[1,]",
                                                          "[1 2]",
                                                          "[,1]",
                                                          "{\"a\" 1}",
                                                          "{\"a\":1,}",
                                                          "{a:1}",
                                                          "{\"a\":1 \"b\":2}",
                                                          "\"abc",
                                                          "\"\\x\"",
                                                          "\"\\u12\"",
                                                          "\"\\u12g4\"",
                                                          "\"\\ud800\"",
                                                          "\"\\ud800\\u0041\"",
                                                          "\"\\udc00\"",
                                                          "\"a\nb\"",
                                                          "\"a\tb\"",
                                                          "\"\xff\"",
                                                          "\"\xc3\"",
                                                          "\"\xc0\xaf\"",
                                                          "\"\xe0\x80\xaf\"",
                                                          "\"\xed\xa0\x80\"",
                                                          "\"\xf4\x90\x80\x80\"",
                                                          "01",
                                                          "1.",
                                                          ".5",
                                                          "-",
                                                          "1e",
                                                          "+1",
                                                          "tru",
                                                          "nul",
                                                          "True",
                                                          "{} x",
                                                          "1 2",
                                                          deep}) {
    EXPECT_FALSE(json::accept(text)) << "nlohmann accepts " << text;
    JsonReader reader(text);
    EXPECT_THROW(
        {
          reader.Value();
          reader.Finish();
        },
        JsonReader::SyntaxError)
        << text;
  }
  // Stricter than nlohmann_json, which stops reading at a NUL byte.
  std::string nul("1\0", 2);
  JsonReader reader(nul);
  reader.Value();
  EXPECT_THROW(reader.Finish(), JsonReader::SyntaxError);
}

// A torn file: every cut of a document is refused, as nlohmann refuses it.
TEST(JsonReader, EveryPrefixOfADocumentIsASyntaxError) {
  std::string text =
      "{\"a\": [1, -2.5e3, true, null, \"\\u00fc\\ud83d\\ude00\\n\xc3\xbc\"], "
      "\"b\": {\"c\": false}}";
  ASSERT_TRUE(json::accept(text));
  for (size_t size = 0; size < text.size(); ++size) {
    std::string prefix = text.substr(0, size);
    if (json::accept(prefix)) continue;  // "{...} " cuts after the end are whole
    JsonReader reader(prefix);
    EXPECT_THROW(
        {
          reader.Value();
          reader.Finish();
        },
        JsonReader::SyntaxError)
        << prefix;
  }
  EXPECT_EQ(ReadValue(text), json::parse(text));
}

TEST(JsonReader, AnotherTypeThanAskedIsAShapeError) {
  auto what = [](const std::string& text, auto read) {
    JsonReader reader(text);
    try {
      read(reader);
    } catch (const JsonReader::ShapeError& e) {
      return std::string(e.what());
    }
    return std::string("no ShapeError");
  };
  EXPECT_EQ(what("\n  3", [](JsonReader& r) { r.String(); }),
            "line 2, column 3: expected a string, found a number");
  // Above double's range: nlohmann refuses it too.
  EXPECT_EQ(what("1e400", [](JsonReader& r) { r.Number(); }),
            "line 1, column 6: number out of range");
  EXPECT_EQ(what("-1e400", [](JsonReader& r) { r.Value(); }),
            "line 1, column 7: number out of range");
  EXPECT_TRUE(json::parse("1e400", nullptr, false).is_discarded());
  EXPECT_EQ(what("\"3\"", [](JsonReader& r) { r.Number(); }),
            "line 1, column 1: expected a number, found a string");
  EXPECT_EQ(what("[]", [](JsonReader& r) { r.BeginObject(); }),
            "line 1, column 1: expected an object, found an array");
  EXPECT_EQ(what("null", [](JsonReader& r) { r.Bool(); }),
            "line 1, column 1: expected a boolean, found null");
  EXPECT_EQ(what("1.5", [](JsonReader& r) { r.Integer(); }),
            "line 1, column 1: expected an integer, found 1.5");
  EXPECT_EQ(what("1e2", [](JsonReader& r) { r.Integer(); }),
            "line 1, column 1: expected an integer, found 1e2");
  EXPECT_EQ(what("99999999999999999999", [](JsonReader& r) { r.Integer(); }),
            "line 1, column 1: expected an integer, found 99999999999999999999");
}

TEST(JsonReader, SyntaxErrorsSayWhere) {
  JsonReader reader("{\"a\": [1,\n  2 3]}");
  try {
    reader.Skip();
    FAIL() << "no SyntaxError";
  } catch (const JsonReader::SyntaxError& e) {
    EXPECT_EQ(std::string(e.what()), "line 2, column 5: expected ',' or ']'");
  }
}

TEST(TopLevelString, FindsTheKeyAnywhereAndChecksTheWholeText) {
  EXPECT_EQ(TopLevelString(R"({"items": [{"format": "no"}], "format": "f/1"})", "format"), "f/1");
  EXPECT_EQ(TopLevelString(R"({"format": 1})", "format"), "");
  EXPECT_EQ(TopLevelString("[1, 2]", "format"), "");
  EXPECT_THROW(TopLevelString(R"({"format": "f/1", "items": [)", "format"),
               JsonReader::SyntaxError);
}

}  // namespace
}  // namespace pytest_shards
