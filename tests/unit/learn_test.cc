#include "plan/learn.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "data/runs.h"
#include "journal_fixtures.h"
#include "util/error.h"
#include "util/file_util.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// ---- Folding a run -----------------------------------------------------------

TEST(FoldDurations, RecordsMeasuredOutcomesAndIsIdempotent) {
  PlanFile plan = MakePlan({MakeEntry("suite/shard-00", {"t.py::a", "t.py::b", "t.py::c"}),
                            MakeEntry("suite/shard-01", {"t.py::d", "t.py::e"}),
                            MakeEntry("suite/shard-02", {"t.py::f"})});
  ShardJournal second =
      MakeJournal(1, "suite/shard-01",
                  {{"t.py::d", "skipped", 0.01, ""}, {"t.py::e", "crashed", 9, "signal 9"}});
  second.wall = 4;
  second.startup = 1.5;
  ShardJournal third = MakeJournal(2, "suite/shard-02", {{"t.py::f", "failed", 0.7, "x"}});
  third.startup = 0;  // not measured: must not drag the mean down
  std::vector<ShardJournal> journals = {
      MakeJournal(0, "suite/shard-00", {Passed("t.py::a", 0.3), {"t.py::b", "timeout", 30, ""}}),
      second, third};

  Durations store;
  store.tests["t.py::b"] = 2;  // kept: a timeout measures nothing
  store.tests["t.py::a"] = 9;  // replaced by the latest run
  store.tests["gone.py::x"] = 1;
  store.startup = 7;
  Durations once = FoldDurations(store, plan, journals);
  EXPECT_DOUBLE_EQ(once.tests.at("t.py::a"), 0.3);
  EXPECT_DOUBLE_EQ(once.tests.at("t.py::b"), 2);
  EXPECT_DOUBLE_EQ(once.tests.at("t.py::d"), 0.01);
  EXPECT_DOUBLE_EQ(once.tests.at("t.py::f"), 0.7);
  EXPECT_EQ(once.tests.count("t.py::c"), 0u);  // never ran
  EXPECT_EQ(once.tests.count("t.py::e"), 0u);  // crashed
  EXPECT_DOUBLE_EQ(once.tests.at("gone.py::x"), 1);
  EXPECT_DOUBLE_EQ(once.startup, 1.0);  // mean of 0.5 and 1.5
  EXPECT_DOUBLE_EQ(once.entries.at("suite/shard-00"), 2.5);
  EXPECT_DOUBLE_EQ(once.entries.at("suite/shard-01"), 4);

  Durations twice = FoldDurations(once, plan, journals);
  EXPECT_EQ(twice.tests, once.tests);
  EXPECT_EQ(twice.entries, once.entries);
  EXPECT_DOUBLE_EQ(twice.startup, once.startup);
}

TEST(FoldDurations, KilledEntryGivesTestsButNoWallOrStartup) {
  PlanFile plan = MakePlan({MakeEntry("suite/shard-00", {"t.py::a"})});
  ShardJournal killed = MakeJournal(0, "suite/shard-00", {Passed("t.py::a", 0.4)}, false);
  Durations store;
  store.startup = 0.8;
  Durations folded = FoldDurations(store, plan, {killed});
  EXPECT_DOUBLE_EQ(folded.tests.at("t.py::a"), 0.4);
  EXPECT_TRUE(folded.entries.empty());
  EXPECT_DOUBLE_EQ(folded.startup, 0.8);
}

TEST(FoldDurations, ARunInProgressLeavesTheFailedSetAsItIs) {
  // Another ctest plans while shard-00 runs: it has one result so far and
  // no closing record; shard-01 has not started.
  PlanFile plan = MakePlan({MakeEntry("suite/shard-00", {"t.py::a", "t.py::b", "t.py::c"}),
                            MakeEntry("suite/shard-01", {"t.py::d"})});
  Durations store;
  store.failed = {"t.py::c", "t.py::d"};
  Durations folded = FoldDurations(
      store, plan, {MakeJournal(0, "suite/shard-00", {{"t.py::a", "failed", 0.3, "E"}}, false)});
  EXPECT_EQ(folded.failed, store.failed);
  EXPECT_DOUBLE_EQ(folded.tests.at("t.py::a"), 0.3);  // a measurement all the same
}

TEST(FoldDurations, FailedSetFollowsTheLatestOutcomeOfEntriesThatRan) {
  PlanFile plan = MakePlan({MakeEntry("suite/shard-00", {"t.py::a", "t.py::b", "t.py::c"}),
                            MakeEntry("suite/shard-01", {"t.py::d", "t.py::e", "t.py::f"}),
                            MakeEntry("suite/shard-02", {"t.py::g"})});
  // shard-00 ran (b failed, c has no result), shard-01 ran (e crashed,
  // f errored), shard-02 did not run in this ctest run (ctest -L/-R).
  std::vector<ShardJournal> journals = {
      MakeJournal(0, "suite/shard-00", {Passed("t.py::a"), {"t.py::b", "failed", 1, "E"}}),
      MakeJournal(1, "suite/shard-01",
                  {{"t.py::d", "skipped", 0, ""},
                   {"t.py::e", "crashed", 0, "signal 9"},
                   {"t.py::f", "error", 0, "E"}})};
  Durations store;
  store.failed = {"t.py::a", "t.py::d", "t.py::g", "gone.py::x"};
  Durations once = FoldDurations(store, plan, journals);
  // a passed and d skipped: no longer failed; g and gone.py::x did not run:
  // kept; b, c (no result in an entry that ran), e and f: failed.
  EXPECT_EQ(once.failed, (std::set<std::string>{"gone.py::x", "t.py::b", "t.py::c", "t.py::e",
                                                "t.py::f", "t.py::g"}));
  EXPECT_EQ(FoldDurations(once, plan, journals).failed, once.failed);

  // The next run passes everything it runs: the set empties of those.
  PlanFile again = MakePlan({MakeEntry("suite/last-failed-00", {"t.py::b", "t.py::c"})}, "3000-1");
  Durations later =
      FoldDurations(once, again,
                    {MakeJournal(0, "suite/last-failed-00", {Passed("t.py::b"), Passed("t.py::c")},
                                 true, "3000-1")});
  EXPECT_EQ(later.failed, (std::set<std::string>{"gone.py::x", "t.py::e", "t.py::f", "t.py::g"}));
}

// The collection-errors entry re-runs modules, not tests: its results teach
// no test's outcome, its wall time is still the entry's. A journal is
// matched by name when its index is not the plan's; another run's is not.
TEST(FoldDurations, CollectionErrorsTeachNoOutcomeAndJournalsMatchTheirEntry) {
  Entry errors = MakeEntry("suite/collection-errors", {"t_broken.py"});
  errors.collection_errors = true;
  PlanFile plan = MakePlan({MakeEntry("suite/shard-00", {"t.py::a"}), errors});
  ShardJournal by_name = MakeJournal(7, "suite/shard-00", {Passed("t.py::a", 0.2)});
  ShardJournal broken =
      MakeJournal(1, "suite/collection-errors", {{"t_broken.py", "error", 0.1, "ImportError"}});
  ShardJournal other_run = MakeJournal(0, "suite/shard-00", {Passed("t.py::a", 9)}, true, "1-1");
  Durations folded = FoldDurations(Durations(), plan, {by_name, broken, other_run});
  EXPECT_EQ(folded.tests, (std::map<std::string, double>{{"t.py::a", 0.2}}));
  EXPECT_TRUE(folded.failed.empty());
  EXPECT_DOUBLE_EQ(folded.entries.at("suite/collection-errors"), 2.5);
  EXPECT_DOUBLE_EQ(folded.entries.at("suite/shard-00"), 2.5);
}

// ---- Files --------------------------------------------------------------------

TEST_F(SuiteDir, FoldJournalsIntoDurationsIsIdempotent) {
  WritePlan(MakePlan({MakeEntry("suite/shard-00", {"t.py::a", "t.py::b"})}));
  WriteJournal(0, "2000-1", {Passed("t.py::a", 0.25), Passed("t.py::b", 0.5)}, true);
  FoldJournalsIntoDurations(dir_);
  std::string once = ReadFile(dir_ / "durations.json");
  FoldJournalsIntoDurations(dir_);
  EXPECT_EQ(ReadFile(dir_ / "durations.json"), once);
  EXPECT_DOUBLE_EQ(ReadDurations(dir_ / "durations.json").tests.at("t.py::b"), 0.5);
}

// Every ctest start folds the last run; only the first after it has news.
TEST_F(SuiteDir, FoldJournalsIntoDurationsReadsTheJournalsOnlyWhenTheyChanged) {
  WritePlan(MakePlan({MakeEntry("suite/shard-00", {"t.py::a", "t.py::b"})}));
  WriteJournal(0, "2000-1", {Passed("t.py::a", 0.25)}, false);
  FoldJournalsIntoDurations(dir_);
  Durations store = ReadDurations(dir_ / "durations.json");
  EXPECT_DOUBLE_EQ(store.tests.at("t.py::a"), 0.25);
  EXPECT_NE(store.folded.find("2000-1 "), std::string::npos) << store.folded;

  // Unchanged journals are not read again: a value changed in the store stays.
  store.tests["t.py::a"] = 9.0;
  WriteFileAtomic(dir_ / "durations.json", DurationsToJson(store).dump());
  FoldJournalsIntoDurations(dir_);
  EXPECT_DOUBLE_EQ(ReadDurations(dir_ / "durations.json").tests.at("t.py::a"), 9.0);

  // A record appended (the run goes on) is.
  {
    std::ofstream out(RunJournalDir(dir_, run_dir_id_) / "0.jsonl", std::ios::app);
    out << json{{"event", "result"}, {"nodeid", "t.py::b"}, {"outcome", "passed"},
                {"duration", 0.5},   {"time", 1.4},         {"message", ""}}
               .dump()
        << "\n";
  }
  FoldJournalsIntoDurations(dir_);
  store = ReadDurations(dir_ / "durations.json");
  EXPECT_DOUBLE_EQ(store.tests.at("t.py::a"), 0.25);
  EXPECT_DOUBLE_EQ(store.tests.at("t.py::b"), 0.5);

  // A store deleted by hand is made again from the same journals.
  fs::remove(dir_ / "durations.json");
  FoldJournalsIntoDurations(dir_);
  EXPECT_DOUBLE_EQ(ReadDurations(dir_ / "durations.json").tests.at("t.py::b"), 0.5);
}

// What `plan` then plans with: one read of the store at each ctest start.
TEST_F(SuiteDir, FoldJournalsIntoDurationsReturnsTheStore) {
  WriteFileAtomic(dir_ / "durations.json", "{\"format\": ");
  EXPECT_THROW(FoldJournalsIntoDurations(dir_), Error);  // nothing to rebuild it from
  WritePlan(MakePlan({MakeEntry("suite/shard-00", {"t.py::a"})}));
  WriteJournal(0, "2000-1", {Passed("t.py::a", 0.25)}, true);
  EXPECT_DOUBLE_EQ(FoldJournalsIntoDurations(dir_).tests.at("t.py::a"), 0.25);  // rebuilt
  EXPECT_DOUBLE_EQ(FoldJournalsIntoDurations(dir_).tests.at("t.py::a"), 0.25);  // as folded
  EXPECT_DOUBLE_EQ(ReadDurations(dir_ / "durations.json").tests.at("t.py::a"), 0.25);
}

TEST_F(SuiteDir, FoldJournalsIntoDurationsToleratesMissingAndCorruptInput) {
  EXPECT_NO_THROW(FoldJournalsIntoDurations(dir_ / "does-not-exist"));
  EXPECT_NO_THROW(FoldJournalsIntoDurations(dir_));  // no plan
  WriteFileAtomic(RunPlanFile(dir_, "1000-1"), "{not json");
  WriteFileAtomic(RunJournalDir(dir_, "1000-1") / "0.jsonl", "{}\n");
  EXPECT_NO_THROW(FoldJournalsIntoDurations(dir_));
  EXPECT_FALSE(fs::exists(dir_ / "durations.json"));

  // A plan whose journals are all missing or stale leaves the store alone.
  WritePlan(MakePlan({MakeEntry("suite/shard-00", {"t.py::a"})}));
  WriteJournal(0, "1000-1", {Passed("t.py::a")}, true);
  FoldJournalsIntoDurations(dir_);
  EXPECT_FALSE(fs::exists(dir_ / "durations.json"));
}

}  // namespace
}  // namespace pytest_shards
