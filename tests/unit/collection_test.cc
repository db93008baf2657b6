#include "collection.h"

#include <gtest/gtest.h>

#include "error.h"

namespace pytest_shards {
namespace {

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

}  // namespace
}  // namespace pytest_shards
