#include "data/runs.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "platform/file_lock.h"
#include "test_dir.h"
#include "util/error.h"
#include "util/file_util.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;
using std::chrono::hours;

class RunsTest : public TestDirFixture {
 protected:
  // A run as a ctest start leaves it; `ran`: an entry wrote its journal.
  void AddRun(const std::string& id, bool ran) {
    WriteFileAtomic(RunPlanFile(dir_, id), "{}");
    if (ran) WriteFileAtomic(RunJournalDir(dir_, id) / "0.jsonl", "{}\n");
  }

  // The run's directory and every file in it last changed two hours ago.
  void Age(const std::string& id) {
    auto then = fs::file_time_type::clock::now() - hours(2);
    for (const auto& entry : fs::recursive_directory_iterator(RunDir(dir_, id)))
      fs::last_write_time(entry.path(), then);
    fs::last_write_time(RunDir(dir_, id), then);
  }

  bool Exists(const std::string& id) { return fs::exists(RunDir(dir_, id)); }
};

TEST_F(RunsTest, NewRunIdsAreOrderedByTime) {
  std::string a = NewRunId();
  usleep(2000);
  std::string b = NewRunId();
  AddRun(b, false);
  AddRun(a, false);
  EXPECT_EQ(RunIds(dir_), (std::vector<std::string>{a, b}));
}

TEST_F(RunsTest, RunIdsAreOrderedByNumberNotText) {
  for (const char* id : {"1000-7", "999-12", "1000-12", "999-3"}) AddRun(id, false);
  fs::create_directories(dir_ / "runs" / "not-a-run");
  fs::create_directories(dir_ / "runs" / "12-");
  fs::create_directories(dir_ / "runs" / "-12");
  fs::create_directories(dir_ / "runs" / "99999999999999999999-1");
  EXPECT_EQ(RunIds(dir_), (std::vector<std::string>{"999-3", "999-12", "1000-7", "1000-12"}));
  EXPECT_EQ(NewestRun(dir_), "1000-12");
}

TEST_F(RunsTest, NoRuns) {
  EXPECT_TRUE(RunIds(dir_).empty());
  EXPECT_EQ(NewestRun(dir_), "");
  EXPECT_EQ(LastRun(dir_), "");
  EXPECT_NO_THROW(PruneRuns(dir_, "", hours(1)));
}

TEST_F(RunsTest, LastRunIsTheNewestThatRan) {
  AddRun("100-1", true);
  AddRun("200-1", true);
  AddRun("300-1", false);  // `ctest -N`: planned, nothing ran
  EXPECT_EQ(NewestRun(dir_), "300-1");
  EXPECT_EQ(LastRun(dir_), "200-1");
  // Journals without their plan do not make a run.
  WriteFileAtomic(RunJournalDir(dir_, "400-1") / "0.jsonl", "{}\n");
  EXPECT_EQ(LastRun(dir_), "200-1");
}

TEST_F(RunsTest, PruneRemovesOnlyRunsNoCtestCanNeed) {
  AddRun("100-1", true);   // old, ran: superseded by 200-1
  AddRun("200-1", true);   // the last run: report shows it
  AddRun("300-1", false);  // old, only listed
  AddRun("400-1", false);  // old, only listed, but a runner holds it
  AddRun("500-1", false);  // listed a moment ago: a ctest may be about to run it
  AddRun("600-1", false);  // the run being planned
  for (const char* id : {"100-1", "200-1", "300-1", "400-1", "600-1"}) Age(id);
  std::optional<FileLock> runner =
      FileLock::TryLock(RunLockFile(dir_, "400-1"), FileLock::Mode::kShared);
  ASSERT_TRUE(runner);
  Age("400-1");
  PruneRuns(dir_, "600-1", hours(1));
  EXPECT_FALSE(Exists("100-1"));
  EXPECT_TRUE(Exists("200-1"));
  EXPECT_FALSE(Exists("300-1"));
  EXPECT_TRUE(Exists("400-1"));
  EXPECT_TRUE(Exists("500-1"));
  EXPECT_TRUE(Exists("600-1"));
  runner.reset();
  PruneRuns(dir_, "600-1", hours(1));
  EXPECT_FALSE(Exists("400-1"));
}

// Two ctests start at once: one has created its run directory and not yet
// written plan.json into it when the other prunes (e2e.warm's two ctests
// once failed with "cannot write .../plan.json: No such file or directory").
TEST_F(RunsTest, PruneKeepsARunDirectoryJustCreatedAndStillEmpty) {
  AddRun("100-1", true);
  AddRun("200-1", true);
  Age("100-1");
  Age("200-1");
  fs::create_directories(RunDir(dir_, "300-1"));  // the other ctest's run
  PruneRuns(dir_, "400-1", hours(1));
  EXPECT_TRUE(Exists("300-1"));
  EXPECT_FALSE(Exists("100-1"));
  // Once as old as the others and still empty, it is abandoned.
  fs::last_write_time(RunDir(dir_, "300-1"), fs::file_time_type::clock::now() - hours(2));
  PruneRuns(dir_, "400-1", hours(1));
  EXPECT_FALSE(Exists("300-1"));
}

TEST_F(RunsTest, FindSuitesFindsThePlannedSuitesOfABuildTree) {
  fs::create_directories(dir_ / "pytest-shards" / "app" / "runs");
  fs::create_directories(dir_ / "sub" / "pytest-shards" / "lib" / "runs");
  fs::create_directories(dir_ / "pytest-shards" / "unplanned");  // configured, no ctest yet
  fs::create_directories(dir_ / "other" / "runs");
  EXPECT_EQ(FindSuites(dir_), (std::vector<fs::path>{dir_ / "pytest-shards" / "app",
                                                     dir_ / "sub" / "pytest-shards" / "lib"}));
  EXPECT_TRUE(FindSuites(dir_ / "nowhere").empty());
}

TEST(FileLock, SharedLocksCoexistAndExcludeAnExclusiveOne) {
  fs::path file = fs::temp_directory_path() / ("file_lock_test-" + std::to_string(::getpid()));
  {
    std::optional<FileLock> a = FileLock::TryLock(file, FileLock::Mode::kShared);
    std::optional<FileLock> b = FileLock::TryLock(file, FileLock::Mode::kShared);
    ASSERT_TRUE(a && b);
    EXPECT_FALSE(FileLock::TryLock(file, FileLock::Mode::kExclusive));
    a.reset();
    EXPECT_FALSE(FileLock::TryLock(file, FileLock::Mode::kExclusive));
    FileLock moved = std::move(*b);
    b.reset();  // the moved-from object releases nothing
    EXPECT_FALSE(FileLock::TryLock(file, FileLock::Mode::kExclusive));
  }
  std::optional<FileLock> c = FileLock::TryLock(file, FileLock::Mode::kExclusive);
  EXPECT_TRUE(c);
  EXPECT_FALSE(FileLock::TryLock(file, FileLock::Mode::kShared));
  c.reset();
  fs::remove(file);
  EXPECT_THROW(FileLock::TryLock(fs::path("/nonexistent-dir") / "x.lock", FileLock::Mode::kShared),
               Error);
}

TEST(SuiteLayout, JournalFilesAreNumberedByEntryIndex) {
  fs::path journal = JournalFile("/b/pytest-shards/demo", "1000-1", 7);
  EXPECT_EQ(journal, fs::path("/b/pytest-shards/demo/runs/1000-1/journal/7.jsonl"));
  EXPECT_EQ(JournalIndex(journal), std::optional<std::size_t>(7));
  for (const char* other : {"7.jsonl.tmp", "x7.jsonl", ".jsonl", "7.json", "1234567890.jsonl"})
    EXPECT_FALSE(JournalIndex(other)) << other;
}

TEST(SuiteLayout, PortLocksAreSharedByTheBuildTreesSuites) {
  EXPECT_EQ(PortLockFile("/b/pytest-shards/demo"), PortLockFile("/b/pytest-shards/other"));
  EXPECT_EQ(SettingsFile("/b/pytest-shards/demo"), fs::path("/b/pytest-shards/demo/settings.json"));
}

}  // namespace
}  // namespace pytest_shards
