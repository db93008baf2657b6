#include "session/session.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "plan/seed.h"

namespace pytest_shards {
namespace {

using nlohmann::json;

Item MakeItem(const std::string& id, const std::string& pytest_id = "") {
  Item item;
  item.node_id = id;
  item.pytest_node_id = pytest_id;
  return item;
}

Entry MakeEntry(const std::string& name, std::vector<std::string> ids) {
  Entry entry;
  entry.name = name;
  entry.node_ids = std::move(ids);
  return entry;
}

ShardJournal Ran(int index, std::vector<long> pids, double start) {
  ShardJournal journal;
  journal.index = index;
  journal.start = start;
  for (long pid : pids) {
    Session session;
    session.pid = pid;
    journal.sessions.push_back(session);
  }
  return journal;
}

// Entries 0 and 2 ran (entry 1 was not selected); the plan's shards hold
// the tests out of collection order.
struct Fixture {
  PlanFile plan;
  Collection collection;
  Fixture() {
    collection.items = {MakeItem("t.py::a"), MakeItem("b/t.py::b", "t.py::b"), MakeItem("t.py::c"),
                        MakeItem("t.py::d")};
    CollectionError error;
    error.node_id = "broken.py";
    collection.errors = {error};
    plan.plan.entries = {MakeEntry("s/shard-00", {"t.py::c", "t.py::a"}),
                         MakeEntry("s/shard-01", {"t.py::d"}),
                         MakeEntry("s/collection-errors", {"broken.py"})};
    plan.plan.entries.back().collection_errors = true;
  }
};

TEST(SessionInput, OrderIsCollectionOrderOfWhatRan) {
  Fixture f;
  json input = SessionInput(f.plan, f.collection, {Ran(0, {7, 9}, 20), Ran(2, {8}, 10)});
  EXPECT_EQ(input.at("format"), "pytest-shards-session/1");
  EXPECT_EQ(input.at("order"), json({"broken.py", "t.py::a", "t.py::c"}));
  EXPECT_EQ(input.at("start"), 10);
  EXPECT_EQ(input.at("entries"),
            json::parse(
                R"([{"name": "s/shard-00", "index": 0, "pids": [7, 9], "collection_errors": false},
                 {"name": "s/collection-errors", "index": 2, "pids": [8], "collection_errors": true}])"));
}

TEST(SessionInput, PytestIdsWhereTheyDiffer) {
  Fixture f;
  json input = SessionInput(f.plan, f.collection, {Ran(1, {1}, 1)});
  EXPECT_EQ(input.at("pytest_ids"), json({{"b/t.py::b", "t.py::b"}}));
}

TEST(SessionInput, TestsTheCollectionLacksComeLastInPlanOrder) {
  Fixture f;
  f.plan.plan.entries[0].node_ids.push_back("new.py::z");
  json input = SessionInput(f.plan, f.collection, {Ran(0, {1}, 1)});
  EXPECT_EQ(input.at("order"), json({"t.py::a", "t.py::c", "new.py::z"}));
}

// Only the verdicts pytest could not report itself: what the runner gave.
TEST(SessionInput, RunnerVerdictsOnly) {
  Fixture f;
  ShardJournal journal = Ran(0, {1}, 1);
  journal.results = {{"t.py::a", "passed", 1, ""},
                     {"t.py::c", "crashed", 0.5, "signal 11"},
                     {"t.py::d", "timeout", 3, "killed"}};
  json input = SessionInput(f.plan, f.collection, {journal});
  EXPECT_EQ(input.at("results"), json::parse(R"({"t.py::c": ["crashed", "signal 11", 0.5],
                            "t.py::d": ["timeout", "killed", 3]})"));
}

TEST(SessionArgv, TheSuitesArgumentsThenTheSessionRole) {
  PlanFile plan;
  plan.settings.python = "/usr/bin/python3";
  plan.settings.args = {"--pyargs", "pkg", "--cov=pkg"};
  plan.settings.run_args = {"--junitxml=j.xml"};
  plan.rootdir = "/r";
  plan.xdist = true;
  std::vector<std::string> argv = SessionArgv(plan, "/s");
  std::vector<std::string> head(argv.begin(), argv.begin() + 9);
  EXPECT_EQ(head, (std::vector<std::string>{"/usr/bin/python3", "-m", "pytest", "-p",
                                            "pytest_shards_plugin", "--pyargs", "pkg", "--cov=pkg",
                                            "--junitxml=j.xml"}));
  for (const char* arg :
       {"--rootdir=/r", "--shards-session=/s", "-n", "--shards-serial-marker=serial"})
    EXPECT_NE(std::find(argv.begin(), argv.end(), arg), argv.end()) << arg;
  // No per-entry option: nothing is collected nor journaled.
  for (const std::string& arg : argv)
    EXPECT_EQ(arg.rfind("--shards-journal", 0), std::string::npos);
}

// The run's seed, as every entry of the run gets it (seed.h).
TEST(SessionArgv, TheRunsSeedWhenTheSuiteHasOne) {
  PlanFile plan;
  plan.run_id = "1700000000000000-42";
  plan.session_outputs = {"seed"};
  std::vector<std::string> argv = SessionArgv(plan, "/s");
  std::string seed = "--shards-seed=" + std::to_string(RunSeed(plan.run_id));
  EXPECT_NE(std::find(argv.begin(), argv.end(), seed), argv.end());
}

}  // namespace
}  // namespace pytest_shards
