#include "report/report_command.h"

#include <gtest/gtest.h>

#include <pugixml.hpp>
#include <sstream>

#include "data/runs.h"
#include "plan/learn.h"
#include "report_fixtures.h"
#include "util/error.h"
#include "util/file_util.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

TEST_F(SuiteDir, ReportMainWritesSummaryJunitAndDurations) {
  WritePlan(MakePlan({MakeEntry("suite/shard-00", {"t.py::a", "t.py::b"}),
                      MakeEntry("suite/shard-01", {"t.py::c"})}));
  WriteJournal(0, "2000-1", {Passed("t.py::a", 0.25), Passed("t.py::b", 0.5)}, true);
  WriteJournal(1, "2000-1", {Passed("t.py::c", 0.75)}, false, /*torn_tail=*/true);
  std::ostringstream out;
  int status = ReportMain(dir_, (dir_ / "out" / "junit.xml").string(), out);
  EXPECT_EQ(status, 1);  // shard-01 was killed
  EXPECT_TRUE(Contains(out.str(), "3 passed, 0 failed")) << out.str();
  EXPECT_TRUE(Contains(out.str(), "killed")) << out.str();

  pugi::xml_document junit;
  ASSERT_TRUE(junit.load_file((dir_ / "out" / "junit.xml").c_str()));
  EXPECT_EQ(junit.child("testsuites").attribute("tests").as_int(), 3);

  Durations durations = ReadDurations(dir_ / "durations.json");
  EXPECT_DOUBLE_EQ(durations.tests.at("t.py::c"), 0.75);
  EXPECT_DOUBLE_EQ(durations.entries.at("suite/shard-00"), 3.0);
  EXPECT_DOUBLE_EQ(durations.startup, 0.6);
}

TEST_F(SuiteDir, ReportMainCleanRunReturnsZero) {
  WritePlan(MakePlan({MakeEntry("suite/shard-00", {"t.py::a"})}));
  WriteJournal(0, "2000-1", {Passed("t.py::a")}, true);
  std::ostringstream out;
  EXPECT_EQ(ReportMain(dir_, "", out), 0) << out.str();
  EXPECT_FALSE(fs::exists(dir_ / "junit.xml"));
}

TEST_F(SuiteDir, ReportMainIgnoresJournalsOfAnEarlierRun) {
  WritePlan(MakePlan({MakeEntry("suite/shard-00", {"t.py::a"})}));
  WriteJournal(0, "1000-1", {Passed("t.py::a")}, true);
  std::ostringstream out;
  EXPECT_EQ(ReportMain(dir_, "", out), 1);
  EXPECT_TRUE(Contains(out.str(), "never ran (1):\n  t.py::a")) << out.str();
}

TEST_F(SuiteDir, ReportMainShowsTheLastRunAfterACtestThatOnlyPlanned) {
  PlanFile ran = MakePlan({MakeEntry("suite/shard-00", {"t.py::a"})});
  WritePlan(ran);
  WriteJournal(0, ran.run_id, {Passed("t.py::a")}, true);
  // `ctest -N` (or an IDE listing tests) plans again: folds, then a new plan.
  FoldJournalsIntoDurations(dir_);
  PlanFile listed = ran;
  listed.run_id = "3000-1";
  WritePlan(listed);
  std::ostringstream out;
  EXPECT_EQ(ReportMain(dir_, "", out), 0) << out.str();
  EXPECT_TRUE(Contains(out.str(), "(run " + ran.run_id + ")")) << out.str();
  EXPECT_TRUE(Contains(out.str(), "1 passed, 0 failed")) << out.str();
}

TEST_F(SuiteDir, ReportRunReportsTheRunAskedFor) {
  PlanFile first = MakePlan({MakeEntry("suite/shard-00", {"t.py::a"})}, "1000-1");
  WritePlan(first);
  WriteJournal(0, first.run_id, {Passed("t.py::a")}, true);
  PlanFile second = MakePlan({MakeEntry("suite/shard-00", {"t.py::a"})}, "2000-1");
  WritePlan(second);
  WriteJournal(0, second.run_id, {{"t.py::a", "failed", 0.1, "E   boom"}}, true);
  std::ostringstream out;
  EXPECT_EQ(ReportRun(dir_, "1000-1", "", out), 0) << out.str();
  EXPECT_TRUE(Contains(out.str(), "(run 1000-1)")) << out.str();
  std::ostringstream last;
  EXPECT_EQ(ReportRun(dir_, "2000-1", "", last), 1) << last.str();
  EXPECT_TRUE(Contains(last.str(), "t.py::a  [suite/shard-00]  boom")) << last.str();
  EXPECT_THROW(ReportRun(dir_, "3000-1", "", out), Error);
}

TEST_F(SuiteDir, ReportMainWithoutPlanThrows) {
  std::ostringstream out;
  EXPECT_THROW(ReportMain(dir_, "", out), Error);
}

TEST_F(SuiteDir, ReportMainRecordsTheRunItFolded) {
  WritePlan(MakePlan({MakeEntry("suite/shard-00", {"t.py::a"})}));
  WriteJournal(0, "2000-1", {Passed("t.py::a", 0.25)}, true);
  std::ostringstream out;
  ReportMain(dir_, "", out);
  std::string once = ReadFile(dir_ / "durations.json");
  EXPECT_NE(ReadDurations(dir_ / "durations.json").folded, "");
  FoldJournalsIntoDurations(dir_);
  EXPECT_EQ(ReadFile(dir_ / "durations.json"), once);
}

}  // namespace
}  // namespace pytest_shards
