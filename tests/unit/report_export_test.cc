#include "report/report_export.h"

#include <gtest/gtest.h>

namespace pytest_shards {
namespace {

using nlohmann::json;

Item At(const std::string& node_id, const std::string& path) {
  Item item;
  item.node_id = node_id;
  item.path = path;
  return item;
}

// Two modules whose pytest node IDs collide, and a test the collection no
// longer knows.
struct Fixture {
  Collection collection;
  PlanFile plan;
  Report report;

  Fixture() {
    collection.rootdir = "/work";
    collection.items = {At("tests/test_t.py::test_x", "/site/a/tests/test_t.py"),
                        At("tests/test_t.py::test_x", "/site/b/tests/test_t.py"),
                        At("tests/test_u.py::test_y", "/work/tests/test_u.py")};
    UniqueNodeIds(&collection.items);
    plan.rootdir = "/work";
    plan.module_paths = {{"gone/test_g.py", "/site/gone/test_g.py"}};
    report.suite = "app";
    report.run_id = "2000-1";
    report.results = {{"app/shard-0", {"a/tests/test_t.py::test_x", "passed", 0.5, ""}},
                      {"app/shard-1", {"b/tests/test_t.py::test_x", "failed", 0.25, "boom"}},
                      {"app/shard-1", {"tests/test_u.py::test_y", "skipped", 0, "later"}},
                      {"app/shard-1", {"gone/test_g.py::test_z", "missing", 0, "gone"}},
                      {"app/shard-1", {"tests/test_v.py::test_w", "missing", 0, "gone"}}};
    EntryRow row;
    row.name = "app/shard-0";
    row.tests = 1;
    row.ran = row.finished = true;
    row.wall = 2;
    row.peak_rss_kb = 1024;
    report.entries = {row};
  }
};

TEST(ReportExport, NamesEveryTestByItsIdAndByPytestsPathAndNodeId) {
  Fixture f;
  json suite = ExportSuite(f.report, f.plan, f.collection);
  EXPECT_EQ(suite["suite"], "app");
  EXPECT_EQ(suite["run_id"], "2000-1");
  const json& tests = suite["tests"];
  ASSERT_EQ(tests.size(), 5u);
  EXPECT_EQ(tests[0]["id"], "a/tests/test_t.py::test_x");
  EXPECT_EQ(tests[0]["nodeid"], "tests/test_t.py::test_x");
  EXPECT_EQ(tests[0]["path"], "/site/a/tests/test_t.py");
  EXPECT_EQ(tests[0]["entry"], "app/shard-0");
  EXPECT_EQ(tests[1]["nodeid"], "tests/test_t.py::test_x");
  EXPECT_EQ(tests[1]["path"], "/site/b/tests/test_t.py");
  EXPECT_EQ(tests[1]["outcome"], "failed");
  EXPECT_EQ(tests[1]["message"], "boom");
  EXPECT_EQ(tests[1]["duration"], 0.25);
  EXPECT_EQ(tests[2]["nodeid"], "tests/test_u.py::test_y");
  // Not in the collection: the plan's module path, else below the rootdir.
  EXPECT_EQ(tests[3]["path"], "/site/gone/test_g.py");
  EXPECT_EQ(tests[4]["path"], "/work/tests/test_v.py");
  EXPECT_EQ(suite["entries"][0]["name"], "app/shard-0");
  EXPECT_EQ(suite["entries"][0]["status"], "passed");
  EXPECT_EQ(suite["entries"][0]["peak_rss_kb"], 1024);
  json document = ExportDocument({suite});
  EXPECT_EQ(document["format"], "pytest-shards-results/1");
  EXPECT_EQ(document["suites"][0], suite);
}

TEST(ReportExport, ATestAnInterruptKeptFromRunningIsNotRunWithTheSignal) {
  Fixture f;
  // Without an interrupt, neither the suite nor a test has the key.
  json plain = ExportSuite(f.report, f.plan, f.collection);
  EXPECT_FALSE(plain.contains("interrupted"));
  for (const json& test : plain["tests"]) EXPECT_FALSE(test.contains("interrupted")) << test;
  f.report.interrupted = 2;
  f.report.results[4].test.interrupted = 2;
  json suite = ExportSuite(f.report, f.plan, f.collection);
  EXPECT_EQ(suite["interrupted"], 2);
  EXPECT_EQ(suite["tests"][4]["outcome"], "not run");
  EXPECT_EQ(suite["tests"][4]["interrupted"], 2);
  // A test that never ran for another reason is still missing.
  EXPECT_EQ(suite["tests"][3]["outcome"], "missing");
  EXPECT_FALSE(suite["tests"][3].contains("interrupted"));
  EXPECT_EQ(suite["tests"][1]["outcome"], "failed");
}

TEST(ReportExport, CollectionIdentityIgnoresOrderAndSeesEveryId) {
  Fixture f;
  std::string identity = CollectionIdentity(f.collection);
  EXPECT_EQ(identity.size(), 32u);
  Collection reordered = f.collection;
  std::swap(reordered.items[0], reordered.items[2]);
  EXPECT_EQ(CollectionIdentity(reordered), identity);
  Collection fewer = f.collection;
  fewer.items.pop_back();
  EXPECT_NE(CollectionIdentity(fewer), identity);
  Collection with_error = f.collection;
  with_error.errors.push_back({"tests/test_bad.py", "", "ImportError"});
  EXPECT_NE(CollectionIdentity(with_error), identity);
}

TEST(ReportExport, ListsEveryCollectedTestAlsoThoseOfOtherSlices) {
  Fixture f;
  f.collection.errors.push_back({"tests/test_bad.py", "/work/tests/test_bad.py", "ImportError"});
  json collected = ExportSuite(f.report, f.plan, f.collection)["collected"];
  ASSERT_EQ(collected.size(), 4u);
  EXPECT_EQ(collected[0], json({{"id", "a/tests/test_t.py::test_x"},
                                {"nodeid", "tests/test_t.py::test_x"},
                                {"path", "/site/a/tests/test_t.py"}}));
  EXPECT_EQ(collected[1]["id"], "b/tests/test_t.py::test_x");
  EXPECT_EQ(collected[2]["id"], "tests/test_bad.py");
  EXPECT_EQ(collected[3]["id"], "tests/test_u.py::test_y");
}

TEST(ReportExport, SaysWhichSliceThePlanHeld) {
  Fixture f;
  EXPECT_EQ(ExportSuite(f.report, f.plan, f.collection)["slice"],
            json({{"index", 1}, {"count", 1}, {"source", ""}}));
  f.plan.slice = {2, 3};
  f.plan.slice_source = "CI_NODE_INDEX/CI_NODE_TOTAL (GitLab)";
  EXPECT_EQ(ExportSuite(f.report, f.plan, f.collection)["slice"],
            json({{"index", 2}, {"count", 3}, {"source", "CI_NODE_INDEX/CI_NODE_TOTAL (GitLab)"}}));
}

}  // namespace
}  // namespace pytest_shards
