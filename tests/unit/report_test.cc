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

TEST(BuildReport, ARerunOfTheFailedSelectsTheLogsEntries) {
  // ctest --rerun-failed -L nothing: CTest ignores -L and reruns what its
  // LastTestsFailed.log names.
  PlanFile plan = SubsetPlan({"ctest", "--rerun-failed", "-L", "nothing"});
  plan.ctest_last_failed = {"suite/last-failed-00", "elsewhere/x"};
  Report report = BuildReport(plan, {MakeJournal(1, "suite/last-failed-00", {Passed("t.py::b")})});
  EXPECT_TRUE(report.Ok());
  EXPECT_EQ(report.entries[0].Status(), EntryStatus::kNotSelected);
  EXPECT_TRUE(Contains(FormatSummary(report), "selection: ctest --rerun-failed (1 of 2 entries)\n"))
      << FormatSummary(report);
}

TEST(BuildReport, AnUnknownSelectionLeavesEveryEntrySelected) {
  // --rerun-failed without its log, -I, an option given twice, a pattern read otherwise:
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

// Two shards sharing a tail of two groups; `selected_second` false: ctest
// ran only the first.
PlanFile TailPlan() {
  Entry first = MakeEntry("suite/shard-00", {"t.py::a"});
  Entry second = MakeEntry("suite/shard-01", {"t.py::b"});
  first.shares_tail = second.shares_tail = true;
  PlanFile plan = MakePlan({first, second});
  plan.plan.shared_tail = {{"u.py::x"}, {"u.py::y", "u.py::z"}};
  return plan;
}

TEST(BuildReport, ATailTestCountsOnceWhereItRan) {
  PlanFile plan = TailPlan();
  Report report = BuildReport(
      plan,
      {MakeJournal(0, "suite/shard-00", {Passed("t.py::a"), Passed("u.py::y"), Passed("u.py::z")}),
       MakeJournal(1, "suite/shard-01", {Passed("t.py::b"), Passed("u.py::x")})});
  EXPECT_TRUE(report.Ok());
  EXPECT_EQ(Count(report, "passed"), 5);
  EXPECT_EQ(FindResult(report, "u.py::x")->entry, "suite/shard-01");
  EXPECT_EQ(FindResult(report, "u.py::z")->entry, "suite/shard-00");
  EXPECT_EQ(report.entries[0].tests, 1u);  // its own; the tail's are counted where they ran
  EXPECT_EQ(report.entries[0].counts.at("passed"), 3);
}

TEST(BuildReport, ATailTestNoShardRanIsMissingOnceAndTwiceRanTwice) {
  PlanFile plan = TailPlan();
  Report report =
      BuildReport(plan, {MakeJournal(0, "suite/shard-00", {Passed("t.py::a"), Passed("u.py::x")}),
                         MakeJournal(1, "suite/shard-01", {Passed("t.py::b"), Passed("u.py::x")})});
  EXPECT_FALSE(report.Ok());
  EXPECT_EQ(report.ran_twice, std::vector<std::string>{"u.py::x"});
  EXPECT_EQ(report.never_ran, (std::vector<std::string>{"u.py::y", "u.py::z"}));
  EXPECT_EQ(Count(report, "missing"), 2);
  const ReportResult* y = FindResult(report, "u.py::y");
  ASSERT_NE(y, nullptr);
  EXPECT_EQ(y->entry, "suite/shard-00");
  EXPECT_TRUE(Contains(y->test.message, "shared tail")) << y->test.message;
}

TEST(BuildReport, ATailIsNotMissingWhenCtestSelectedNoEntryOfIt) {
  PlanFile plan = TailPlan();
  plan.plan.entries.push_back(MakeEntry("suite/serial-02", {"t.py::s"}));
  plan.ctest_argv = {"ctest", "-R", "serial"};
  Report report = BuildReport(plan, {MakeJournal(2, "suite/serial-02", {Passed("t.py::s")})});
  EXPECT_TRUE(report.Ok());
  EXPECT_TRUE(report.never_ran.empty());
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

TEST(EntryStatusTest, NamesAndParsesEachStatus) {
  for (EntryStatus status :
       {EntryStatus::kPassed, EntryStatus::kFailed, EntryStatus::kKilled, EntryStatus::kNotRun})
    EXPECT_EQ(ParseEntryStatus(EntryStatusName(status)), status);
  EXPECT_STREQ(EntryStatusName(EntryStatus::kNotRun), "not run");
  EXPECT_FALSE(ParseEntryStatus("crashed"));
}

}  // namespace
}  // namespace pytest_shards
