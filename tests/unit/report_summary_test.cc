#include "report/report_summary.h"

#include <gtest/gtest.h>

#include "report_fixtures.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

TEST(FormatSummary, TableTotalsAndFailures) {
  PlanFile plan =
      MakePlan({MakeEntry("suite/shard-00", {"t.py::a", "t.py::b", "t.py::c"}),
                MakeEntry("suite/shard-01", {"t.py::d", "t.py::e", "t.py::f", "t.py::g"})});
  Report report = BuildReport(
      plan, {MakeJournal(0, "suite/shard-00",
                         {Passed("t.py::a"),
                          {"t.py::b", "failed", 0.2,
                           "\n>   def test_b(): assert 1 == 2\nE   assert 1 == 2\nmore"},
                          {"t.py::c", "skipped", 0, ""}}),
             MakeJournal(1, "suite/shard-01",
                         {Passed("t.py::d"),
                          {"t.py::e", "timeout", 30, "timed out after 30s"},
                          Passed("t.py::d")},
                         false)});
  std::string summary = FormatSummary(report);
  EXPECT_TRUE(Contains(summary, "2000-1")) << summary;
  EXPECT_TRUE(Contains(summary, "start-up s")) << summary;
  EXPECT_TRUE(Contains(summary, "peak RSS MiB")) << summary;
  EXPECT_TRUE(Contains(summary, "suite/shard-00      3    2.50        0.50          40.0  failed"))
      << summary;
  EXPECT_TRUE(Contains(summary, "suite/shard-01      4       -           -             -  killed"))
      << summary;
  EXPECT_TRUE(Contains(summary, "\n3 passed, 1 failed, 1 timeout, 2 missing, 1 skipped\n"))
      << summary;
  EXPECT_TRUE(Contains(summary, "failed (1):\n  t.py::b  [suite/shard-00]  assert 1 == 2\n"))
      << summary;
  EXPECT_TRUE(Contains(summary, "timed out (1):\n  t.py::e")) << summary;
  EXPECT_TRUE(Contains(summary, "never ran (2):\n  t.py::f\n  t.py::g\n")) << summary;
  EXPECT_TRUE(Contains(summary, "ran more than once (1):\n  t.py::d\n")) << summary;
  EXPECT_TRUE(Contains(summary, "did not finish (1):\n  suite/shard-01")) << summary;
  // Never-ran tests are listed once, under accounting, not as "missing" too.
  EXPECT_FALSE(Contains(summary, "missing (")) << summary;
  EXPECT_TRUE(Contains(summary, "\nFAILED\n")) << summary;
}

TEST(FormatSummary, CleanRunSaysZeroFailed) {
  PlanFile plan = MakePlan({MakeEntry("suite/shard-00", {"t.py::a", "t.py::b"})});
  Report report = BuildReport(
      plan, {MakeJournal(0, "suite/shard-00", {Passed("t.py::a"), {"t.py::b", "xfailed", 0, ""}})});
  std::string summary = FormatSummary(report);
  EXPECT_TRUE(Contains(summary, "\n1 passed, 0 failed, 1 xfailed\n")) << summary;
  EXPECT_TRUE(Contains(summary, "\nOK\n")) << summary;
  EXPECT_FALSE(Contains(summary, "never ran")) << summary;
}

// Ctrl-C while shard-00 ran its second test and before shard-01 started:
// the tests it kept from running are neither failures nor "missing".
TEST(FormatSummary, AnInterruptedRunSaysSoAndCountsWhatDidNotRun) {
  PlanFile plan = MakePlan({MakeEntry("suite/shard-00", {"t.py::a", "t.py::b", "t.py::c"}),
                            MakeEntry("suite/shard-01", {"t.py::d", "t.py::e"})});
  TestResult b{"t.py::b", "missing", 1, "interrupted by signal 2 while running t.py::b"};
  TestResult c{"t.py::c", "missing", 0, "never ran: t.py::c"};
  b.interrupted = c.interrupted = 2;
  ShardJournal journal = MakeJournal(0, "suite/shard-00", {Passed("t.py::a"), b, c});
  journal.interrupted = 2;
  journal.exit_code = 1;
  Report report = BuildReport(plan, {journal});
  EXPECT_EQ(report.interrupted, 2);
  EXPECT_EQ(report.not_run, 4u);
  EXPECT_TRUE(report.never_ran.empty());
  EXPECT_FALSE(report.Ok());
  ASSERT_NE(FindResult(report, "t.py::e"), nullptr);
  EXPECT_EQ(FindResult(report, "t.py::e")->test.interrupted, 2);
  std::string summary = FormatSummary(report);
  EXPECT_TRUE(Contains(summary,
                       "\n1 passed, 0 failed\n"
                       "interrupted by signal 2: 4 of 5 tests did not run\n"))
      << summary;
  EXPECT_TRUE(Contains(summary, "failed (interrupted)\n")) << summary;
  EXPECT_FALSE(Contains(summary, "missing")) << summary;
  EXPECT_FALSE(Contains(summary, "never ran")) << summary;
  EXPECT_FALSE(Contains(summary, "entries that did not run")) << summary;
  EXPECT_TRUE(Contains(summary, "\nINTERRUPTED\n")) << summary;
}

TEST(FormatSummary, ListsTheEntriesThatStartedColdAndWhy) {
  PlanFile plan =
      MakePlan({MakeEntry("suite/t.py::a", {"t.py::a"}), MakeEntry("suite/t.py::b", {"t.py::b"}),
                MakeEntry("suite/t.py::c", {"t.py::c"})});
  std::vector<ShardJournal> journals = {MakeJournal(0, "suite/t.py::a", {Passed("t.py::a")}),
                                        MakeJournal(1, "suite/t.py::b", {Passed("t.py::b")}),
                                        MakeJournal(2, "suite/t.py::c", {Passed("t.py::c")})};
  journals[0].cold = journals[2].cold = "warm interpreter unavailable: it broke";
  std::string summary = FormatSummary(BuildReport(plan, journals));
  EXPECT_TRUE(Contains(summary,
                       "entries that started pytest cold: warm interpreter unavailable: it broke "
                       "(2):\n  suite/t.py::a\n  suite/t.py::c\n"))
      << summary;
  EXPECT_TRUE(Contains(summary, "\nOK\n")) << summary;
}

}  // namespace
}  // namespace pytest_shards
