#include "report/report.h"

#include <gtest/gtest.h>

#include <sstream>

#include "data/runs.h"
#include "report/report_summary.h"
#include "report_fixtures.h"
#include "util/error.h"
#include "util/file_util.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// ---- Accounting ---------------------------------------------------------------

TEST(BuildReport, CleanRunIsOk) {
  PlanFile plan = MakePlan({MakeEntry("suite/shard-00", {"t.py::a", "t.py::b"}),
                            MakeEntry("suite/shard-01", {"t.py::c"})});
  Report report =
      BuildReport(plan, {MakeJournal(0, "suite/shard-00", {Passed("t.py::a"), Passed("t.py::b")}),
                         MakeJournal(1, "suite/shard-01", {Passed("t.py::c")})});
  EXPECT_TRUE(report.Ok());
  EXPECT_EQ(report.run_id, "2000-1");
  EXPECT_EQ(Count(report, "passed"), 3);
  EXPECT_TRUE(report.never_ran.empty());
  EXPECT_TRUE(report.ran_twice.empty());
  ASSERT_EQ(report.entries.size(), 2u);
  EXPECT_EQ(report.entries[0].tests, 2u);
  EXPECT_EQ(report.entries[0].Status(), EntryStatus::kPassed);
  EXPECT_EQ(report.entries[0].peak_rss_kb, 40960);
  EXPECT_EQ(report.results.size(), 3u);
  EXPECT_EQ(FindResult(report, "t.py::c")->entry, "suite/shard-01");
}

TEST(BuildReport, TestWithoutResultNeverRan) {
  PlanFile plan = MakePlan({MakeEntry("suite/shard-00", {"t.py::a", "t.py::b", "t.py::c"})});
  Report report = BuildReport(plan, {MakeJournal(0, "suite/shard-00", {Passed("t.py::a")})});
  EXPECT_EQ(report.never_ran, (std::vector<std::string>{"t.py::b", "t.py::c"}));
  EXPECT_FALSE(report.Ok());
  // They are reported as missing so that JUnit and the totals show them.
  EXPECT_EQ(Count(report, "missing"), 2);
  ASSERT_NE(FindResult(report, "t.py::b"), nullptr);
  EXPECT_EQ(FindResult(report, "t.py::b")->test.outcome, "missing");
  EXPECT_EQ(report.entries[0].Status(), EntryStatus::kFailed);
}

// ---- Subset runs --------------------------------------------------------------

// Two entries of suite "suite", the second labelled last-failed, planned by a
// ctest started with `argv`.
PlanFile SubsetPlan(std::vector<std::string> argv) {
  Entry failed = MakeEntry("suite/last-failed-00", {"t.py::b"});
  failed.labels = {"last-failed"};
  PlanFile plan = MakePlan({MakeEntry("suite/shard-00", {"t.py::a", "t.py::c"}), failed});
  plan.ctest_argv = std::move(argv);
  return plan;
}

TEST(BuildReport, EntriesTheCtestDidNotSelectAreNotSelectedNotMissing) {
  std::vector<std::pair<std::vector<std::string>, std::string>> runs = {
      {{"ctest", "-j", "2", "-L", "last-failed"}, "-L last-failed"},
      {{"ctest", "-R", "^suite/last-failed-00$"}, "-R ^suite/last-failed-00$"},
      {{"ctest", "-E", "shard", "-LE", "^nothing$"}, "-E shard -LE ^nothing$"}};
  for (const auto& [argv, selection] : runs) {
    SCOPED_TRACE(selection);
    Report report = BuildReport(SubsetPlan(argv),
                                {MakeJournal(1, "suite/last-failed-00", {Passed("t.py::b")})});
    EXPECT_TRUE(report.Ok());
    EXPECT_TRUE(report.never_ran.empty());
    EXPECT_EQ(Count(report, "missing"), 0);
    EXPECT_EQ(report.results.size(), 1u);
    EXPECT_EQ(report.entries[0].Status(), EntryStatus::kNotSelected);
    EXPECT_EQ(report.entries[1].Status(), EntryStatus::kPassed);
    std::string summary = FormatSummary(report);
    EXPECT_TRUE(Contains(summary, "selection: ctest " + selection + " (1 of 2 entries)\n"))
        << summary;
    EXPECT_TRUE(Contains(summary, "  not selected\n")) << summary;
    EXPECT_FALSE(Contains(summary, "did not run")) << summary;
    EXPECT_TRUE(Contains(summary, "\nOK\n")) << summary;
  }
}

TEST(BuildReport, ASubsetRunReportsWhatRanFailing) {
  Report report = BuildReport(
      SubsetPlan({"ctest", "-L", "last-failed"}),
      {MakeJournal(1, "suite/last-failed-00", {{"t.py::b", "failed", 0.1, "E   boom"}})});
  EXPECT_FALSE(report.Ok());
  EXPECT_EQ(report.entries[0].Status(), EntryStatus::kNotSelected);
  EXPECT_TRUE(Contains(FormatSummary(report), "\nFAILED\n"));
}

TEST(BuildReport, ASelectedEntryThatDidNotRunIsStillMissing) {
  // ctest -R shard-00 was killed before it started the entry.
  Report report = BuildReport(SubsetPlan({"ctest", "-R", "shard-00"}), {});
  EXPECT_FALSE(report.Ok());
  EXPECT_EQ(report.entries[0].Status(), EntryStatus::kNotRun);
  EXPECT_EQ(report.entries[1].Status(), EntryStatus::kNotSelected);
  EXPECT_EQ(report.never_ran, (std::vector<std::string>{"t.py::a", "t.py::c"}));
  std::string summary = FormatSummary(report);
  EXPECT_TRUE(Contains(summary, "selection: ctest -R shard-00 (1 of 2 entries)\n")) << summary;
  EXPECT_TRUE(Contains(summary, "entries that did not run (1):\n  suite/shard-00\n")) << summary;
}

TEST(BuildReport, AnUnknownSelectionLeavesEveryEntrySelected) {
  // --rerun-failed, -I, an option given twice, a pattern read otherwise:
  // what ctest chose is not known, so an entry without a journal is missing.
  for (const std::vector<std::string>& argv :
       {std::vector<std::string>{"ctest", "--rerun-failed"},
        std::vector<std::string>{"ctest", "-L", "\\d"}, std::vector<std::string>{}}) {
    Report report = BuildReport(SubsetPlan(argv),
                                {MakeJournal(1, "suite/last-failed-00", {Passed("t.py::b")})});
    EXPECT_FALSE(report.Ok());
    EXPECT_EQ(report.entries[0].Status(), EntryStatus::kNotRun);
    EXPECT_EQ(report.never_ran.size(), 2u);
  }
  // A LABELS of the suite's PROPERTIES replaces the labels -L would read.
  PlanFile plan = SubsetPlan({"ctest", "-L", "last-failed"});
  plan.settings.properties = {{"LABELS", "mine"}};
  EXPECT_EQ(BuildReport(plan, {}).entries[0].Status(), EntryStatus::kNotRun);
}

TEST(BuildReport, ResultInTwoJournalsRanTwice) {
  PlanFile plan = MakePlan(
      {MakeEntry("suite/shard-00", {"t.py::a"}), MakeEntry("suite/shard-01", {"t.py::b"})});
  Report report =
      BuildReport(plan, {MakeJournal(0, "suite/shard-00", {Passed("t.py::a")}),
                         MakeJournal(1, "suite/shard-01", {Passed("t.py::b"), Passed("t.py::a")})});
  EXPECT_EQ(report.ran_twice, std::vector<std::string>{"t.py::a"});
  EXPECT_TRUE(report.never_ran.empty());
  EXPECT_FALSE(report.Ok());
  EXPECT_EQ(Count(report, "passed"), 3);
}

TEST(BuildReport, ResultTwiceInOneJournalRanTwice) {
  PlanFile plan = MakePlan({MakeEntry("suite/shard-00", {"t.py::a", "t.py::b"})});
  Report report = BuildReport(
      plan,
      {MakeJournal(0, "suite/shard-00",
                   {Passed("t.py::a"), Passed("t.py::a"), Passed("t.py::a"), Passed("t.py::b")})});
  EXPECT_EQ(report.ran_twice, std::vector<std::string>{"t.py::a"});
  EXPECT_FALSE(report.Ok());
}

TEST(BuildReport, EntryKeepsItsJournalsStartAndEnd) {
  PlanFile plan = MakePlan(
      {MakeEntry("suite/shard-00", {"t.py::a"}), MakeEntry("suite/shard-01", {"t.py::b"})});
  ShardJournal journal = MakeJournal(0, "suite/shard-00", {Passed("t.py::a")});
  journal.start = 1000.5;
  journal.end = 1003;
  Report report = BuildReport(plan, {journal});
  EXPECT_EQ(report.entries[0].start, 1000.5);
  EXPECT_EQ(report.entries[0].end, 1003);
  EXPECT_EQ(report.entries[1].start, 0);  // did not run
  EXPECT_EQ(report.entries[1].end, 0);
}

TEST(BuildReport, KilledJournalKeepsItsResults) {
  PlanFile plan = MakePlan({MakeEntry("suite/shard-00", {"t.py::a", "t.py::b"}),
                            MakeEntry("suite/shard-01", {"t.py::c"})});
  Report report =
      BuildReport(plan, {MakeJournal(0, "suite/shard-00", {Passed("t.py::a")}, /*finished=*/false),
                         MakeJournal(1, "suite/shard-01", {Passed("t.py::c")})});
  const EntryRow& killed = report.entries[0];
  EXPECT_TRUE(killed.ran);
  EXPECT_FALSE(killed.finished);
  EXPECT_EQ(killed.Status(), EntryStatus::kKilled);
  EXPECT_EQ(killed.counts.at("passed"), 1);
  ASSERT_NE(FindResult(report, "t.py::a"), nullptr);
  EXPECT_EQ(FindResult(report, "t.py::a")->test.outcome, "passed");
  EXPECT_EQ(report.never_ran, std::vector<std::string>{"t.py::b"});
  EXPECT_EQ(report.entries[1].Status(), EntryStatus::kPassed);
  EXPECT_FALSE(report.Ok());
}

TEST(BuildReport, KilledAfterLastTestStillFails) {
  PlanFile plan = MakePlan({MakeEntry("suite/shard-00", {"t.py::a"})});
  Report report = BuildReport(plan, {MakeJournal(0, "suite/shard-00", {Passed("t.py::a")}, false)});
  EXPECT_TRUE(report.never_ran.empty());
  EXPECT_FALSE(report.Ok());
}

TEST(BuildReport, StaleJournalsAreIgnored) {
  PlanFile plan = MakePlan(
      {MakeEntry("suite/shard-00", {"t.py::a"}), MakeEntry("suite/shard-01", {"t.py::b"})});
  Report report = BuildReport(
      plan,
      {MakeJournal(0, "suite/shard-00", {Passed("t.py::a")}),
       MakeJournal(1, "suite/shard-01", {Passed("t.py::b"), Passed("t.py::a")}, true, "1000-1")});
  EXPECT_EQ(report.never_ran, std::vector<std::string>{"t.py::b"});
  EXPECT_TRUE(report.ran_twice.empty());
  EXPECT_FALSE(report.entries[1].ran);
  EXPECT_EQ(report.entries[1].Status(), EntryStatus::kNotRun);
  EXPECT_EQ(Count(report, "passed"), 1);
}

TEST(BuildReport, FailingOutcomesAndExitCodeFail) {
  PlanFile plan = MakePlan({MakeEntry("suite/shard-00", {"t.py::a", "t.py::b"})});
  Report crashed =
      BuildReport(plan, {MakeJournal(0, "suite/shard-00",
                                     {Passed("t.py::a"), {"t.py::b", "crashed", 0, "signal 11"}})});
  EXPECT_TRUE(crashed.never_ran.empty());
  EXPECT_EQ(Count(crashed, "crashed"), 1);
  EXPECT_EQ(crashed.entries[0].Status(), EntryStatus::kFailed);
  EXPECT_FALSE(crashed.Ok());

  ShardJournal journal = MakeJournal(0, "suite/shard-00", {Passed("t.py::a"), Passed("t.py::b")});
  journal.exit_code = 3;
  journal.restarts = 1;
  Report bad_exit = BuildReport(plan, {journal});
  EXPECT_EQ(bad_exit.entries[0].Status(), EntryStatus::kFailed);
  EXPECT_FALSE(bad_exit.Ok());
  // The exit status is shown when no failing result explains it.
  EXPECT_TRUE(Contains(FormatSummary(bad_exit), "  failed (exit 3) (1 restart)\n"))
      << FormatSummary(bad_exit);
  EXPECT_TRUE(Contains(FormatSummary(crashed), "  failed\n")) << FormatSummary(crashed);
}

TEST(BuildReport, SkipsAndXfailsPass) {
  PlanFile plan = MakePlan({MakeEntry("suite/shard-00", {"t.py::a", "t.py::b", "t.py::c"})});
  Report report = BuildReport(plan, {MakeJournal(0, "suite/shard-00",
                                                 {{"t.py::a", "skipped", 0, "no db"},
                                                  {"t.py::b", "xfailed", 0.1, "bug"},
                                                  {"t.py::c", "xpassed", 0.1, ""}})});
  EXPECT_TRUE(report.Ok());
}

TEST(BuildReport, CollectionErrorEntryFailsWithoutCountingAsNeverRan) {
  Entry errors = MakeEntry("suite/collection-errors", {"tests/test_broken.py"});
  errors.collection_errors = true;
  PlanFile plan = MakePlan({MakeEntry("suite/shard-00", {"t.py::a"}), errors});
  ShardJournal errors_journal = MakeJournal(1, "suite/collection-errors", {});
  errors_journal.exit_code = 2;
  Report report =
      BuildReport(plan, {MakeJournal(0, "suite/shard-00", {Passed("t.py::a")}), errors_journal});
  EXPECT_TRUE(report.never_ran.empty());
  EXPECT_EQ(Count(report, "error"), 1);
  ASSERT_NE(FindResult(report, "tests/test_broken.py"), nullptr);
  EXPECT_EQ(report.entries[1].Status(), EntryStatus::kFailed);
  EXPECT_FALSE(report.Ok());
  std::string summary = FormatSummary(report);
  EXPECT_TRUE(Contains(summary, "modules that failed to collect (1):\n  tests/test_broken.py"))
      << summary;
  // Listed once, as a collection error, not among the failed tests.
  EXPECT_FALSE(Contains(summary, "failed (")) << summary;

  CollectionError error{
      "tests/test_broken.py", "/src/tests/test_broken.py",
      "ImportError while importing\nE   ModuleNotFoundError: No module named 'x'"};
  Report explained = BuildReport(
      plan, {MakeJournal(0, "suite/shard-00", {Passed("t.py::a")}), errors_journal}, {error});
  EXPECT_EQ(FindResult(explained, "tests/test_broken.py")->test.message, error.message);
  EXPECT_TRUE(Contains(FormatSummary(explained),
                       "tests/test_broken.py  ModuleNotFoundError: No module named 'x'\n"));
}

// ---- Durations ----------------------------------------------------------------

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
  Report report = BuildReport(
      plan,
      {MakeJournal(0, "suite/shard-00", {Passed("t.py::a", 0.3), {"t.py::b", "timeout", 30, ""}}),
       second, third});

  Durations store;
  store.tests["t.py::b"] = 2;  // kept: a timeout measures nothing
  store.tests["t.py::a"] = 9;  // replaced by the latest run
  store.tests["gone.py::x"] = 1;
  store.startup = 7;
  Durations once = FoldDurations(store, report);
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

  Durations twice = FoldDurations(once, report);
  EXPECT_EQ(twice.tests, once.tests);
  EXPECT_EQ(twice.entries, once.entries);
  EXPECT_DOUBLE_EQ(twice.startup, once.startup);
}

TEST(FoldDurations, KilledEntryGivesTestsButNoWallOrStartup) {
  PlanFile plan = MakePlan({MakeEntry("suite/shard-00", {"t.py::a"})});
  ShardJournal killed = MakeJournal(0, "suite/shard-00", {Passed("t.py::a", 0.4)}, false);
  Durations store;
  store.startup = 0.8;
  Durations folded = FoldDurations(store, BuildReport(plan, {killed}));
  EXPECT_DOUBLE_EQ(folded.tests.at("t.py::a"), 0.4);
  EXPECT_TRUE(folded.entries.empty());
  EXPECT_DOUBLE_EQ(folded.startup, 0.8);
}

TEST(FoldDurations, FailedSetFollowsTheLatestOutcomeOfEntriesThatRan) {
  PlanFile plan = MakePlan({MakeEntry("suite/shard-00", {"t.py::a", "t.py::b", "t.py::c"}),
                            MakeEntry("suite/shard-01", {"t.py::d", "t.py::e", "t.py::f"}),
                            MakeEntry("suite/shard-02", {"t.py::g"})});
  // shard-00 ran (b failed, c has no result), shard-01 ran (e crashed,
  // f errored), shard-02 did not run in this ctest run (ctest -L/-R).
  Report report = BuildReport(
      plan, {MakeJournal(0, "suite/shard-00", {Passed("t.py::a"), {"t.py::b", "failed", 1, "E"}}),
             MakeJournal(1, "suite/shard-01",
                         {{"t.py::d", "skipped", 0, ""},
                          {"t.py::e", "crashed", 0, "signal 9"},
                          {"t.py::f", "error", 0, "E"}})});
  Durations store;
  store.failed = {"t.py::a", "t.py::d", "t.py::g", "gone.py::x"};
  Durations once = FoldDurations(store, report);
  // a passed and d skipped: no longer failed; g and gone.py::x did not run:
  // kept; b, c (no result in an entry that ran), e and f: failed.
  EXPECT_EQ(once.failed, (std::set<std::string>{"gone.py::x", "t.py::b", "t.py::c", "t.py::e",
                                                "t.py::f", "t.py::g"}));
  EXPECT_EQ(FoldDurations(once, report).failed, once.failed);

  // The next run passes everything it runs: the set empties of those.
  PlanFile again = MakePlan({MakeEntry("suite/last-failed-00", {"t.py::b", "t.py::c"})}, "3000-1");
  Durations later = FoldDurations(
      once,
      BuildReport(again, {MakeJournal(0, "suite/last-failed-00",
                                      {Passed("t.py::b"), Passed("t.py::c")}, true, "3000-1")}));
  EXPECT_EQ(later.failed, (std::set<std::string>{"gone.py::x", "t.py::e", "t.py::f", "t.py::g"}));
}

TEST(FoldDurations, ARunInProgressLeavesTheFailedSetAsItIs) {
  // Another ctest plans while shard-00 runs: it has one result so far and
  // no closing record; shard-01 has not started.
  PlanFile plan = MakePlan({MakeEntry("suite/shard-00", {"t.py::a", "t.py::b", "t.py::c"}),
                            MakeEntry("suite/shard-01", {"t.py::d"})});
  Report report = BuildReport(
      plan, {MakeJournal(0, "suite/shard-00", {{"t.py::a", "failed", 0.3, "E"}}, false)});
  Durations store;
  store.failed = {"t.py::c", "t.py::d"};
  Durations folded = FoldDurations(store, report);
  EXPECT_EQ(folded.failed, store.failed);
  EXPECT_DOUBLE_EQ(folded.tests.at("t.py::a"), 0.3);  // a measurement all the same
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

TEST(EntryStatusTest, NamesAndParsesEachStatus) {
  for (EntryStatus status :
       {EntryStatus::kPassed, EntryStatus::kFailed, EntryStatus::kKilled, EntryStatus::kNotRun})
    EXPECT_EQ(ParseEntryStatus(EntryStatusName(status)), status);
  EXPECT_STREQ(EntryStatusName(EntryStatus::kNotRun), "not run");
  EXPECT_FALSE(ParseEntryStatus("crashed"));
}

}  // namespace
}  // namespace pytest_shards
