#include "merge/merge.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "report/report_junit.h"
#include "util/error.h"

namespace pytest_shards {
namespace {

using nlohmann::json;

const std::vector<std::string> kCollected = {"tests/test_a.py::test_1", "tests/test_a.py::test_2",
                                             "tests/test_b.py::test_3"};

json Collected() {
  json collected = json::array();
  for (const std::string& id : kCollected)
    collected.push_back({{"id", id}, {"nodeid", id}, {"path", "/src/" + id.substr(0, 15)}});
  return collected;
}

json Result(const std::string& id, const std::string& outcome, double duration) {
  return {{"id", id},
          {"nodeid", id},
          {"path", "/src/" + id.substr(0, 15)},
          {"outcome", outcome},
          {"duration", duration},
          {"message", outcome == "failed" ? "E boom" : ""},
          {"entry", "app/shard-0"}};
}

// One job's export: slice k/n holding `tests`.
JobExport Job(int k, int n, const std::vector<json>& tests,
              const std::string& collection = "c0ffee") {
  json suite = {{"suite", "app"},
                {"run_id", "1000-" + std::to_string(k)},
                {"collection", collection},
                {"collected", Collected()},
                {"slice", {{"index", k}, {"count", n}, {"source", "PYTEST_SHARDS_SLICE"}}},
                {"tests", tests},
                {"entries", json::array({{{"name", "app/shard-0"},
                                          {"status", "passed"},
                                          {"tests", tests.size()},
                                          {"wall", 1.5},
                                          {"startup", 0.25 * k},
                                          {"peak_rss_kb", 100},
                                          {"exit", 0},
                                          {"restarts", 0}}})}};
  return {"job" + std::to_string(k) + ".json",
          {{"format", "pytest-shards-results/1"}, {"suites", json::array({suite})}}};
}

// Job k/n interrupted by SIGINT before it ran `not_run`, after `ran`.
JobExport Interrupted(int k, int n, std::vector<json> ran, const std::string& not_run) {
  json test = Result(not_run, "not run", 0);
  test["interrupted"] = 2;
  ran.push_back(test);
  JobExport job = Job(k, n, ran);
  job.document["suites"][0]["interrupted"] = 2;
  return job;
}

std::vector<JobExport> ThreeJobs() {
  return {Job(1, 3, {Result(kCollected[0], "passed", 0.1234)}),
          Job(2, 3, {Result(kCollected[1], "failed", 2)}),
          Job(3, 3, {Result(kCollected[2], "skipped", 0)})};
}

TEST(Merge, EveryTestOnceIsCleanAccounting) {
  std::vector<JobExport> jobs = ThreeJobs();
  jobs[1] = Job(2, 3, {Result(kCollected[1], "passed", 2)});
  Merged merged = MergeExports(jobs);
  ASSERT_EQ(merged.suites.size(), 1u);
  const MergedSuite& suite = merged.suites[0];
  EXPECT_EQ(suite.collected, 3u);
  EXPECT_TRUE(suite.never_ran.empty());
  EXPECT_TRUE(suite.ran_twice.empty());
  EXPECT_TRUE(merged.Ok());
  std::string text = FormatMerged(merged);
  EXPECT_NE(text.find("suite app: 3 collected tests, 3 jobs"), std::string::npos) << text;
  EXPECT_NE(text.find("slice 2/3 (job2.json): run 1000-2, 1 passed, 0 failed"), std::string::npos)
      << text;
  EXPECT_NE(text.find("total: 2 passed, 0 failed, 1 skipped"), std::string::npos) << text;
  EXPECT_EQ(text.substr(text.size() - 3), "OK\n");
}

TEST(Merge, AFailingTestFailsTheMerge) {
  Merged merged = MergeExports(ThreeJobs());
  EXPECT_TRUE(merged.suites[0].never_ran.empty());
  EXPECT_FALSE(merged.Ok());
  std::string text = FormatMerged(merged);
  EXPECT_NE(text.find("failing (1):\n    tests/test_a.py::test_2: failed boom"), std::string::npos)
      << text;
  EXPECT_EQ(text.substr(text.size() - 7), "FAILED\n");
}

TEST(Merge, EntriesKeepTheStatusTheirJobReported) {
  std::vector<JobExport> jobs = ThreeJobs();
  const char* statuses[] = {"failed", "killed", "not run"};
  for (size_t i = 0; i < jobs.size(); ++i)
    jobs[i].document["suites"][0]["entries"][0]["status"] = statuses[i];
  Merged merged = MergeExports(jobs);
  const std::vector<EntryRow>& rows = merged.suites[0].report.entries;
  ASSERT_EQ(rows.size(), 3u);
  for (size_t i = 0; i < rows.size(); ++i)
    EXPECT_STREQ(EntryStatusName(rows[i].Status()), statuses[i]) << rows[i].name;
  // A subset run's entry that its ctest did not select.
  jobs[1].document["suites"][0]["entries"][0]["status"] = "not selected";
  EXPECT_EQ(MergeExports(jobs).suites[0].report.entries[1].Status(), EntryStatus::kNotSelected);
  jobs[0].document["suites"][0]["entries"][0]["status"] = "exploded";
  try {
    MergeExports(jobs);
    ADD_FAILURE() << "no Error for an unknown status";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("job1.json: entry app/shard-0 has an unknown status "
                                         "'exploded'"),
              std::string::npos)
        << e.what();
  }
}

TEST(Merge, AMissingJobNamesItsTestsByNodeIdAndModulePath) {
  std::vector<JobExport> jobs = ThreeJobs();
  jobs.erase(jobs.begin() + 2);
  // A test the job planned but never ran is not a run either.
  jobs[0] = Job(1, 3, {Result(kCollected[0], "passed", 0.1), Result(kCollected[2], "missing", 0)});
  Merged merged = MergeExports(jobs);
  EXPECT_EQ(merged.suites[0].never_ran,
            std::vector<std::string>{"tests/test_b.py::test_3 (/src/tests/test_b.py)"});
  EXPECT_FALSE(merged.Ok());
  std::string text = FormatMerged(merged);
  EXPECT_NE(text.find("ran in no job (1):\n    tests/test_b.py::test_3 (/src/tests/test_b.py)"),
            std::string::npos)
      << text;
  // JUnit: each collected test once, the lost one as a failure.
  std::string xml = JunitXml(merged.suites[0].report, "app");
  EXPECT_NE(xml.find("tests=\"3\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("app/never-ran"), std::string::npos) << xml;
  EXPECT_NE(xml.find("ran in none of the jobs"), std::string::npos) << xml;
  // An export without "interrupted" (as older ones): lost, not interrupted.
  EXPECT_TRUE(merged.suites[0].not_run.empty());
  EXPECT_EQ(text.find("interrupted"), std::string::npos) << text;
  EXPECT_EQ(text.substr(text.size() - 7), "FAILED\n");
}

TEST(Merge, ATestAnInterruptedJobDidNotRunIsNotRunNotLost) {
  std::vector<JobExport> jobs = ThreeJobs();
  jobs[1] = Interrupted(2, 3, {}, kCollected[1]);
  jobs[2] = Job(3, 3, {Result(kCollected[2], "passed", 0)});
  Merged merged = MergeExports(jobs);
  const MergedSuite& suite = merged.suites[0];
  EXPECT_TRUE(suite.never_ran.empty());
  EXPECT_EQ(suite.not_run, std::vector<std::string>{
                               "tests/test_a.py::test_2 (/src/tests/test_a.py): job slice 2/3 "
                               "(job2.json) was interrupted by signal 2"});
  EXPECT_EQ(suite.interrupted, std::vector<std::string>{"slice 2/3 (job2.json) by signal 2"});
  EXPECT_TRUE(merged.Interrupted());
  EXPECT_FALSE(merged.Ok());
  std::string text = FormatMerged(merged);
  EXPECT_NE(text.find("  total: 2 passed, 0 failed\n"
                      "  interrupted: slice 2/3 (job2.json) by signal 2: 1 of 3 collected tests "
                      "did not run\n"
                      "  did not run (interrupted) (1):\n"
                      "    tests/test_a.py::test_2 (/src/tests/test_a.py): job slice 2/3"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("ran in no job"), std::string::npos) << text;
  EXPECT_EQ(text.substr(text.size() - 12), "INTERRUPTED\n");
  // As report's JUnit: a skip in its job's entry, not a failure.
  std::string xml = JunitXml(suite.report, "app");
  EXPECT_NE(xml.find("tests=\"3\" failures=\"0\" errors=\"0\" skipped=\"1\""), std::string::npos)
      << xml;
  EXPECT_EQ(xml.find("app/never-ran"), std::string::npos) << xml;
  EXPECT_NE(xml.find("app/shard-0 [slice 2/3 (job2.json)]"), std::string::npos) << xml;
}

TEST(Merge, ATestAnotherJobRanIsRunThoughAnInterruptedJobDidNotRunIt) {
  std::vector<JobExport> jobs = ThreeJobs();
  jobs[1] = Interrupted(2, 3, {}, kCollected[1]);
  jobs[2] = Job(3, 3, {Result(kCollected[2], "passed", 0), Result(kCollected[1], "passed", 1)});
  Merged merged = MergeExports(jobs);
  const MergedSuite& suite = merged.suites[0];
  EXPECT_TRUE(suite.not_run.empty());
  EXPECT_TRUE(suite.never_ran.empty());
  EXPECT_TRUE(suite.ran_twice.empty());
  EXPECT_EQ(suite.report.not_run, 0u);
  // Still not OK: a job was interrupted.
  EXPECT_FALSE(merged.Ok());
  std::string text = FormatMerged(merged);
  EXPECT_NE(text.find("total: 3 passed, 0 failed\n  interrupted: slice 2/3 (job2.json) by signal "
                      "2: 0 of 3 collected tests did not run\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.substr(text.size() - 12), "INTERRUPTED\n");
}

TEST(Merge, ATestInTwoJobsIsNamed) {
  std::vector<JobExport> jobs = ThreeJobs();
  jobs[2] = Job(3, 3, {Result(kCollected[2], "passed", 0), Result(kCollected[0], "passed", 0)});
  Merged merged = MergeExports(jobs);
  EXPECT_EQ(merged.suites[0].ran_twice,
            std::vector<std::string>{"tests/test_a.py::test_1 (/src/tests/test_a.py): 2 times"});
  EXPECT_NE(FormatMerged(merged).find("ran in more than one job (1)"), std::string::npos);
}

TEST(Merge, DifferentCollectionsAreOneLineNamingTheFiles) {
  std::vector<JobExport> jobs = ThreeJobs();
  jobs[2] = Job(3, 3, {Result(kCollected[2], "passed", 0)}, "decade");
  try {
    MergeExports(jobs);
    FAIL();
  } catch (const Error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("suite app comes from different collections in job1.json and job3.json"),
              std::string::npos)
        << what;
    EXPECT_EQ(what.find('\n'), std::string::npos);
  }
}

TEST(Merge, WhatIsNotAnExportIsOneLineNamingTheFile) {
  EXPECT_THROW(MergeExports({}), Error);
  EXPECT_THROW(MergeExports({{"x.json", {{"format", "pytest-shards-durations/1"}}}}), Error);
  JobExport old = Job(1, 1, {});
  old.document["suites"][0].erase("collected");
  EXPECT_THROW(MergeExports({old}), Error);
  JobExport broken = Job(1, 1, {});
  broken.document["suites"][0]["tests"] = json::array({{{"id", 1}}});
  try {
    MergeExports({broken});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("job1.json is a malformed results export"),
              std::string::npos)
        << e.what();
  }
}

TEST(MergedDurations, MeasuredOverPreviousRoundedAndPruned) {
  Durations previous;
  previous.tests = {{kCollected[0], 9}, {kCollected[2], 0.5}, {"tests/gone.py::test_x", 1}};
  previous.startup = 3;
  previous.entries = {{"app/shard-0", 4}};
  previous.failed = {kCollected[1]};
  std::vector<JobExport> jobs = ThreeJobs();
  jobs[2] = Job(3, 3, {Result(kCollected[2], "crashed", 7)});
  Durations durations = MergedDurations(MergeExports(jobs), previous);
  EXPECT_EQ(durations.tests,
            (std::map<std::string, double>{
                {kCollected[0], 0.123}, {kCollected[1], 2}, {kCollected[2], 0.5}}));
  EXPECT_DOUBLE_EQ(durations.startup, 0.5);  // the mean of 0.25, 0.5, 0.75
  EXPECT_TRUE(durations.entries.empty());
  EXPECT_TRUE(durations.failed.empty());
  // The planner's store format: the file reads back as it was written.
  Durations back = DurationsFromJson(DurationsToJson(durations));
  EXPECT_EQ(back.tests, durations.tests);
}

}  // namespace
}  // namespace pytest_shards
