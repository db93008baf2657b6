#include "synthetic_suite.h"

#include <random>
#include <string>
#include <utility>

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;

constexpr int kTestsPerModule = 50;

Marker NewMarker(const std::string& name, nlohmann::json args = nlohmann::json::array()) {
  Marker marker;
  marker.name = name;
  marker.args = std::move(args);
  return marker;
}

}  // namespace

Collection SyntheticCollection(int items, const fs::path& rootdir) {
  Collection c;
  c.rootdir = rootdir.string();
  c.python = "/usr/bin/python3";
  c.pytest_version = "7.2.1";
  std::mt19937 random(4);
  for (int i = 0; i < items; ++i) {
    int module = i / kTestsPerModule;
    int test = i % kTestsPerModule;
    Item item;
    item.file =
        "tests/pkg" + std::to_string(module % 40) + "/test_mod" + std::to_string(module) + ".py";
    item.path = c.rootdir + "/" + item.file;
    item.line = 10 + 4 * test;
    if (test % 3 == 0) item.cls = "TestClass" + std::to_string(test % 4);
    std::string name = "test_case_" + std::to_string(test / 2);
    if (test % 4 == 1) {
      name += "[param-" + std::to_string(test) + "]";
      item.markers.push_back(NewMarker("parametrize", {"x", {1, 2, 3}}));
    }
    item.node_id = item.file + "::" + (item.cls.empty() ? "" : item.cls + "::") + name + "_" +
                   std::to_string(test);
    if (random() % 200 == 0) item.markers.push_back(NewMarker("serial"));
    if (random() % 400 == 0) item.markers.push_back(NewMarker("serial", {"db"}));
    if (random() % 100 == 0)
      item.markers.push_back(NewMarker("xdist_group", {"group" + std::to_string(module % 30)}));
    c.items.push_back(std::move(item));
  }
  return c;
}

Durations SyntheticDurations(const Collection& c) {
  Durations d;
  std::mt19937 random(7);
  std::lognormal_distribution<double> seconds(-4.5, 1.5);
  for (const Item& item : c.items)
    if (random() % 10 != 0) d.tests[item.node_id] = seconds(random);
  d.startup = 1.2;
  return d;
}

}  // namespace pytest_shards
