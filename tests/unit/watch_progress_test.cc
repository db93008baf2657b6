// Tests of watch's progress model: the progress line, the ETA, and
// following journals as they grow.
#include "watch/watch_progress.h"

#include <gtest/gtest.h>

#include "util/error.h"
#include "watch/watch_display.h"
#include "watch_fixtures.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// ---- Formatting ---------------------------------------------------------------

TEST(FormatClock, MinutesAndSecondsThenHours) {
  EXPECT_EQ(FormatClock(0), "0:00");
  EXPECT_EQ(FormatClock(5.4), "0:05");
  EXPECT_EQ(FormatClock(59.6), "1:00");
  EXPECT_EQ(FormatClock(65), "1:05");
  EXPECT_EQ(FormatClock(3725), "1:02:05");
  EXPECT_EQ(FormatClock(-3), "0:00");
}

// Progress of `done` of `total` tests, passed but one failed and one
// skipped; 2 entries running.
Progress MakeProgress(std::size_t done, std::size_t total, double elapsed, double eta) {
  Progress progress;
  progress.done = done;
  progress.total = total;
  progress.passed = done - 2;
  progress.failed = 1;
  progress.skipped = 1;
  progress.running = 2;
  progress.elapsed = elapsed;
  progress.eta = eta;
  return progress;
}

TEST(FormatProgress, CountsElapsedAndEta) {
  Progress progress = MakeProgress(12, 351, 5, 31);
  EXPECT_EQ(FormatProgress(progress),
            "3% 12/351 tests: 10 passed, 1 failed, 1 skipped; 2 running, 0:05 elapsed, ETA 0:31");
  progress.eta = -1;
  EXPECT_EQ(FormatProgress(progress),
            "3% 12/351 tests: 10 passed, 1 failed, 1 skipped; 2 running, 0:05 elapsed, ETA ?");
}

TEST(FormatProgress, PercentOfTheTestsDone) {
  Progress progress;
  EXPECT_EQ(FormatProgress(progress).substr(0, 7), "0% 0/0 ");
  progress.total = 3;
  progress.done = 2;
  EXPECT_EQ(FormatProgress(progress).substr(0, 7), "66% 2/3");
  progress.done = 3;
  EXPECT_EQ(FormatProgress(progress).substr(0, 8), "100% 3/3");
}

// A big suite late in its run: every number at its widest.
Progress BigProgress() {
  Progress progress = MakeProgress(12000, 35100, 3725, 7300);
  progress.passed = 11800;
  progress.failed = progress.skipped = 100;
  progress.running = 16;
  return progress;
}

TEST(FormatProgress, FitsSixtyColumnsWithTheEta) {
  for (int width : {60, 80, 45}) {
    std::string line = FormatProgress(BigProgress(), width);
    EXPECT_LT(line.size(), static_cast<std::size_t>(width)) << line;
    EXPECT_EQ(line.substr(0, 15), "34% 12000/35100") << line;
    EXPECT_NE(line.find("100 failed"), std::string::npos) << line;
    EXPECT_EQ(line.substr(line.size() - 11), "ETA 2:01:40") << line;
  }
  EXPECT_EQ(FormatProgress(BigProgress(), 60),
            "34% 12000/35100: 11800 passed, 100 failed, ETA 2:01:40");
  EXPECT_EQ(FormatProgress(BigProgress(), 45), "34% 12000/35100, 100 failed, ETA 2:01:40");
  // Narrower still: the least there is (a terminal's line is cut at its edge).
  EXPECT_EQ(FormatProgress(BigProgress(), 20), "34% 12000/35100, 100 failed, ETA 2:01:40");
  // Wide enough: all of it; no width: all of it.
  EXPECT_EQ(FormatProgress(BigProgress(), 200), FormatProgress(BigProgress()));
  // A small suite keeps more at 60 columns.
  Progress small = MakeProgress(12, 351, 5, 31);
  EXPECT_EQ(FormatProgress(small, 70),
            "3% 12/351: 10 passed, 1 failed, 1 skipped; 2 running, 0:05, ETA 0:31");
  EXPECT_EQ(FormatProgress(small, 60), "3% 12/351: 10 passed, 1 failed, 1 skipped, ETA 0:31");
}

TEST(FormatInterrupted, WhatRanAndWhatDidNotOnOneLine) {
  Progress progress;
  progress.total = 175;
  progress.done = 117;
  progress.passed = 103;
  progress.failed = 14;
  progress.not_run = 40;  // journalled; the other 18 are of entries that never started
  progress.elapsed = 7;
  EXPECT_EQ(FormatInterrupted(progress, 2),
            "interrupted by signal 2 after 0:07: 117 of 175 tests ran (103 passed, 14 failed, 0 "
            "skipped), 58 did not run");
}

// ---- ETA ----------------------------------------------------------------------

TEST(EtaSeconds, WorkSharedByTheRunningEntries) {
  EXPECT_DOUBLE_EQ(EtaSeconds({10, 10, 10, 10}, 2), 20);
  EXPECT_DOUBLE_EQ(EtaSeconds({10, 10, 10, 10}, 4), 10);
  EXPECT_DOUBLE_EQ(EtaSeconds({10, 10}, 0), 20);  // nothing running: one at a time
  EXPECT_DOUBLE_EQ(EtaSeconds({}, 2), 0);
}

TEST(EtaSeconds, NeverLessThanTheLargestEntry) {
  // 32 s of work on 4 slots would be 8 s, but one entry alone holds 30 s.
  EXPECT_DOUBLE_EQ(EtaSeconds({30, 1, 1}, 4), 30);
}

TEST(Eta, LearnedDurationsOrTheRateSoFar) {
  Progress progress;
  progress.total = 10;
  progress.done = 2;
  progress.elapsed = 4;
  EXPECT_DOUBLE_EQ(Eta(progress, /*learned=*/true, {6, 2}, 2), 6);
  // Nothing learned: 2 tests took 4 s, so 8 more take 16 s.
  EXPECT_DOUBLE_EQ(Eta(progress, /*learned=*/false, {6, 2}, 2), 16);
  progress.done = 0;
  EXPECT_LT(Eta(progress, false, {}, 1), 0);  // unknown before the first result
  progress.done = 10;
  EXPECT_DOUBLE_EQ(Eta(progress, false, {}, 1), 0);
  progress.total = 0;
  progress.done = 0;
  EXPECT_LT(Eta(progress, true, {}, 1), 0);  // no run found yet
}

// ---- Following journals -------------------------------------------------------

TEST_F(WatchDir, CountsResultsAndEstimatesTheWorkLeft) {
  WritePlan(dir_, "2000-1");
  WriteDurations(dir_);
  Append(Journal("2000-1", 0),
         {Run(0, "2000-1"), Start("t.py::a", 95), Result("t.py::a", "passed"), Start("t.py::b", 96),
          Result("t.py::b", "failed", "E   assert 1 == 2"), Start("t.py::c", 100)});
  RunFollower follower(dir_, "2000-1", {"suite/shard-00", "suite/shard-01"});
  EXPECT_TRUE(follower.learned());
  std::vector<TestResult> fresh = follower.Poll(101);
  ASSERT_EQ(fresh.size(), 2u);
  EXPECT_EQ(fresh[1].node_id, "t.py::b");
  EXPECT_EQ(FailureLine(fresh[1]), "FAILED t.py::b - assert 1 == 2");

  Progress progress;
  std::vector<double> left;
  follower.Count(&progress, &left, 101);
  EXPECT_EQ(progress.total, 5u);
  EXPECT_EQ(progress.done, 2u);
  EXPECT_EQ(progress.passed, 1u);
  EXPECT_EQ(progress.failed, 1u);
  EXPECT_EQ(progress.running, 1);
  // shard-00: t.py::c (4 s) has run for 1 s; shard-01 has not started:
  // start-up 0.5 s + 3 s + 5 s.
  ASSERT_EQ(left.size(), 2u);
  EXPECT_DOUBLE_EQ(left[0], 3);
  EXPECT_DOUBLE_EQ(left[1], 8.5);
  EXPECT_DOUBLE_EQ(EtaSeconds(left, progress.running), 11.5);

  // Nothing new: nothing returned twice.
  EXPECT_TRUE(follower.Poll(102).empty());
  Append(Journal("2000-1", 0), {Result("t.py::c", "skipped"), Shard(0)});
  fresh = follower.Poll(103);
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(fresh[0].outcome, "skipped");
  progress = {};
  left.clear();
  follower.Count(&progress, &left, 103);
  EXPECT_EQ(progress.done, 3u);
  EXPECT_EQ(progress.skipped, 1u);
  EXPECT_EQ(progress.running, 0);
  EXPECT_EQ(left, std::vector<double>{8.5});  // the finished entry has no work left
}

TEST_F(WatchDir, FindsJournalsThatAppearLater) {
  WritePlan(dir_, "2000-1");
  RunFollower follower(dir_, "2000-1", {"suite/shard-00", "suite/shard-01"});
  EXPECT_FALSE(follower.learned());
  EXPECT_TRUE(follower.Poll(100).empty());
  EXPECT_FALSE(follower.ran());
  Append(Journal("2000-1", 1), {Run(1, "2000-1"), Start("u.py::d", 100)});
  EXPECT_TRUE(follower.Poll(102).empty());
  EXPECT_TRUE(follower.ran());
  Append(Journal("2000-1", 1), {Result("u.py::d", "timeout", "timeout: u.py::d ran too long")});
  Append(Journal("2000-1", 0), {Run(0, "2000-1"), Start("t.py::a", 101),
                                Result("t.py::a", "error", "E   fixture 'db' not found")});
  std::vector<TestResult> fresh = follower.Poll(104);
  ASSERT_EQ(fresh.size(), 2u);
  Progress progress;
  std::vector<double> left;
  follower.Count(&progress, &left, 104);
  EXPECT_EQ(progress.failed, 2u);
  EXPECT_EQ(progress.running, 2);
}

TEST_F(WatchDir, CountsOnlyTheEntriesCtestRuns) {
  WritePlan(dir_, "2000-1");
  // ctest -R shard-01: shard-00's tests are not part of this run's total.
  RunFollower follower(dir_, "2000-1", {"suite/shard-01"});
  follower.Poll(100);
  Progress progress;
  std::vector<double> left;
  follower.Count(&progress, &left, 100);
  EXPECT_EQ(progress.total, 2u);
  EXPECT_EQ(follower.entries(), 1u);
  // An entry that runs after all (the listing was wrong) counts from then on.
  Append(Journal("2000-1", 0), {Run(0, "2000-1")});
  follower.Poll(102);
  progress = {};
  follower.Count(&progress, &left, 102);
  EXPECT_EQ(progress.total, 5u);
  follower.FollowAll();
  EXPECT_EQ(follower.entries(), 2u);
}

TEST_F(WatchDir, CorruptJournalStopsOnlyThatEntry) {
  WritePlan(dir_, "2000-1");
  Append(Journal("2000-1", 0), {Run(0, "2000-1")});
  { std::ofstream(Journal("2000-1", 0), std::ios::app) << "not json\n"; }
  Append(Journal("2000-1", 1), {Run(1, "2000-1"), Result("u.py::d", "passed")});
  RunFollower follower(dir_, "2000-1", {"suite/shard-00", "suite/shard-01"});
  std::vector<TestResult> fresh = follower.Poll(100);
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(fresh[0].node_id, "u.py::d");
}

// Two shards and a shared tail of two groups (plan_file.h), which either
// shard may take: the tail's tests count once, and each group left is work
// for whichever shard takes it.
TEST_F(WatchDir, CountsTheSharedTailOnceAndItsGroupsAsWorkLeft) {
  PlanFile plan;
  plan.run_id = "2000-1";
  plan.settings.suite = "suite";
  plan.settings.suite_dir = dir_;
  Entry first, second;
  first.name = "suite/shard-00";
  first.node_ids = {"t.py::a"};
  second.name = "suite/shard-01";
  second.node_ids = {"u.py::d"};
  first.shares_tail = second.shares_tail = true;
  plan.plan.entries = {first, second};
  plan.plan.shared_tail = {{"v.py::x", "v.py::y"}, {"w.py::z"}};
  WriteFileAtomic(RunPlanFile(dir_, "2000-1"), PlanFileToJson(plan).dump());
  Durations durations;
  durations.tests = {
      {"t.py::a", 1}, {"u.py::d", 3}, {"v.py::x", 2}, {"v.py::y", 2}, {"w.py::z", 6}};
  durations.startup = 0.5;
  WriteFileAtomic(dir_ / "durations.json", DurationsToJson(durations).dump());

  RunFollower follower(dir_, "2000-1", {"suite/shard-00", "suite/shard-01"});
  Append(Journal("2000-1", 0),
         {Run(0, "2000-1"), Start("t.py::a", 95), Result("t.py::a", "passed"), Start("v.py::x", 96),
          Result("v.py::x", "passed"), Start("v.py::y", 100)});
  EXPECT_EQ(follower.Poll(100).size(), 2u);
  Progress progress;
  std::vector<double> left;
  follower.Count(&progress, &left, 100);
  EXPECT_EQ(progress.total, 5u);
  EXPECT_EQ(progress.done, 2u);
  // shard-00 has none of its own left; shard-01 has not started; the first
  // group has v.py::y left, the second all of w.py::z.
  EXPECT_EQ(left, (std::vector<double>{0, 3.5, 2, 6}));

  Append(Journal("2000-1", 0), {Result("v.py::y", "failed"), Start("w.py::z", 101),
                                Result("w.py::z", "passed"), Shard(0)});
  Append(Journal("2000-1", 1),
         {Run(1, "2000-1"), Start("u.py::d", 101), Result("u.py::d", "passed")});
  EXPECT_EQ(follower.Poll(110).size(), 3u);
  progress = {};
  left.clear();
  follower.Count(&progress, &left, 110);
  EXPECT_EQ(progress.done, 5u);
  EXPECT_EQ(progress.passed, 4u);
  EXPECT_EQ(progress.failed, 1u);
  EXPECT_EQ(left, std::vector<double>{0});  // shard-01 has yet to finish; no tail is left
}

TEST_F(WatchDir, MissingPlanThrows) { EXPECT_THROW(RunFollower(dir_, "2000-1", {}), Error); }

}  // namespace
}  // namespace pytest_shards
