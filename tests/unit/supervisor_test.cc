// The supervisor's rules against a fake pytest (fake_pytest.h): a script of
// what each node ID does, a fake clock, and the plugin's journal records.
// Nothing sleeps and no Python runs.
#include "run/supervisor.h"

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "data/journal.h"
#include "fake_pytest.h"
#include "platform/platform.h"
#include "test_dir.h"
#include "util/error.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

#define EXPECT_CONTAINS(text, part)                                                                \
  EXPECT_NE(std::string(text).find(part), std::string::npos) << "missing: " << (part) << "\nin:\n" \
                                                             << (text)

class SupervisorTest : public TestDirFixture {
 protected:
  void SetUp() override {
    TestDirFixture::SetUp();
    world_.journal = dir_ / "journal" / "0.jsonl";
  }

  // Runs `node_ids` under the rules; the printed lines land in output_.
  int Run(const Ids& node_ids, double test_timeout = 0, double entry_timeout = 0,
          const std::function<bool()>& more_to_take = {}) {
    FakeProcessRunner processes(world_);
    JournalWriter journal(world_.journal, [this] { return world_.now; });
    journal.WriteRun("1000-1", "demo/shard-0", 0);
    std::ostringstream out;
    Supervisor supervisor(processes, journal, out, test_timeout, entry_timeout);
    int exit = supervisor.RunNodeIds(
        node_ids,
        [](const Ids& todo) {
          SpawnOptions options;
          options.argv = todo;
          return options;
        },
        more_to_take);
    restarts_ = supervisor.restarts();
    peak_rss_kb_ = supervisor.peak_rss_kb();
    startup_ = supervisor.startup();
    output_ = out.str();
    journal_ = ReadJournal(world_.journal);
    return exit;
  }

  std::map<std::string, std::string> Outcomes() const {
    std::map<std::string, std::string> outcomes;
    for (const TestResult& r : journal_.results) outcomes[r.node_id] = r.outcome;
    return outcomes;
  }
  std::string Message(const std::string& node_id) const {
    for (const TestResult& r : journal_.results)
      if (r.node_id == node_id) return r.message;
    return "<none>";
  }
  // Every node ID has exactly one result, and nothing else has one.
  void ExpectEachOnce(const Ids& node_ids) const {
    std::map<std::string, int> count;
    for (const TestResult& r : journal_.results) ++count[r.node_id];
    EXPECT_EQ(count.size(), node_ids.size()) << output_;
    for (const std::string& id : node_ids) EXPECT_EQ(count[id], 1) << id << "\n" << output_;
  }

  World world_;
  std::string output_;
  ShardJournal journal_;
  int restarts_ = 0;
  long peak_rss_kb_ = 0;
  double startup_ = 0;
};

const Ids kFive = {"t1", "t2", "t3", "t4", "t5"};

TEST_F(SupervisorTest, PassingRunIsOneRun) {
  EXPECT_EQ(Run(kFive), 0) << output_;
  EXPECT_EQ(world_.runs, std::vector<Ids>{kFive});
  ExpectEachOnce(kFive);
  EXPECT_EQ(restarts_, 0);
  EXPECT_DOUBLE_EQ(startup_, 0.5);  // from the start to the collected record
  EXPECT_GE(peak_rss_kb_, 1000);
}

TEST_F(SupervisorTest, CrashAtTestThreeRestartsOnTheRest) {
  world_.acts["t3"] = Act::kCrash;
  EXPECT_EQ(Run(kFive), 1) << output_;
  EXPECT_EQ(world_.runs, (std::vector<Ids>{kFive, {"t4", "t5"}}));
  std::map<std::string, std::string> expected = {
      {"t1", "passed"}, {"t2", "passed"}, {"t3", "crashed"}, {"t4", "passed"}, {"t5", "passed"}};
  EXPECT_EQ(Outcomes(), expected) << output_;
  ExpectEachOnce(kFive);
  EXPECT_EQ(Message("t3"), "crashed: signal 11 while running t3");
  EXPECT_EQ(restarts_, 1);
  EXPECT_CONTAINS(output_, "pytest-shards: crashed: signal 11 while running t3\n");
  EXPECT_CONTAINS(output_, "restarting pytest on the 2 tests that have not run yet (restart 1)");
}

TEST_F(SupervisorTest, ACrashAfterTheLastOwnTestRestartsWhileTheTailHasGroupsLeft) {
  // t5 is the entry's last test; what the entry may still take from the
  // shared tail is only known to `more_to_take`.
  world_.acts["t5"] = Act::kCrash;
  int asked = 0;
  EXPECT_EQ(Run(kFive, 0, 0, [&] { return ++asked == 1; }), 1) << output_;
  EXPECT_EQ(world_.runs, (std::vector<Ids>{kFive, {}}));
  EXPECT_EQ(restarts_, 1);
  EXPECT_CONTAINS(output_, "restarting pytest on the shared tail (restart 1)");
  ExpectEachOnce(kFive);
  // Without a tail left, the crash of the last test ends the entry.
  world_.runs.clear();
  EXPECT_EQ(Run(kFive), 1) << output_;
  EXPECT_EQ(world_.runs.size(), 1u);
}

TEST_F(SupervisorTest, EveryCrashRestartsUntilEachNodeIdHasAResult) {
  world_.acts["t2"] = Act::kCrash;
  world_.acts["t4"] = Act::kExit;
  world_.acts["t5"] = Act::kCrash;
  EXPECT_EQ(Run(kFive), 1) << output_;
  EXPECT_EQ(world_.runs, (std::vector<Ids>{kFive, {"t3", "t4", "t5"}, {"t5"}}));
  ExpectEachOnce(kFive);
  EXPECT_EQ(Message("t4"), "crashed: exit status 3 while running t4");
  // The last test's crash leaves nothing to restart on.
  EXPECT_EQ(Outcomes()["t5"], "crashed");
  EXPECT_EQ(restarts_, 2);
}

TEST_F(SupervisorTest, HangBeyondTestTimeoutIsKilledAndTheRestRuns) {
  world_.acts["t2"] = Act::kHang;
  EXPECT_EQ(Run(kFive, /*test_timeout=*/1), 1) << output_;
  EXPECT_EQ(world_.runs, (std::vector<Ids>{kFive, {"t3", "t4", "t5"}}));
  EXPECT_EQ(Outcomes()["t2"], "timeout");
  EXPECT_EQ(Message("t2"), "timeout: t2 ran longer than 1 s; killed");
  for (const char* id : {"t1", "t3", "t4", "t5"}) EXPECT_EQ(Outcomes()[id], "passed") << id;
  ExpectEachOnce(kFive);
  EXPECT_EQ(restarts_, 1);
  EXPECT_CONTAINS(output_, "\npytest-shards: timeout: t2 ran longer than 1 s; killed\n");
  // The timeout result covers the time the test ran, not the whole run.
  for (const TestResult& r : journal_.results) {
    if (r.node_id == "t2") {
      EXPECT_NEAR(r.duration, 1.0, 0.06);
    }
  }
}

TEST_F(SupervisorTest, EntryTimeoutStopsJustBeforeAndNamesTheRunningTest) {
  world_.acts["t2"] = Act::kHang;
  EXPECT_EQ(Run(kFive, /*test_timeout=*/0, /*entry_timeout=*/20), 1) << output_;
  // One run: the entry's time is up, a restart would be killed by CTest.
  EXPECT_EQ(world_.runs.size(), 1u);
  EXPECT_EQ(Outcomes()["t2"], "timeout");
  EXPECT_EQ(Message("t2"),
            "timeout: the entry's TIMEOUT of 20 s is running out while running t2"
            "; killed");
  for (const char* id : {"t3", "t4", "t5"}) {
    EXPECT_EQ(Outcomes()[id], "missing") << id;
    EXPECT_EQ(Message(id), std::string("never ran: ") + id);
    EXPECT_CONTAINS(output_, std::string("pytest-shards: missing: never ran: ") + id + "\n");
  }
  ExpectEachOnce(kFive);
  EXPECT_EQ(restarts_, 0);
  // 5% of the TIMEOUT, at least 1 s: stopped at 19 s, before CTest's 20.
  EXPECT_GE(world_.now - 1000, 19);
  EXPECT_LT(world_.now - 1000, 19.5);
}

TEST_F(SupervisorTest, PerTestTimeoutWinsOverAnEntryTimeoutThatIsFarAway) {
  world_.acts["t1"] = Act::kHang;
  EXPECT_EQ(Run({"t1", "t2"}, /*test_timeout=*/2, /*entry_timeout=*/600), 1) << output_;
  EXPECT_EQ(Outcomes()["t1"], "timeout");
  EXPECT_EQ(Outcomes()["t2"], "passed");
}

TEST_F(SupervisorTest, RunThatStartsNoTestIsNotRestarted) {
  world_.die_before_session = true;
  EXPECT_EQ(Run(kFive), 1) << output_;
  EXPECT_EQ(world_.runs.size(), 1u);
  EXPECT_CONTAINS(output_, "pytest ended (exit status 1) before finishing its session, outside");
  EXPECT_CONTAINS(output_, "not restarting pytest: its last run started no test");
  for (const std::string& id : kFive) EXPECT_EQ(Outcomes()[id], "missing") << id;
  ExpectEachOnce(kFive);
}

TEST_F(SupervisorTest, CrashAfterTheLastTestFailsTheEntry) {
  world_.die_after_tests = true;
  EXPECT_EQ(Run(kFive), 1) << output_;
  for (const std::string& id : kFive) EXPECT_EQ(Outcomes()[id], "passed") << id;
  EXPECT_CONTAINS(output_, "pytest ended (signal 11) before finishing its session, outside");
  EXPECT_EQ(world_.runs.size(), 1u);
}

TEST_F(SupervisorTest, InterruptStopsPytestAndJournalsTheRestAsMissing) {
  world_.acts["t3"] = Act::kHang;
  world_.interrupt_at = "t3";
  EXPECT_EQ(Run(kFive), 1) << output_;
  EXPECT_EQ(world_.runs.size(), 1u);
  EXPECT_EQ(Outcomes()["t2"], "passed");
  EXPECT_EQ(Outcomes()["t3"], "missing");
  EXPECT_EQ(Message("t3"), "interrupted by signal 2 while running t3");
  EXPECT_EQ(Message("t4"), "never ran: t4");
  ExpectEachOnce(kFive);
  EXPECT_CONTAINS(output_, "interrupted by signal 2; stopping pytest");
  // Cut short, not failed: each says so, and the output has one line, not
  // a "missing:" line per test.
  for (const TestResult& result : journal_.results)
    EXPECT_EQ(result.interrupted, result.node_id >= "t3" ? 2 : 0) << result.node_id;
  EXPECT_CONTAINS(output_, "interrupted by signal 2: 3 of 5 tests did not run");
  EXPECT_EQ(output_.find("missing:"), std::string::npos) << output_;
}

TEST_F(SupervisorTest, NonZeroExitWithoutFailuresFailsTheEntry) {
  world_.finish_status = 3;
  EXPECT_EQ(Run({"t1"}), 1) << output_;
  EXPECT_EQ(Outcomes()["t1"], "passed");
  EXPECT_CONTAINS(output_, "pytest exited with status 3 although no test failed");
}

TEST_F(SupervisorTest, NoTestsCollectedWithEveryResultJournaledPasses) {
  // A per-file or per-test entry of a module skipped as a whole: the
  // journal has its result, pytest ran no item and exits 5.
  world_.finish_status = 5;
  EXPECT_EQ(Run({"t1"}), 0) << output_;
  EXPECT_EQ(Outcomes()["t1"], "passed");
}

TEST_F(SupervisorTest, FailureFailsTheEntryWithoutARestart) {
  world_.acts["t2"] = Act::kFail;
  EXPECT_EQ(Run(kFive), 1) << output_;
  EXPECT_EQ(world_.runs.size(), 1u);
  EXPECT_EQ(Outcomes()["t2"], "failed");
  ExpectEachOnce(kFive);
}

TEST_F(SupervisorTest, NoNodeIdsStartsNoPytest) {
  EXPECT_EQ(Run({}), 0);
  EXPECT_TRUE(world_.runs.empty());
}

}  // namespace
}  // namespace pytest_shards
