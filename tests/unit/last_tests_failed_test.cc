#include "plan/last_tests_failed.h"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>

#include "data/runs.h"
#include "test_dir.h"
#include "util/file_util.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;

using Names = std::vector<std::string>;

Names NamesOf(const std::vector<FailedTest>& tests) {
  Names names;
  for (const FailedTest& test : tests) names.push_back(test.name);
  return names;
}

TEST(LastTestsFailed, ParsesNumberedNames) {
  std::vector<FailedTest> tests =
      ParseLastTestsFailed("2:s/shard-02\n17:s/a.py::t[x:y]\r\nno colon\n");
  ASSERT_EQ(tests.size(), 2u);
  EXPECT_EQ(tests[0].number, 2);
  EXPECT_EQ(tests[1].number, 17);
  EXPECT_EQ(NamesOf(tests), (Names{"s/shard-02", "s/a.py::t[x:y]"}));
  EXPECT_TRUE(ParseLastTestsFailed("").empty());
}

Plan PlanOf(const Names& names) {
  Plan plan;
  for (const std::string& name : names) {
    plan.entries.emplace_back();
    plan.entries.back().name = name;
  }
  return plan;
}

TEST(LastTestsFailed, TheEntriesAtTheLogsNumbers) {
  // Entry s/b failed as test 5, the suite's second of three (first: 4).
  LastTestsFailedLog log{{{5, "s/b"}, {2, "other/x"}}, {}};
  Names before = {"s/a", "s/b", "s/c"};
  EXPECT_EQ(RerunEntries(log, before, PlanOf(before)), Names{"s/b"});
  // The next plan put the failed test first, in an entry of its own: CTest
  // reruns number 5, now s/a.
  EXPECT_EQ(RerunEntries(log, before, PlanOf({"s/last-failed-00", "s/a", "s/b", "s/c"})),
            Names{"s/a"});
  // The run that wrote the log unknown: the entries it names.
  EXPECT_EQ(RerunEntries(log, {}, PlanOf(before)), Names{"s/b"});
  // Nothing of the suite failed: none of it.
  EXPECT_EQ(RerunEntries({{{2, "other/x"}}, {}}, before, PlanOf(before)), Names{});
  // No log: CTest runs every test.
  EXPECT_EQ(RerunEntries({}, before, PlanOf(before)), before);
}

class LastTestsFailedFile : public TestDirFixture {
 protected:
  void SetUp() override {
    TestDirFixture::SetUp();
    sub_ = dir_ / "tests" / "py";
    temporary_ = dir_ / "Testing" / "Temporary";
    std::ofstream(dir_ / "CMakeCache.txt") << "";
    fs::create_directories(sub_);
    fs::create_directories(temporary_);
  }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(temporary_ / name) << text;
  }
  Names Read(const std::vector<std::string>& argv, const fs::path& cwd) {
    std::optional<LastTestsFailedLog> log = ReadLastTestsFailed(argv, cwd);
    return log ? NamesOf(log->tests) : Names{"unknown"};
  }
  fs::path sub_;
  fs::path temporary_;
};

TEST_F(LastTestsFailedFile, TheTestDirIsTheTopOfTheBuildTreeOrAnAbsoluteTestDir) {
  EXPECT_EQ(CtestTestDir({"ctest"}, sub_), dir_);
  EXPECT_EQ(CtestTestDir({"ctest", "--test-dir", "build"}, dir_ / "tests"), dir_);
  EXPECT_EQ(CtestTestDir({"ctest", "--test-dir=/elsewhere"}, dir_), fs::path("/elsewhere"));
  EXPECT_EQ(CtestTestDir({"ctest"}, "/"), fs::path());
}

TEST_F(LastTestsFailedFile, ReadOnlyForRerunFailed) {
  Write("LastTestsFailed.log", "3:s/b\n");
  EXPECT_EQ(Read({"ctest", "--rerun-failed"}, sub_), Names{"s/b"});
  EXPECT_EQ(Read({"ctest", "-R", "b"}, dir_), Names{"unknown"});
  // No log: no tests (CTest runs every test).
  fs::remove(temporary_ / "LastTestsFailed.log");
  EXPECT_EQ(Read({"ctest", "--rerun-failed"}, dir_), Names{});
  // No build tree found: unknown.
  EXPECT_EQ(Read({"ctest", "--rerun-failed"}, "/"), Names{"unknown"});
}

TEST_F(LastTestsFailedFile, TheNewestLogAsCtestPicksIt) {
  Write("LastTestsFailed.log", "1:s/old\n");
  Write("LastTestsFailed_20260101-0000.log", "2:s/new\n");
  fs::last_write_time(temporary_ / "LastTestsFailed.log",
                      fs::file_time_type::clock::now() - std::chrono::hours(1));
  EXPECT_EQ(Read({"ctest", "--rerun-failed"}, dir_), Names{"s/new"});
}

TEST_F(LastTestsFailedFile, TheEntriesOfTheRunThatWroteTheLog) {
  fs::path suite_dir = dir_ / "suite";
  auto write_plan = [&](const std::string& run_id, const Names& names, int hours_ago) {
    PlanFile file;
    file.run_id = run_id;
    file.plan = PlanOf(names);
    fs::path path = RunPlanFile(suite_dir, run_id);
    fs::create_directories(path.parent_path());
    WriteFileAtomic(path, PlanFileText(file));
    fs::last_write_time(path, fs::file_time_type::clock::now() - std::chrono::hours(hours_ago));
  };
  write_plan("100-1", {"s/old"}, 3);
  write_plan("200-1", {"s/a", "s/b"}, 2);
  write_plan("300-1", {"s/late"}, 0);  // planned after the log: another ctest
  fs::file_time_type written = fs::file_time_type::clock::now() - std::chrono::hours(1);
  EXPECT_EQ(EntryNames(PlanBefore(suite_dir, "400-1", written)), (Names{"s/a", "s/b"}));
  EXPECT_EQ(EntryNames(PlanBefore(suite_dir, "200-1", written)), Names{"s/old"});
  EXPECT_EQ(PlanBefore(dir_ / "none", "400-1", written), std::nullopt);
  EXPECT_EQ(EntryNames(std::nullopt), Names{});
}

// A plan file whose entries hold the given tests.
PlanFile PlanFileOf(const std::vector<std::pair<std::string, Names>>& entries) {
  PlanFile file;
  file.settings.suite = "s";
  for (const auto& [name, node_ids] : entries) {
    file.plan.entries.emplace_back();
    file.plan.entries.back().name = name;
    file.plan.entries.back().node_ids = node_ids;
  }
  return file;
}

TEST(LastTestsFailed, ARerunKeepsThePlanThatWroteTheLog) {
  // t2 failed in s/shard-01; the fresh plan moved it to the front.
  PlanFile before = PlanFileOf({{"s/shard-00", {"a.py::t1"}}, {"s/shard-01", {"b.py::t2"}}});
  PlanFile fresh = PlanFileOf({{"s/last-failed-00", {"b.py::t2"}}, {"s/shard-00", {"a.py::t1"}}});
  LastTestsFailedLog log{{{2, "s/shard-01"}}, {}};
  auto names = [](const Plan& plan) {
    Names result;
    for (const Entry& entry : plan.entries) result.push_back(entry.name);
    return result;
  };
  EXPECT_EQ(names(PlanForRerun(log, before, fresh)), (Names{"s/shard-00", "s/shard-01"}));
  // So CTest's number 2 is the entry that failed, with the failed test.
  EXPECT_EQ(RerunEntries(log, EntryNames(before), PlanForRerun(log, before, fresh)),
            Names{"s/shard-01"});
  // No log (CTest runs everything), no such run: the fresh plan.
  EXPECT_EQ(names(PlanForRerun({}, before, fresh)), (Names{"s/last-failed-00", "s/shard-00"}));
  EXPECT_EQ(names(PlanForRerun(log, std::nullopt, fresh)),
            (Names{"s/last-failed-00", "s/shard-00"}));
  // Other tests, other settings or another slice since: the old numbers
  // name nothing certain, and the fresh plan runs.
  PlanFile added = fresh;
  added.plan.entries[1].node_ids.push_back("a.py::t3");
  EXPECT_EQ(names(PlanForRerun(log, before, added)), (Names{"s/last-failed-00", "s/shard-00"}));
  PlanFile resharded = fresh;
  resharded.settings.shards = 3;
  EXPECT_EQ(names(PlanForRerun(log, before, resharded)), (Names{"s/last-failed-00", "s/shard-00"}));
  PlanFile sliced = fresh;
  sliced.slice = {1, 2};
  EXPECT_EQ(names(PlanForRerun(log, before, sliced)), (Names{"s/last-failed-00", "s/shard-00"}));
}

}  // namespace
}  // namespace pytest_shards
