#include "util/json_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "util/json_reader.h"

namespace pytest_shards {
namespace {

using nlohmann::json;

std::string StrangeString() {
  std::string text;
  for (int c = 0; c < 0x20; ++c) text.push_back(static_cast<char>(c));
  text += "\"\\/\x7f plain \xc3\xbc\xe2\x82\xac\xf0\x9f\x98\x80 t.py::test[\\xfc\\\\\"0\"\\t]";
  return text;
}

TEST(JsonWriter, StringsAreWrittenAsNlohmannWritesThem) {
  for (std::string value : {std::string(), std::string("shard-00"), StrangeString()}) {
    std::string text;
    JsonWriter(&text).String(value);
    EXPECT_EQ(text, json(value).dump());
    EXPECT_EQ(json::parse(text), value);
    JsonReader reader(text);
    EXPECT_EQ(reader.String(), value);
  }
}

TEST(JsonWriter, NumbersReadBackExactly) {
  for (double value : {0.0, -0.0, 5.0, -2.5, 0.1, 1e300, 5e-324, 7.7577944407375075, 1.0 / 3}) {
    std::string text;
    JsonWriter(&text).Number(value);
    EXPECT_EQ(json::parse(text).get<double>(), value) << text;
    JsonReader reader(text);
    EXPECT_EQ(reader.Number(), value) << text;
  }
  for (double value : {std::nan(""), std::numeric_limits<double>::infinity()}) {
    std::string text;
    JsonWriter(&text).Number(value);
    EXPECT_EQ(text, "null");
  }
  std::string text;
  JsonWriter(&text).Integer(-9223372036854775807LL - 1);
  EXPECT_EQ(text, "-9223372036854775808");
}

TEST(JsonWriter, NestedDocumentRoundTrips) {
  std::string text;
  JsonWriter writer(&text);
  writer.BeginObject();
  writer.Key(StrangeString());
  writer.Strings({"a", StrangeString(), ""});
  writer.Key("empty");
  writer.BeginObject();
  writer.EndObject();
  writer.Key("none");
  writer.BeginArray();
  writer.EndArray();
  writer.Key("nested");
  writer.BeginArray();
  writer.BeginArray();
  writer.Bool(true);
  writer.Bool(false);
  writer.EndArray();
  writer.Integer(3);
  writer.Value(json{{"x", {1, "y", nullptr}}});
  writer.EndArray();
  writer.EndObject();
  json expected = {{StrangeString(), {"a", StrangeString(), ""}},
                   {"empty", json::object()},
                   {"none", json::array()},
                   {"nested", {{true, false}, 3, {{"x", {1, "y", nullptr}}}}}};
  EXPECT_EQ(json::parse(text), expected);
  EXPECT_EQ(text.find('\n'), std::string::npos);
}

TEST(JsonWriter, OutermostContainersPutEachMemberOnALine) {
  std::string text;
  JsonWriter writer(&text, /*line_depth=*/2);
  writer.BeginObject();
  writer.Key("format");
  writer.String("f/1");
  writer.Key("entries");
  writer.BeginArray();
  for (const char* name : {"a", "b"}) {
    writer.BeginObject();
    writer.Key("name");
    writer.String(name);
    writer.Key("ids");
    writer.Strings({"x", "y"});
    writer.EndObject();
  }
  writer.EndArray();
  writer.EndObject();
  EXPECT_EQ(text,
            "{\n\"format\":\"f/1\",\n\"entries\":[\n{\"name\":\"a\",\"ids\":[\"x\",\"y\"]},\n"
            "{\"name\":\"b\",\"ids\":[\"x\",\"y\"]}]}");
  EXPECT_NO_THROW(json::parse(text));
}

}  // namespace
}  // namespace pytest_shards
