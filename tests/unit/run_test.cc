#include "run/run.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "data/journal.h"
#include "data/runs.h"
#include "plan/plan.h"
#include "platform/file_lock.h"
#include "run/lease.h"
#include "run/ports.h"
#include "test_dir.h"
#include "util/error.h"
#include "util/file_util.h"

namespace pytest_shards {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// gmock is not linked; this says what was searched and where.
#define EXPECT_CONTAINS(text, part)                                                                \
  EXPECT_NE(std::string(text).find(part), std::string::npos) << "missing: " << (part) << "\nin:\n" \
                                                             << (text)

std::string Get(const std::vector<std::string>& env, const std::string& name) {
  std::string prefix = name + "=";
  std::string value = "<unset>";
  int seen = 0;
  for (const std::string& entry : env) {
    if (entry.compare(0, prefix.size(), prefix) == 0) {
      value = entry.substr(prefix.size());
      ++seen;
    }
  }
  return seen > 1 ? "<set " + std::to_string(seen) + " times>" : value;
}

ShardContext Context() {
  ShardContext shard;
  shard.index = 3;
  shard.count = 8;
  shard.tmpdir = "/build/pytest-shards/demo/tmp/3";
  shard.port_base = 20030;
  shard.port_count = 10;
  return shard;
}

// --- ExpandPlaceholders -----------------------------------------------------

TEST(ExpandPlaceholders, ReplacesEveryPlaceholder) {
  EXPECT_EQ(ExpandPlaceholders("{shard}/{shards} {tmp} {port_base}+{port_count}", Context()),
            "3/8 /build/pytest-shards/demo/tmp/3 20030+10");
  EXPECT_EQ(ExpandPlaceholders("postgresql:///app_{shard}_{shard}", Context()),
            "postgresql:///app_3_3");
}

TEST(ExpandPlaceholders, KeepsOtherText) {
  EXPECT_EQ(ExpandPlaceholders("", Context()), "");
  EXPECT_EQ(ExpandPlaceholders("no placeholders", Context()), "no placeholders");
  EXPECT_EQ(ExpandPlaceholders("{user} {SHARD} {shard", Context()), "{user} {SHARD} {shard");
  EXPECT_EQ(ExpandPlaceholders("{{shard}}", Context()), "{3}");
  EXPECT_EQ(ExpandPlaceholders("{port_base_x}", Context()), "{port_base_x}");
  EXPECT_EQ(ExpandPlaceholders("}{shards}{", Context()), "}8{");
}

// --- ShardEnvironment ---------------------------------------------------------

Settings PluginSettings() {
  Settings settings;
  settings.plugin_dir = "/src/tools";
  return settings;
}

TEST(ShardEnvironment, SetsTheContractVariables) {
  std::vector<std::string> env =
      ShardEnvironment(PluginSettings(), Context(), {"HOME=/home/me", "TMPDIR=/tmp"});
  EXPECT_EQ(Get(env, "HOME"), "/home/me");
  EXPECT_EQ(Get(env, "TMPDIR"), "/build/pytest-shards/demo/tmp/3");
  EXPECT_EQ(Get(env, "PYTEST_SHARD_TMPDIR"), "/build/pytest-shards/demo/tmp/3");
  EXPECT_EQ(Get(env, "PYTEST_SHARD_INDEX"), "3");
  EXPECT_EQ(Get(env, "PYTEST_SHARD_COUNT"), "8");
  EXPECT_EQ(Get(env, "PYTEST_SHARD_PORT_BASE"), "20030");
  EXPECT_EQ(Get(env, "PYTEST_SHARD_PORT_COUNT"), "10");
  EXPECT_EQ(Get(env, "PYTEST_XDIST_WORKER"), "gw3");
  EXPECT_EQ(Get(env, "PYTEST_XDIST_WORKER_COUNT"), "8");
  EXPECT_EQ(Get(env, "PYTHONPATH"), "/src/tools");
  EXPECT_EQ(Get(env, "PYTHONDONTWRITEBYTECODE"), "<unset>");
  EXPECT_EQ(env.size(), 10u);
}

TEST(ShardEnvironment, DropsThePresetCapSoNestedCtestRunsInParallel) {
  std::vector<std::string> env = ShardEnvironment(
      PluginSettings(), Context(), {"PYTEST_SHARDS_PRESET_JOBS=4096", "HOME=/home/me"});
  EXPECT_EQ(Get(env, "PYTEST_SHARDS_PRESET_JOBS"), "<unset>");
  EXPECT_EQ(Get(env, "HOME"), "/home/me");
}

TEST(ShardEnvironment, ParentValuesAreReplacedNotDuplicated) {
  std::vector<std::string> parent = {"PYTEST_SHARD_INDEX=9", "PYTEST_XDIST_WORKER=gw9",
                                     "PYTEST_XDIST_WORKER_COUNT=99", "PYTHONPATH=/mine:/other"};
  std::vector<std::string> env = ShardEnvironment(PluginSettings(), Context(), parent);
  EXPECT_EQ(Get(env, "PYTEST_SHARD_INDEX"), "3");
  EXPECT_EQ(Get(env, "PYTEST_XDIST_WORKER"), "gw3");
  EXPECT_EQ(Get(env, "PYTEST_XDIST_WORKER_COUNT"), "8");
  EXPECT_EQ(Get(env, "PYTHONPATH"), "/src/tools:/mine:/other");
}

TEST(ShardEnvironment, UserEnvironmentIsExpandedAndWins) {
  Settings settings = PluginSettings();
  settings.environment = {"DATABASE_URL=postgresql:///app_{shard}",
                          "TMPDIR={tmp}/own",
                          "HOME=/elsewhere",
                          "EMPTY=",
                          "EQUALS=a=b{port_base}",
                          "UNKNOWN={nope}",
                          "PYTHONPATH=/user/lib"};
  std::vector<std::string> env =
      ShardEnvironment(settings, Context(), {"HOME=/home/me", "PYTHONPATH=/parent"});
  EXPECT_EQ(Get(env, "DATABASE_URL"), "postgresql:///app_3");
  EXPECT_EQ(Get(env, "TMPDIR"), "/build/pytest-shards/demo/tmp/3/own");
  EXPECT_EQ(Get(env, "PYTEST_SHARD_TMPDIR"), "/build/pytest-shards/demo/tmp/3");
  EXPECT_EQ(Get(env, "HOME"), "/elsewhere");
  EXPECT_EQ(Get(env, "EMPTY"), "");
  EXPECT_EQ(Get(env, "EQUALS"), "a=b20030");
  EXPECT_EQ(Get(env, "UNKNOWN"), "{nope}");
  // The plugin stays importable whatever the user sets.
  EXPECT_EQ(Get(env, "PYTHONPATH"), "/src/tools:/user/lib");
}

TEST(ShardEnvironment, MalformedUserEntryIsAnError) {
  Settings settings = PluginSettings();
  settings.environment = {"JUSTANAME"};
  EXPECT_THROW(ShardEnvironment(settings, Context(), {}), Error);
  settings.environment = {"=value"};
  EXPECT_THROW(ShardEnvironment(settings, Context(), {}), Error);
}

// --- RunEntry over a real pytest suite ----------------------------------------

// A project with tests/ and a build tree holding the suite directory.
class RunEntryTest : public TestDirFixture {
 protected:
  void SetUp() override {
    TestDirFixture::SetUp();
    fs::create_directories(dir_ / "project" / "tests");
    Write("project/pytest.ini", "[pytest]\n");
    Settings& s = plan_.settings;
    s.suite = "demo";
    s.suite_dir = dir_ / "build" / "pytest-shards" / "demo";
    s.python = "/usr/bin/python3";
    s.workdir = dir_ / "project";
    s.plugin_dir = fs::path(PYTEST_SHARDS_SOURCE_DIR) / "python";
    s.args = {"tests"};
    s.port_base = 24700;
    s.ports_per_shard = 3;
    plan_.run_id = "1000-1";
    plan_.rootdir = (dir_ / "project").string();
  }

  void Write(const std::string& relative, const std::string& text) {
    fs::create_directories((dir_ / relative).parent_path());
    std::ofstream(dir_ / relative) << text;
  }

  void AddEntry(std::vector<std::string> node_ids, bool collection_errors = false) {
    Entry entry;
    entry.name = "demo/shard-" + std::to_string(plan_.plan.entries.size());
    entry.node_ids = std::move(node_ids);
    entry.collection_errors = collection_errors;
    plan_.plan.entries.push_back(entry);
  }

  // Runs the entry; its printed lines land in output_.
  int Run(int index) {
    fs::path file = RunPlanFile(plan_.settings.suite_dir, plan_.run_id);
    WriteFileAtomic(file, PlanFileToJson(plan_).dump());
    std::ostringstream out;
    int code = RunEntry(file, index, out);
    output_ = out.str();
    return code;
  }

  ShardJournal Journal(int index) {
    return ReadJournal(JournalDir() / (std::to_string(index) + ".jsonl"));
  }

  fs::path JournalDir() const { return RunJournalDir(plan_.settings.suite_dir, plan_.run_id); }

  // node ID -> outcome (the latest), and every result's message.
  std::map<std::string, std::string> Outcomes(const ShardJournal& journal) {
    std::map<std::string, std::string> outcomes;
    for (const TestResult& r : journal.results) outcomes[r.node_id] = r.outcome;
    return outcomes;
  }
  std::string Message(const ShardJournal& journal, const std::string& node_id) {
    for (const TestResult& r : journal.results)
      if (r.node_id == node_id) return r.message;
    return "<none>";
  }

  PlanFile plan_;
  std::string output_;
};

TEST_F(RunEntryTest, PassingShardSeesItsPrivateEnvironment) {
  plan_.settings.environment = {"APP_DB=app_{shard}_of_{shards}"};
  Write("project/tests/test_env.py", R"(
import os, socket, tempfile

def test_variables():
    assert os.environ["PYTEST_SHARD_INDEX"] == "1"
    assert os.environ["PYTEST_SHARD_COUNT"] == "2"
    assert os.environ["PYTEST_XDIST_WORKER"] == "gw1"
    assert os.environ["PYTEST_XDIST_WORKER_COUNT"] == "2"
    assert os.environ["APP_DB"] == "app_1_of_2"
    assert os.environ["TMPDIR"] == os.environ["PYTEST_SHARD_TMPDIR"]
    assert tempfile.gettempdir() == os.environ["TMPDIR"]
    assert os.environ["TMPDIR"].endswith(os.path.join("demo", "tmp", "1"))

def test_ports_are_free():
    base = int(os.environ["PYTEST_SHARD_PORT_BASE"])
    assert int(os.environ["PYTEST_SHARD_PORT_COUNT"]) == 3
    assert 24700 <= base and (base - 24700) % 3 == 0
    for port in range(base, base + 3):
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))

def test_tmp_path_is_private(tmp_path):
    assert str(tmp_path).startswith(os.environ["PYTEST_SHARD_TMPDIR"])
)");
  fs::create_directories(plan_.settings.TmpRoot() / "1");
  Write("build/pytest-shards/demo/tmp/1/stale.txt", "left over");
  AddEntry({"tests/test_env.py::test_variables"});
  AddEntry({"tests/test_env.py::test_variables", "tests/test_env.py::test_ports_are_free",
            "tests/test_env.py::test_tmp_path_is_private"});
  EXPECT_EQ(Run(1), 0) << output_;
  EXPECT_FALSE(fs::exists(plan_.settings.TmpRoot() / "1" / "stale.txt"));
  ShardJournal journal = Journal(1);
  EXPECT_EQ(journal.run_id, "1000-1");
  EXPECT_EQ(journal.entry, "demo/shard-1");
  EXPECT_EQ(journal.index, 1);
  std::map<std::string, std::string> expected = {
      {"tests/test_env.py::test_variables", "passed"},
      {"tests/test_env.py::test_ports_are_free", "passed"},
      {"tests/test_env.py::test_tmp_path_is_private", "passed"}};
  EXPECT_EQ(Outcomes(journal), expected);
  EXPECT_EQ(journal.results.size(), 3u);
  EXPECT_TRUE(journal.finished);
  EXPECT_EQ(journal.exit_code, 0);
  EXPECT_EQ(journal.restarts, 0);
  EXPECT_GT(journal.wall, 0);
  EXPECT_GT(journal.startup, 0);
  EXPECT_GT(journal.peak_rss_kb, 0);
  EXPECT_CONTAINS(output_, ("pytest-shards: shard-1: 3 passed in "));
  // Entry 0 was not run.
  EXPECT_FALSE(fs::exists(JournalDir() / "0.jsonl"));
}

// Another ctest on this build tree running the same index at the same time
// (tmp/1.lock held) must not share or empty our directory; and a running
// entry keeps later ctest starts from pruning its run.
TEST_F(RunEntryTest, ConcurrentRunOfTheSameIndexGetsItsOwnTmpDirAndHoldsTheRunLock) {
  fs::path lock_file = RunLockFile(plan_.settings.suite_dir, plan_.run_id);
  Write("project/tests/test_lease.py", R"(
import fcntl, os
def test_own_tmpdir_and_run_lock():
    assert os.environ["TMPDIR"].endswith(os.path.join("demo", "tmp", "1-1"))
    with open(os.environ["RUN_LOCK"]) as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return
    raise AssertionError("the runner does not hold the run lock")
)");
  plan_.settings.environment = {"RUN_LOCK=" + lock_file.string()};
  fs::create_directories(plan_.settings.TmpRoot());
  Write("build/pytest-shards/demo/tmp/1/theirs.txt", "another run's file");
  std::optional<FileLock> other =
      FileLock::TryLock(plan_.settings.TmpRoot() / "1.lock", FileLock::Mode::kExclusive);
  ASSERT_TRUE(other);
  AddEntry({"tests/test_lease.py::test_own_tmpdir_and_run_lock"});
  AddEntry({"tests/test_lease.py::test_own_tmpdir_and_run_lock"});
  EXPECT_EQ(Run(1), 0) << output_;
  EXPECT_TRUE(fs::exists(plan_.settings.TmpRoot() / "1" / "theirs.txt"));
  // Afterwards the lock is free again.
  EXPECT_TRUE(FileLock::TryLock(lock_file, FileLock::Mode::kExclusive));
}

TEST_F(RunEntryTest, FailingTestFailsTheEntry) {
  Write("project/tests/test_mixed.py", R"(
def test_ok():
    pass

def test_bad():
    assert 1 == 2
)");
  AddEntry({"tests/test_mixed.py::test_ok", "tests/test_mixed.py::test_bad"});
  EXPECT_NE(Run(0), 0) << output_;
  ShardJournal journal = Journal(0);
  EXPECT_EQ(Outcomes(journal)["tests/test_mixed.py::test_ok"], "passed");
  EXPECT_EQ(Outcomes(journal)["tests/test_mixed.py::test_bad"], "failed");
  EXPECT_EQ(journal.exit_code, 1);
  EXPECT_CONTAINS(output_, ("shard-0: 1 passed, 1 failed in "));
}

TEST_F(RunEntryTest, CrashIsReportedAndTheRestStillRuns) {
  Write("project/tests/test_crash.py", R"(
import os, signal

def test_before():
    pass

def test_segfault():
    os.kill(os.getpid(), signal.SIGSEGV)

def test_after():
    pass

def test_after_too():
    pass
)");
  AddEntry({"tests/test_crash.py::test_before", "tests/test_crash.py::test_segfault",
            "tests/test_crash.py::test_after", "tests/test_crash.py::test_after_too"});
  EXPECT_NE(Run(0), 0) << output_;
  ShardJournal journal = Journal(0);
  std::map<std::string, std::string> expected = {{"tests/test_crash.py::test_before", "passed"},
                                                 {"tests/test_crash.py::test_segfault", "crashed"},
                                                 {"tests/test_crash.py::test_after", "passed"},
                                                 {"tests/test_crash.py::test_after_too", "passed"}};
  EXPECT_EQ(Outcomes(journal), expected) << output_;
  EXPECT_EQ(journal.results.size(), 4u);  // each exactly once
  EXPECT_EQ(Message(journal, "tests/test_crash.py::test_segfault"),
            "crashed: signal 11 while running tests/test_crash.py::test_segfault");
  EXPECT_EQ(journal.restarts, 1);
  EXPECT_CONTAINS(output_, ("pytest-shards: crashed: signal 11 while running "
                            "tests/test_crash.py::test_segfault\n"));
  EXPECT_CONTAINS(output_, ("shard-0: 3 passed, 1 crashed in "));
}

TEST_F(RunEntryTest, ExitInsideATestIsACrash) {
  Write("project/tests/test_exit.py", R"(
import os

def test_exit():
    os._exit(3)

def test_after():
    pass
)");
  AddEntry({"tests/test_exit.py::test_exit", "tests/test_exit.py::test_after"});
  EXPECT_NE(Run(0), 0) << output_;
  ShardJournal journal = Journal(0);
  EXPECT_EQ(Outcomes(journal)["tests/test_exit.py::test_exit"], "crashed");
  EXPECT_EQ(Outcomes(journal)["tests/test_exit.py::test_after"], "passed");
  EXPECT_EQ(Message(journal, "tests/test_exit.py::test_exit"),
            "crashed: exit status 3 while running tests/test_exit.py::test_exit");
}

TEST_F(RunEntryTest, HangingTestIsKilledAndTheRestRuns) {
  plan_.settings.test_timeout = 1;
  Write("project/tests/test_hang.py", R"(
import time

def test_hang():
    time.sleep(60)

def test_after():
    pass
)");
  AddEntry({"tests/test_hang.py::test_hang", "tests/test_hang.py::test_after"});
  EXPECT_NE(Run(0), 0) << output_;
  ShardJournal journal = Journal(0);
  EXPECT_EQ(Outcomes(journal)["tests/test_hang.py::test_hang"], "timeout");
  EXPECT_EQ(Outcomes(journal)["tests/test_hang.py::test_after"], "passed");
  EXPECT_EQ(journal.restarts, 1);
  EXPECT_CONTAINS(output_, ("pytest-shards: timeout: tests/test_hang.py::test_hang ran "
                            "longer than 1 s; killed\n"));
}

TEST_F(RunEntryTest, EntryTimeoutStopsBeforeCTestWould) {
  // Generous: on a loaded machine pytest's start-up alone can take seconds,
  // and the test must be running when the entry's time runs out.
  plan_.settings.timeout = 20;
  Write("project/tests/test_slow.py", R"(
import time

def test_slow():
    time.sleep(60)

def test_never():
    pass
)");
  AddEntry({"tests/test_slow.py::test_slow", "tests/test_slow.py::test_never"});
  EXPECT_NE(Run(0), 0) << output_;
  ShardJournal journal = Journal(0);
  EXPECT_EQ(Outcomes(journal)["tests/test_slow.py::test_slow"], "timeout");
  EXPECT_EQ(Outcomes(journal)["tests/test_slow.py::test_never"], "missing");
  EXPECT_CONTAINS(output_, ("TIMEOUT of 20 s is running out while running "
                            "tests/test_slow.py::test_slow; killed"));
  EXPECT_CONTAINS(output_, ("never ran: tests/test_slow.py::test_never"));
}

TEST_F(RunEntryTest, MissingNodeIdFailsTheEntry) {
  Write("project/tests/test_ok.py", "def test_ok():\n    pass\n");
  AddEntry({"tests/test_ok.py::test_ok", "tests/test_ok.py::test_gone",
            "tests/test_deleted.py::test_x"});
  EXPECT_NE(Run(0), 0) << output_;
  ShardJournal journal = Journal(0);
  EXPECT_EQ(Outcomes(journal)["tests/test_ok.py::test_ok"], "passed");
  EXPECT_EQ(Outcomes(journal)["tests/test_ok.py::test_gone"], "missing");
  EXPECT_EQ(Outcomes(journal)["tests/test_deleted.py::test_x"], "missing");
  EXPECT_EQ(journal.results.size(), 3u);
}

TEST_F(RunEntryTest, LeftoverProcessesAreKilled) {
  fs::path pid_file = dir_ / "server.pid";
  Write("project/tests/test_spawn.py", R"(
import subprocess

def test_starts_a_server():
    child = subprocess.Popen(["sleep", "60"])
    with open(")" + pid_file.string() + R"(", "w") as f:
        f.write(str(child.pid))
)");
  AddEntry({"tests/test_spawn.py::test_starts_a_server"});
  EXPECT_EQ(Run(0), 0) << output_;
  std::ifstream in(pid_file);
  pid_t pid = 0;
  in >> pid;
  ASSERT_GT(pid, 0);
  bool gone = false;
  for (int i = 0; i < 500 && !gone; ++i) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    gone = !std::getline(stat, line) || line.find(") Z ") != std::string::npos;
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(gone);
}

TEST_F(RunEntryTest, XdistAddoptsDoNotStartWorkers) {
  Write("project/pytest.ini", "[pytest]\naddopts = -n 2\n");
  Write("project/tests/test_worker.py", R"(
import os

def test_not_a_worker(request):
    assert not hasattr(request.config, "workerinput")
    assert os.environ["PYTEST_XDIST_WORKER"] == "gw0"
)");
  plan_.xdist = true;
  AddEntry({"tests/test_worker.py::test_not_a_worker"});
  EXPECT_EQ(Run(0), 0) << output_;
  EXPECT_EQ(Outcomes(Journal(0))["tests/test_worker.py::test_not_a_worker"], "passed");
}

TEST_F(RunEntryTest, CollectionErrorsEntryFailsWhileModulesDoNotImport) {
  Write("project/tests/test_broken.py", "import no_such_module_here\n");
  Write("project/tests/test_ok.py", "def test_ok():\n    pass\n");
  AddEntry({"tests/test_ok.py::test_ok"});
  AddEntry({"tests/test_broken.py"}, /*collection_errors=*/true);
  EXPECT_NE(Run(1), 0) << output_;
  EXPECT_CONTAINS(output_, ("pytest-shards: these modules failed to collect at configure "
                            "time:\n  tests/test_broken.py\n"));
  // Only the broken module ran, not the suite's ARGS.
  EXPECT_EQ(Outcomes(Journal(1)).count("tests/test_ok.py::test_ok"), 0u);

  // Fixed since configure: the entry passes. (Not of the broken text's size:
  // pytest's cache of rewritten modules, which shards keep when bytecode
  // writing is off, trusts a source of unchanged size and mtime second.)
  Write("project/tests/test_broken.py", "def test_fixed():\n    assert True\n");
  EXPECT_EQ(Run(1), 0) << output_;
  EXPECT_EQ(Outcomes(Journal(1))["tests/test_broken.py::test_fixed"], "passed");
}

TEST_F(RunEntryTest, InterruptStopsPytestAndJournalsTheRest) {
  Write("project/tests/test_wait.py", R"(
import time

def test_wait():
    time.sleep(60)

def test_later():
    pass
)");
  AddEntry({"tests/test_wait.py::test_wait", "tests/test_wait.py::test_later"});
  fs::path journal = JournalDir() / "0.jsonl";
  // Plays CTest's kill or the terminal's Ctrl-C once the test runs.
  std::thread killer([&] {
    for (int i = 0; i < 3000; ++i) {
      std::ifstream in(journal);
      std::stringstream text;
      text << in.rdbuf();
      if (text.str().find("\"start\"") != std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(::getpid(), SIGTERM);
  });
  int code = Run(0);
  killer.join();
  EXPECT_NE(code, 0);
  ShardJournal result = Journal(0);
  EXPECT_EQ(Outcomes(result)["tests/test_wait.py::test_wait"], "missing");
  EXPECT_EQ(Message(result, "tests/test_wait.py::test_wait"),
            "interrupted by signal 15 while running tests/test_wait.py::test_wait");
  EXPECT_EQ(Outcomes(result)["tests/test_wait.py::test_later"], "missing");
  EXPECT_EQ(result.restarts, 0);
  EXPECT_TRUE(result.finished);
}

TEST_F(RunEntryTest, SetupErrorJournalsEveryNodeIdAsMissing) {
  plan_.settings.environment = {"NOT_AN_ASSIGNMENT"};
  Write("project/tests/test_ok.py", "def test_ok():\n    pass\n");
  AddEntry({"tests/test_ok.py::test_ok"});
  EXPECT_NE(Run(0), 0);
  EXPECT_CONTAINS(output_, "pytest-shards: ENVIRONMENT entry 'NOT_AN_ASSIGNMENT' is not VAR=value");
  ShardJournal journal = Journal(0);
  EXPECT_EQ(Outcomes(journal)["tests/test_ok.py::test_ok"], "missing");
  EXPECT_TRUE(journal.finished);
  EXPECT_EQ(journal.exit_code, 1);
}

TEST_F(RunEntryTest, NoFreePortsIsReported) {
  plan_.settings.port_base = 65535;
  plan_.settings.ports_per_shard = 1;
  PortLease taken(PortLocks{plan_.settings.PortLockFile(), {}}, 65535, 1);
  AddEntry({"tests/test_ok.py::test_ok"});
  EXPECT_NE(Run(0), 0);
  EXPECT_CONTAINS(output_, "pytest-shards: no free range of 1 TCP ports between 65535 and 65535");
}

TEST_F(RunEntryTest, NonZeroPytestExitFailsEvenWhenTestsPass) {
  Write("project/tests/conftest.py", R"(
def pytest_sessionfinish(session, exitstatus):
    session.exitstatus = 3
)");
  Write("project/tests/test_ok.py", "def test_ok():\n    pass\n");
  AddEntry({"tests/test_ok.py::test_ok"});
  EXPECT_NE(Run(0), 0) << output_;
  EXPECT_EQ(Outcomes(Journal(0))["tests/test_ok.py::test_ok"], "passed");
  EXPECT_CONTAINS(output_, "pytest-shards: pytest exited with status 3 although no test failed");
}

TEST_F(RunEntryTest, EmptyEntryRunsNothing) {
  Write("project/tests/test_ok.py", "def test_ok():\n    pass\n");
  AddEntry({});
  EXPECT_EQ(Run(0), 0) << output_;
  EXPECT_TRUE(Journal(0).results.empty());
  EXPECT_CONTAINS(output_, "pytest-shards: shard-0: no tests ran in ");
}

TEST_F(RunEntryTest, EntryOutOfRangeIsAnError) {
  AddEntry({"tests/test_ok.py::test_ok"});
  try {
    Run(1);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_CONTAINS(std::string(e.what()), ("entry 1 is not in plan"));
  }
  EXPECT_THROW(Run(-1), Error);
}

TEST_F(RunEntryTest, MissingInterpreterFailsWithAClearLine) {
  plan_.settings.python = (dir_ / "no-python").string();
  AddEntry({"tests/test_ok.py::test_ok"});
  EXPECT_NE(Run(0), 0);
  EXPECT_CONTAINS(output_, ("pytest-shards: cannot start " + (dir_ / "no-python").string() +
                            ": No such file or directory"));
  EXPECT_EQ(Outcomes(Journal(0))["tests/test_ok.py::test_ok"], "missing");
}

}  // namespace
}  // namespace pytest_shards
