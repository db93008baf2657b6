#include "collection.h"

#include <gtest/gtest.h>

#include <string>

#include "error.h"
#include "file_util.h"
#include "test_dir.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json PluginOutput() {
  // As tools/pytest_shards_plugin.py writes it.
  return json::parse(R"({
    "format": "pytest-shards-collection/1", "rootdir": "/src", "python": "/usr/bin/python3",
    "pytest_version": "7.2.1", "xdist": true, "seconds": 0.5,
    "items": [
      {"nodeid": "tests/test_a.py::test_x[a;b]", "file": "tests/test_a.py",
       "path": "/src/tests/test_a.py", "line": 12, "cls": null,
       "markers": [{"name": "serial", "args": ["db"], "kwargs": {"exclusive": true}},
                   {"name": "parametrize", "args": [], "kwargs": {}}]},
      {"nodeid": "tests/test_a.py::TestK::test_y", "file": "tests/test_a.py",
       "path": "/src/tests/test_a.py", "line": 20, "cls": "TestK", "markers": []}
    ],
    "errors": [{"nodeid": "tests/test_bad.py", "path": "/src/tests/test_bad.py",
                "message": "ImportError: nope"}],
    "files": ["/src/tests/test_a.py"], "dirs": ["/src/tests"]
  })");
}

TEST(Collection, ParsesWhatThePluginWrites) {
  Collection c = CollectionFromJson(PluginOutput());
  EXPECT_EQ(c.rootdir, "/src");
  EXPECT_TRUE(c.xdist);
  ASSERT_EQ(c.items.size(), 2u);
  EXPECT_EQ(c.items[0].node_id, "tests/test_a.py::test_x[a;b]");
  EXPECT_EQ(c.items[0].line, 12);
  EXPECT_EQ(c.items[0].cls, "");
  EXPECT_EQ(c.items[1].cls, "TestK");
  const Marker* serial = c.items[0].FindMarker("serial");
  ASSERT_NE(serial, nullptr);
  EXPECT_EQ(serial->args[0], "db");
  EXPECT_EQ(serial->kwargs["exclusive"], true);
  EXPECT_EQ(c.items[1].FindMarker("serial"), nullptr);
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_EQ(c.errors[0].message, "ImportError: nope");
  EXPECT_EQ(c.dirs, std::vector<std::string>{"/src/tests"});
}

TEST(Collection, RoundTripsThroughJson) {
  Collection c = CollectionFromJson(PluginOutput());
  EXPECT_EQ(CollectionToJson(CollectionFromJson(CollectionToJson(c))), CollectionToJson(c));
}

TEST(Collection, MalformedInputIsAClearError) {
  json missing_items = PluginOutput();
  missing_items.erase("items");
  json wrong_type = PluginOutput();
  wrong_type["items"][0]["nodeid"] = 3;
  for (const json& bad :
       {json::parse("[]"), json{{"format", "other"}}, missing_items, wrong_type}) {
    try {
      CollectionFromJson(bad);
      FAIL() << bad.dump();
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("re-run cmake"), std::string::npos) << e.what();
    }
  }
}

std::string ErrorOf(const std::filesystem::path& file) {
  try {
    ReadCollection(file);
  } catch (const Error& e) {
    return e.what();
  }
  return "no Error";
}

using CollectionFile = TestDirFixture;

// Node IDs as pytest makes them from odd parameters, and paths beyond ASCII.
Collection StrangeCollection() {
  Collection c = CollectionFromJson(PluginOutput());
  Item item = c.items[0];
  // JSON string bodies: escapes as the plugin writes them.
  for (std::string node_id :
       {R"(tests/test_a.py::test_x[\\xfc\\\\\"0\"\\t])", R"(tests/test_a.py::test_x[\u00e9-\n])",
        R"(tests/t\u00fcst.py::test_\u20ac[\ud83d\ude00])",
        R"(tests/t\u00fcst.py::test[a{}[]:,\u0001])"}) {
    item.node_id = nlohmann::json::parse("\"" + node_id + "\"").get<std::string>();
    item.path = "/src/t\xc3\xbcst/" + std::to_string(c.items.size());
    item.markers.push_back(
        {"param\"s", {"\x01\x1f", 1.5, -3, nullptr, {{"deep", {1, 2}}}}, {{"k\xc3\xa9y", "v\n"}}});
    c.items.push_back(item);
  }
  return c;
}

TEST_F(CollectionFile, RoundTripsStrangeStrings) {
  Collection c = StrangeCollection();
  fs::path file = dir_ / "collection.json";
  WriteFileAtomic(file, CollectionToJson(c).dump(1));
  Collection back = ReadCollection(file);
  ASSERT_EQ(back.items.size(), c.items.size());
  for (size_t i = 0; i < c.items.size(); ++i) {
    EXPECT_EQ(back.items[i].node_id, c.items[i].node_id);
    EXPECT_EQ(back.items[i].path, c.items[i].path);
    EXPECT_EQ(back.items[i].markers, c.items[i].markers);
  }
  EXPECT_EQ(CollectionToJson(back), CollectionToJson(c));
  // As the plugin writes it: ASCII only, everything else escaped.
  WriteFileAtomic(file, CollectionToJson(c).dump(1, ' ', /*ensure_ascii=*/true));
  EXPECT_EQ(CollectionToJson(ReadCollection(file)), CollectionToJson(c));
}

TEST_F(CollectionFile, MembersInAnyOrderAndUnknownOnesIgnored) {
  fs::path file = dir_ / "collection.json";
  WriteFileAtomic(file, R"({"items": [{"markers": [{"kwargs": {}, "name": "slow", "new": 1}],
                                       "later": {"x": [1]}, "line": 3, "nodeid": "t.py::a"}],
                            "rootdir": "/src", "format": "pytest-shards-collection/1"})");
  Collection c = ReadCollection(file);
  ASSERT_EQ(c.items.size(), 1u);
  EXPECT_EQ(c.items[0].node_id, "t.py::a");
  EXPECT_EQ(c.items[0].line, 3);
  ASSERT_EQ(c.items[0].markers.size(), 1u);
  EXPECT_EQ(c.items[0].markers[0].name, "slow");
  EXPECT_EQ(c.items[0].markers[0].args, nlohmann::json::array());
}

TEST_F(CollectionFile, BadFilesGiveOneLineNamingTheFix) {
  fs::path file = dir_ / "collection.json";
  std::string good = CollectionToJson(StrangeCollection()).dump(1);
  EXPECT_NE(ErrorOf(file).find("missing"), std::string::npos);
  WriteFileAtomic(file, good.substr(0, good.size() / 3));
  std::string torn = ErrorOf(file);
  EXPECT_NE(torn.find(file.string() + " is corrupt"), std::string::npos) << torn;
  EXPECT_NE(torn.find("re-run cmake"), std::string::npos) << torn;
  EXPECT_EQ(torn.find('\n'), std::string::npos) << torn;
  // A format of another shape is named as such, not as a broken collection,
  // wherever its format member is.
  WriteFileAtomic(file, R"({"items": {"a": 1}, "format": "pytest-shards-collection/2"})");
  EXPECT_NE(ErrorOf(file).find("not in format pytest-shards-collection/1"), std::string::npos)
      << ErrorOf(file);
  WriteFileAtomic(file, R"({"format": "pytest-shards-collection/1", "rootdir": "/",
                            "items": [{"nodeid": "t.py::a", "line": "7"}]})");
  EXPECT_NE(ErrorOf(file).find("collection is malformed (line 2, column"), std::string::npos)
      << ErrorOf(file);
  WriteFileAtomic(file, R"({"format": "pytest-shards-collection/1", "rootdir": "/",
                            "items": [{"nodeid": "t.py::a", "markers": [{"args": []}]}]})");
  EXPECT_NE(ErrorOf(file).find("a marker has no name"), std::string::npos) << ErrorOf(file);
  WriteFileAtomic(file, good + "x");
  EXPECT_NE(ErrorOf(file).find("is corrupt"), std::string::npos) << ErrorOf(file);
}

}  // namespace
}  // namespace pytest_shards
