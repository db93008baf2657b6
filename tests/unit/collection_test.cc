#include "data/collection.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "test_dir.h"
#include "util/error.h"
#include "util/file_util.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json PluginOutput() {
  // As tools/pytest_shards_plugin.py writes it.
  return json::parse(R"({
    "format": "pytest-shards-collection/1", "rootdir": "/src", "python": "/usr/bin/python3",
    "pytest_version": "7.2.1", "xdist": true, "pytest_order": true, "seconds": 0.5,
    "session": ["junitxml", "coverage"],
    "session_paths": {"junitxml": "/b/j.xml", "coverage": "/src/.coverage"},
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
  EXPECT_TRUE(c.pytest_order);
  EXPECT_EQ(c.session_outputs, (std::vector<std::string>{"junitxml", "coverage"}));
  EXPECT_EQ(c.session_paths, (std::map<std::string, std::string>{{"coverage", "/src/.coverage"},
                                                                 {"junitxml", "/b/j.xml"}}));
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
  UniqueNodeIds(&c.items);  // as every collection read is
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

Item At(const std::string& node_id, const std::string& path) {
  Item item;
  item.node_id = node_id;
  item.path = path;
  return item;
}

std::vector<std::string> NodeIds(const std::vector<Item>& items) {
  std::vector<std::string> ids;
  for (const Item& item : items) ids.push_back(item.node_id);
  return ids;
}

TEST(UniqueNodeIds, LengthensOnlyTheModulePartsThatCollide) {
  // --pyargs pkg.a pkg.b from outside: pytest names both modules tests/test_t.py.
  std::vector<Item> items = {
      At("tests/test_t.py::test_x", "/site/pkg/a/tests/test_t.py"),
      At("tests/test_t.py::test_only_a", "/site/pkg/a/tests/test_t.py"),
      At("tests/test_t.py::test_x", "/site/pkg/b/tests/test_t.py"),
      At("tests/test_u.py::test_x", "/site/pkg/a/tests/test_u.py"),
      At("tests/test_t.py", "/site/pkg/c/tests/test_t.py"),  // a skipped module
  };
  UniqueNodeIds(&items);
  EXPECT_EQ(NodeIds(items), (std::vector<std::string>{
                                "a/tests/test_t.py::test_x",
                                "a/tests/test_t.py::test_only_a",
                                "b/tests/test_t.py::test_x",
                                "tests/test_u.py::test_x",
                                "c/tests/test_t.py",
                            }));
  EXPECT_EQ(items[2].PytestNodeId(), "tests/test_t.py::test_x");
  EXPECT_EQ(items[3].pytest_node_id, "");  // not renamed
  EXPECT_EQ(items[3].PytestNodeId(), "tests/test_u.py::test_x");
  // Idempotent: unique IDs stay as they are.
  std::vector<Item> again = items;
  UniqueNodeIds(&again);
  EXPECT_EQ(NodeIds(again), NodeIds(items));
}

TEST(UniqueNodeIds, GoesDeeperUntilTheNamesDifferAndTakeNoOtherModulesPart) {
  std::vector<Item> items = {
      At("tests/test_t.py::test_x", "/one/x/a/tests/test_t.py"),
      At("tests/test_t.py::test_x", "/two/x/a/tests/test_t.py"),
      // "b/tests/test_t.py" is already a module part: c/b/... must not become it.
      At("b/tests/test_t.py::test_y", "/root/b/tests/test_t.py"),
      At("tests/test_t.py::test_x", "/three/c/b/tests/test_t.py"),
  };
  UniqueNodeIds(&items);
  EXPECT_EQ(NodeIds(items), (std::vector<std::string>{
                                "one/x/a/tests/test_t.py::test_x",
                                "two/x/a/tests/test_t.py::test_x",
                                "b/tests/test_t.py::test_y",
                                "three/c/b/tests/test_t.py::test_x",
                            }));
  std::vector<std::string> ids = NodeIds(items);
  std::set<std::string> unique(ids.begin(), ids.end());
  EXPECT_EQ(unique.size(), items.size());
}

TEST(UniqueNodeIds, CollectionJsonKeepsPytestsIdsAndReadsBackTheSame) {
  json output = PluginOutput();
  json twin = output["items"][0];
  twin["path"] = "/elsewhere/tests/test_a.py";
  output["items"].push_back(twin);
  json skipped = {{"nodeid", "tests/test_skip.py"},
                  {"path", "/src/tests/test_skip.py"},
                  {"file", "tests/test_skip.py"},
                  {"line", 0},
                  {"cls", nullptr},
                  {"markers", json::array()},
                  {"skipped_collector", true}};
  output["items"].push_back(skipped);
  Collection c = CollectionFromJson(output);
  EXPECT_EQ(c.items[0].node_id, "src/tests/test_a.py::test_x[a;b]");
  EXPECT_EQ(c.items[2].node_id, "elsewhere/tests/test_a.py::test_x[a;b]");
  EXPECT_TRUE(c.items[3].skipped_collector);
  EXPECT_FALSE(c.items[0].skipped_collector);
  json written = CollectionToJson(c);
  EXPECT_EQ(written["items"][2]["nodeid"], "tests/test_a.py::test_x[a;b]");
  EXPECT_EQ(written["items"][3]["skipped_collector"], true);
  EXPECT_EQ(NodeIds(CollectionFromJson(written).items), NodeIds(c.items));
}

}  // namespace
}  // namespace pytest_shards
