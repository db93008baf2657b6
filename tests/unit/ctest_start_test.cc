#include "plan/ctest_start.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <set>
#include <sstream>
#include <string>

#include "collect/collect.h"
#include "data/runs.h"
#include "data/settings.h"
#include "plan/plan.h"
#include "test_dir.h"
#include "util/file_util.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;

// The collection pytest would give now; no pytest runs.
class FakeCollector : public Collector {
 public:
  Collection Collect(const Settings&, std::ostream&) override {
    ++runs;
    return collection;
  }

  Collection collection;
  int runs = 0;
};

// A configured suite: settings.json and a fresh collection of 8 tests.
class CtestStartTest : public TestDirFixture {
 protected:
  void SetUp() override {
    TestDirFixture::SetUp();
    settings_.suite = "demo";
    settings_.suite_dir = dir_ / "build" / "pytest-shards" / "demo";
    settings_.workdir = dir_;
    settings_.python = "/usr/bin/python3";
    settings_.shards = 4;
    WriteFileAtomic(settings_.SettingsFile(), SettingsToJson(settings_).dump());
    Collection collection;
    collection.rootdir = dir_.string();
    for (int i = 0; i < 8; ++i) {
      Item item;
      item.node_id = "tests/test_" + std::to_string(i % 3) + ".py::test_" + std::to_string(i);
      item.file = item.node_id.substr(0, item.node_id.find("::"));
      item.path = (dir_ / item.file).string();
      collection.items.push_back(item);
    }
    WriteCollection(settings_, collection);
    collector_.collection = collection;
    options_.tool = "/usr/bin/pytest-shards";
    options_.cores = 2;
  }

  fs::path Plan(const std::string& slice = "") {
    CtestStartOptions options = options_;
    options.slice = slice;
    std::ostringstream out;
    return PlanAtCtestStart(settings_.suite_dir, options, collector_, out);
  }

  std::set<std::string> PlannedIds(const fs::path& tests_file) {
    PlanFile file = ReadPlanFile(tests_file.parent_path() / "plan.json", "");
    std::set<std::string> ids;
    for (const Entry& entry : file.plan.entries)
      ids.insert(entry.node_ids.begin(), entry.node_ids.end());
    return ids;
  }

  // A test pytest did not collect at configure time.
  void AddTest(const std::string& node_id) {
    Item item;
    item.node_id = node_id;
    item.file = node_id.substr(0, node_id.find("::"));
    item.path = (dir_ / item.file).string();
    collector_.collection.items.push_back(item);
  }

  // The collection no longer matches what it was collected with.
  void MakeStale() {
    settings_.args = {"tests", "-k", "not slow"};
    WriteFileAtomic(settings_.SettingsFile(), SettingsToJson(settings_).dump());
  }

  Settings settings_;
  CtestStartOptions options_;
  FakeCollector collector_;
};

TEST_F(CtestStartTest, EachPlanIsARunOfItsOwn) {
  fs::path first = Plan();
  std::string first_tests = ReadFile(first);
  EXPECT_EQ(PlannedIds(first).size(), 8u);
  EXPECT_NE(
      first_tests.find(RunPlanFile(settings_.suite_dir, first.parent_path().filename()).string()),
      std::string::npos)
      << first_tests;

  // Another ctest (an IDE listing tests, with a CI slice) plans meanwhile.
  fs::path second = Plan("1/2");
  EXPECT_NE(first, second);
  EXPECT_LT(PlannedIds(second).size(), 8u);
  // What the first ctest includes and runs is unchanged.
  EXPECT_EQ(ReadFile(first), first_tests);
  EXPECT_EQ(PlannedIds(first).size(), 8u);
  EXPECT_EQ(RunIds(settings_.suite_dir).size(), 2u);
  // The configured collection is fresh: pytest did not run.
  EXPECT_EQ(collector_.runs, 0);
}

TEST_F(CtestStartTest, AMemoryBudgetKeepsEveryTestInItsShard) {
  Collection collection = collector_.collection;
  for (int i = 0; i < 400; ++i) {
    Item item;
    item.node_id = "tests/test_many.py::test_" + std::to_string(i);
    item.file = "tests/test_many.py";
    item.path = (dir_ / item.file).string();
    collection.items.push_back(item);
  }
  WriteCollection(settings_, collection);
  auto tail = [this] {
    return ReadPlanFile(Plan().parent_path() / "plan.json", "").plan.shared_tail.size();
  };
  EXPECT_GT(tail(), 0u);
  options_.memory_budget_mib = 4000;
  EXPECT_EQ(tail(), 0u);
}

TEST_F(CtestStartTest, AStaleCollectionWithTheSameTestsIsCollectedOnceAndPlanned) {
  MakeStale();
  std::string tests = ReadFile(Plan());
  EXPECT_EQ(collector_.runs, 1);
  EXPECT_EQ(tests.find("stale-collection"), std::string::npos) << tests;
  EXPECT_EQ(PlannedIds(Plan()).size(), 8u);
  EXPECT_EQ(collector_.runs, 1);  // written back: fresh again
}

TEST_F(CtestStartTest, NewTestsSinceCmakeCollectedAreOneFailingEntry) {
  MakeStale();
  AddTest("tests/test_new.py::test_new");
  fs::path tests_file = Plan();
  std::string tests = ReadFile(tests_file);
  EXPECT_NE(tests.find("demo/stale-collection"), std::string::npos) << tests;
  EXPECT_NE(tests.find("the tests changed since cmake collected them (new test "
                       "tests/test_new.py::test_new); re-run cmake"),
            std::string::npos)
      << tests;
  // What cmake collected still runs.
  EXPECT_EQ(PlannedIds(tests_file).size(), 8u);
}

TEST_F(CtestStartTest, PreTestDiscoveryCollectsAtEveryCtestStartWhenTheTestsChanged) {
  settings_.discovery_mode = DiscoveryMode::kPreTest;
  WriteFileAtomic(settings_.SettingsFile(), SettingsToJson(settings_).dump());
  fs::remove(settings_.CollectionFile());
  AddTest("tests/test_new.py::test_new");
  fs::path tests_file = Plan();
  EXPECT_EQ(collector_.runs, 1);
  EXPECT_EQ(PlannedIds(tests_file).size(), 9u);
  EXPECT_EQ(ReadFile(tests_file).find("stale-collection"), std::string::npos);
  EXPECT_EQ(PlannedIds(Plan()).size(), 9u);
  EXPECT_EQ(collector_.runs, 1);  // the cache holds now
}

TEST_F(CtestStartTest, ThePlanRecordsTheCtestsCommandLine) {
  // The report reads what this ctest selected from it.
  options_.ctest_argv = {"ctest", "-L", "last-failed"};
  fs::path tests_file = Plan();
  PlanFile file = ReadPlanFile(tests_file.parent_path() / "plan.json", "");
  EXPECT_EQ(file.ctest_argv, options_.ctest_argv);
  EXPECT_EQ(file.ctest_last_failed, std::nullopt);
  // Under --rerun-failed, the entries the log's numbers name.
  options_.ctest_argv = {"ctest", "--rerun-failed"};
  std::string second = file.plan.entries.at(1).name;
  options_.ctest_last_failed = LastTestsFailedLog{{{7, second}}, fs::file_time_type::clock::now()};
  tests_file = Plan();
  file = ReadPlanFile(tests_file.parent_path() / "plan.json", "");
  EXPECT_EQ(file.ctest_last_failed, std::vector<std::string>{second});
}

TEST_F(CtestStartTest, RerunFailedRunsTheFailedTestsEntryAgain) {
  // A run in which tests/test_1.py::test_4 failed, in one of four shards:
  // its journal, up to the entry's end.
  fs::path first = Plan();
  PlanFile ran = ReadPlanFile(first.parent_path() / "plan.json", "");
  std::string failed = "tests/test_1.py::test_4";
  const std::vector<Entry>& entries = ran.plan.entries;
  auto holds = [&](const Entry& e) {
    return std::find(e.node_ids.begin(), e.node_ids.end(), failed) != e.node_ids.end();
  };
  size_t index = std::find_if(entries.begin(), entries.end(), holds) - entries.begin();
  ASSERT_LT(index, entries.size());
  const Entry& entry = entries[index];
  std::string journal = R"({"event":"run","run_id":")" + ran.run_id + R"(","entry":")" +
                        entry.name + R"(","index":)" + std::to_string(index) + R"(,"time":1})" +
                        "\n";
  for (const std::string& id : entry.node_ids)
    journal += R"({"event":"result","nodeid":")" + id + R"(","outcome":")" +
               (id == failed ? "failed" : "passed") + R"(","duration":1,"time":2,"message":null})" +
               "\n";
  journal += R"({"event":"shard","entry":")" + entry.name +
             R"(","wall":2,"startup":1,"peak_rss_kb":1,"exit":1,"restarts":0})" + "\n";
  WriteFileAtomic(JournalFile(settings_.suite_dir, ran.run_id, index), journal);
  // Without --rerun-failed, the next plan runs it first, in a last-failed
  // entry, which moves every other entry one number on.
  // CTest wrote its log at the end of that run, before this plan.
  fs::file_time_type written = fs::last_write_time(first.parent_path() / "plan.json");
  fs::path next_plan = Plan().parent_path() / "plan.json";
  fs::last_write_time(next_plan, written + std::chrono::seconds(1));
  PlanFile next = ReadPlanFile(next_plan, "");
  ASSERT_EQ(next.plan.entries.front().name, "demo/last-failed-00");
  ASSERT_EQ(next.plan.entries.front().node_ids, std::vector<std::string>{failed});
  // CTest logged the failed entry by its number (1-based; the suite's
  // entries were 3 to 6).
  options_.ctest_argv = {"ctest", "--rerun-failed"};
  options_.ctest_last_failed =
      LastTestsFailedLog{{{static_cast<int>(index) + 3, entry.name}}, written};
  PlanFile rerun = ReadPlanFile(Plan().parent_path() / "plan.json", "");
  ASSERT_EQ(rerun.plan.entries.size(), ran.plan.entries.size());
  for (size_t i = 0; i < ran.plan.entries.size(); ++i) {
    EXPECT_EQ(rerun.plan.entries[i].name, ran.plan.entries[i].name);
    EXPECT_EQ(rerun.plan.entries[i].node_ids, ran.plan.entries[i].node_ids);
  }
  EXPECT_EQ(rerun.ctest_last_failed, std::vector<std::string>{entry.name});
}

TEST_F(CtestStartTest, SaysWhenTheLastRunsWarmInterpreterDidNotStart) {
  fs::path first = Plan();
  EXPECT_EQ(ReadFile(Plan()).find("warm interpreter"), std::string::npos);
  std::string run_id = first.parent_path().filename().string();
  WriteFileAtomic(JournalFile(settings_.suite_dir, run_id, 0), "");  // it ran
  WriteFileAtomic(WarmDir(settings_.suite_dir, run_id) / "unavailable", "it broke\n");
  std::string tests = ReadFile(Plan());
  EXPECT_NE(tests.find("message([[pytest-shards: demo: warning: the warm interpreter of the "
                       "last run did not start (it broke), so its entries started pytest cold; "
                       "pytest-shards report lists them]])\n"),
            std::string::npos)
      << tests;
}

TEST_F(CtestStartTest, AProblemIsAFailingEntryInTheRunsIncludeFile) {
  fs::path tests = Plan("3/2");
  EXPECT_EQ(tests.filename(), "tests.cmake");
  std::string text = ReadFile(tests);
  EXPECT_NE(text.find("demo/plan-error"), std::string::npos) << text;
  EXPECT_FALSE(fs::exists(tests.parent_path() / "plan.json"));
}

// DEPENDS: before the build there is no collection (or no module), and the
// run is one line and one failing entry that say to build first.
TEST_F(CtestStartTest, BeforeTheBuildOfItsDependsTheRunSaysBuildFirst) {
  settings_.depends = {{"ext", (dir_ / "build" / "ext.so").string()}};
  WriteFileAtomic(settings_.SettingsFile(), SettingsToJson(settings_).dump());
  std::string tests = ReadFile(Plan());
  EXPECT_NE(tests.find("message([[pytest-shards: demo: DEPENDS target ext of demo is not built"),
            std::string::npos)
      << tests;
  EXPECT_NE(tests.find("demo/build-first"), std::string::npos) << tests;
  EXPECT_EQ(tests.find("run --plan"), std::string::npos) << tests;
  WriteFileAtomic(dir_ / "build" / "ext.so", "built");
  EXPECT_EQ(PlannedIds(Plan()).size(), 8u);
  fs::remove(settings_.CollectionFile());
  tests = ReadFile(Plan());
  EXPECT_NE(tests.find("demo is collected by the build once its DEPENDS (ext) are built"),
            std::string::npos)
      << tests;
}

TEST_F(CtestStartTest, CiVariablesChooseTheSliceAsPytestShardsSliceDoes) {
  std::set<std::string> sliced = PlannedIds(Plan("2/3"));
  options_.environment = {{"CI_NODE_INDEX", "2"}, {"CI_NODE_TOTAL", "3"}};
  fs::path tests = Plan();
  EXPECT_EQ(PlannedIds(tests), sliced);
  EXPECT_LT(sliced.size(), 8u);
  std::string text = ReadFile(tests);
  EXPECT_NE(text.find("message(\"pytest-shards: demo: slice 2/3 from CI_NODE_INDEX/CI_NODE_TOTAL "
                      "(GitLab)\")"),
            std::string::npos)
      << text;
  // The plan says which slice it holds, and what chose it.
  PlanFile recorded = ReadPlanFile(tests.parent_path() / "plan.json", "");
  EXPECT_EQ(recorded.slice.index, 2);
  EXPECT_EQ(recorded.slice.count, 3);
  EXPECT_EQ(recorded.slice_source, "CI_NODE_INDEX/CI_NODE_TOTAL (GitLab)");
  EXPECT_FALSE(fs::exists(tests.parent_path() / "slice.json"));
  // PYTEST_SHARDS_SLICE (--slice) wins over them.
  EXPECT_EQ(PlannedIds(Plan("2/3")), sliced);
  EXPECT_NE(PlannedIds(Plan("1/3")), sliced);
  // A bad CI value is one failing entry, as a bad PYTEST_SHARDS_SLICE is.
  options_.environment = {{"CI_NODE_INDEX", "4"}, {"CI_NODE_TOTAL", "3"}};
  std::string bad = ReadFile(Plan());
  EXPECT_NE(bad.find("demo/plan-error"), std::string::npos) << bad;
  EXPECT_NE(bad.find("CI_NODE_INDEX='4'"), std::string::npos) << bad;
}

}  // namespace
}  // namespace pytest_shards
